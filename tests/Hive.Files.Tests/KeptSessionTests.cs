using Hive.Core.Config;
using Hive.Core.Files;
using Hive.Files.Backends;
using Hive.Files.Mediation;
using Hive.Files.Native;

namespace Hive.Files.Tests;

/// <summary>
/// The pieces that let a FUSE session outlive its server (a daemon SIGKILL): the holder process that keeps the
/// /dev/fuse descriptor, the record a restarted daemon takes it over from, and node and handle numbers that never
/// collide with those the kernel kept from the earlier life. The whole takeover runs end to end in RestartSafetyTests.
/// </summary>
[Collection("fuse")]
public class KeptSessionTests
{
    [Fact]
    public void A_holder_keeps_a_descriptor_hands_out_copies_and_ends_on_stop()
    {
        var fd = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);
        var (pid, startTime) = SessionHolder.Start((int)fd.DangerousGetHandle());
        var record = new SessionRecord(pid, startTime, 0, 0, 0, 0);
        try
        {
            fd.Dispose(); // only the holder has it now
            Assert.Equal("/dev/null", new FileInfo($"/proc/{pid}/fd/3").LinkTarget);
            // Only the null streams and the held descriptor stay. For a moment after the spawn the program the holder runs
            // may still be opening its libraries (the dynamic loader's descriptor, seen once under CI load), so wait for it.
            string[] Open() => [.. Directory.GetFiles($"/proc/{pid}/fd").Select(f => Path.GetFileName(f)!).Order()];
            SpinWait.SpinUntil(() => Open().SequenceEqual(["0", "1", "2", "3"]), TimeSpan.FromSeconds(5));
            Assert.Equal(["0", "1", "2", "3"], Open());
            Assert.NotEqual(Environment.ProcessId.ToString(), File.ReadAllText($"/proc/{pid}/stat").Split(' ')[5]); // its own session
            var copy = SessionHolder.TakeCopy(record);
            Assert.True(copy >= 0);
            Assert.Equal("/dev/null", new FileInfo($"/proc/self/fd/{copy}").LinkTarget);
            using (new Microsoft.Win32.SafeHandles.SafeFileHandle(copy, ownsHandle: true)) { }
            // Another process at that pid (reuse) is never taken for the holder.
            Assert.Equal(-1, SessionHolder.TakeCopy(record with { StartTime = startTime + 1 }));
        }
        finally
        {
            SessionHolder.Stop(record);
        }
        Assert.Null(SessionHolder.StartTime(pid));
        Assert.Equal(-1, SessionHolder.TakeCopy(record));
    }

    [Fact]
    public void A_mount_with_a_session_record_is_held_and_disposing_ends_the_holder()
    {
        var recordPath = Path.Combine(Path.GetTempPath(), $"hive-session-{Guid.NewGuid():N}.json");
        SessionRecord record;
        using (var f = new FuseFixture(options: new FuseOptions { SessionRecord = recordPath }))
        {
            record = SessionRecord.Read(recordPath)!;
            Assert.NotNull(record);
            Assert.Equal("/dev/fuse", new FileInfo($"/proc/{record.Pid}/fd/3").LinkTarget);
            Assert.Equal(FuseMount.KernelDevice(f.MountPoint), record.Device);
            Assert.Equal(0, record.Epoch);
            f.Sh("echo held > a && cat a").AssertOk();
        }
        Assert.Null(SessionHolder.StartTime(record.Pid));
        Assert.False(File.Exists(recordPath));
    }

    [Fact]
    public void A_record_whose_holder_is_gone_mounts_afresh()
    {
        var recordPath = Path.Combine(Path.GetTempPath(), $"hive-session-{Guid.NewGuid():N}.json");
        new SessionRecord(int.MaxValue - 7, 12345, 1, 40, 0, 3).Write(recordPath);
        using (var f = new FuseFixture(options: new FuseOptions { SessionRecord = recordPath }))
        {
            Assert.False(f.Mount.TakenOver);
            Assert.Equal(0, SessionRecord.Read(recordPath)!.Epoch);
            f.Sh("echo fresh > a && cat a").AssertOk();
        }
        Assert.False(File.Exists(recordPath));
    }

    [Fact]
    public void Node_ids_and_handles_of_a_later_life_start_in_a_new_epoch_and_unknown_ids_are_stale()
    {
        var root = Directory.CreateTempSubdirectory("hive-epoch-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "f"), "x");
            using var backend = new LocalBackend(root);
            var fs = new MediatingFileSystem("/workspace", backend, AclMatcher.Compile([new AclRule("/workspace/**", AclAccess.Rw)]), null,
                new FuseOptions(), epoch: 2);
            var atRoot = new FuseContext(1, 1, 0, 0, 1);
            Assert.Equal(0, fs.Lookup(atRoot, "f"u8, out var entry));
            Assert.Equal((2UL << NodeTable.EpochShift) + 2, entry.NodeId);
            Assert.Equal(0, fs.Getattr(atRoot, 0, false, out _)); // the root is 1 in every life
            // A node the kernel kept from the previous life: stale, so the kernel looks the name up again.
            Assert.Equal(Errno.ESTALE, fs.Getattr(new FuseContext(2, 5, 0, 0, 1), 0, false, out _));
            Assert.Equal(Errno.ESTALE, fs.Lookup(new FuseContext(3, 7, 0, 0, 1), "f"u8, out _));
            Assert.Equal(0, fs.Open(new FuseContext(4, entry.NodeId, 0, 0, 1), 0, out var open));
            Assert.True(open.Fh > 2UL << NodeTable.EpochShift);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
