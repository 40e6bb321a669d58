using System.Collections.Concurrent;

namespace Hive.Files.Mediation;

/// <summary>
/// The mounts of this process that serve one storage (a volume several sandboxes share, each mount with its own ACL).
/// A name made, removed or renamed through one of them is dropped from the others' kernel caches
/// (FUSE_NOTIFY_INVAL_ENTRY), whether they cached it as present or as absent: a negative entry cached in one sandbox
/// must not hide a file another sandbox has just made. A mount that was alone on an exclusive storage (long cache
/// timeouts) drops its cached attributes when a second mount joins.
/// </summary>
/// <remarks>
/// The notifications are written by one background thread, never by the thread serving the request. The kernel takes
/// the other mount's directory lock to drop an entry; that lock may be held by a request of the other mount whose
/// server is itself, at that moment, notifying this mount about a name in the directory whose lock our own pending
/// request holds: two mounts creating in one directory at once would wait on each other for ever.
/// </remarks>
internal static class SharedVolumes
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Volume> Volumes = new(StringComparer.Ordinal);
    private static readonly BlockingCollection<Change> Pending = new();
    private static Thread? _notifier;

    /// <summary>Adds <paramref name="fs"/> to the mounts of <paramref name="storage"/> (a backend's description).</summary>
    public static Volume Join(string storage, MediatingFileSystem fs)
    {
        Volume volume;
        MediatingFileSystem[] others;
        lock (Gate)
        {
            if (!Volumes.TryGetValue(storage, out volume!)) Volumes[storage] = volume = new Volume(storage);
            others = volume.Members;
            volume.Members = [.. others, fs];
        }
        // A mount that was alone replies with the short timeouts from now on; what it cached under the long ones goes.
        if (others.Length == 1)
        {
            EnsureNotifier();
            Pending.Add(new Change(null, others, [], [], Shared: true));
        }
        return volume;
    }

    public static void Leave(Volume volume, MediatingFileSystem fs)
    {
        lock (Gate)
        {
            volume.Members = volume.Members.Where(m => !ReferenceEquals(m, fs)).ToArray();
            if (volume.Members.Length == 0) Volumes.Remove(volume.Storage);
        }
    }

    /// <summary>
    /// <paramref name="name"/> in the directory at <paramref name="parent"/> (relative to the storage's root, empty for
    /// the root) was made, removed or renamed through <paramref name="from"/>: the other mounts drop it. Allocates only
    /// when there are other mounts.
    /// </summary>
    public static void Changed(Volume volume, MediatingFileSystem from, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> name)
    {
        var members = volume.Members;
        if (members.Length < 2) return;
        EnsureNotifier();
        Pending.Add(new Change(from, members, parent.ToArray(), name.ToArray()));
    }

    /// <summary>Waits until every change queued so far has been passed on (tests, and nothing on a request's path).</summary>
    internal static void Flush(TimeSpan timeout)
    {
        var done = new ManualResetEventSlim();
        EnsureNotifier();
        Pending.Add(new Change(null, [], [], [], done));
        done.Wait(timeout);
    }

    private static void EnsureNotifier()
    {
        if (Volatile.Read(ref _notifier) is not null) return;
        lock (Gate)
        {
            if (_notifier is not null) return;
            var thread = new Thread(Notify) { IsBackground = true, Name = "hive-fuse-volumes" };
            thread.Start();
            _notifier = thread;
        }
    }

    private static void Notify()
    {
        foreach (var change in Pending.GetConsumingEnumerable())
        {
            foreach (var member in change.Members)
            {
                if (ReferenceEquals(member, change.From)) continue;
                try
                {
                    if (change.Shared) member.NowShared();
                    else member.InvalidateName(change.Parent, change.Name);
                }
                catch (Exception) { /* a mount going away meanwhile: nothing left to drop */ }
            }
            change.Done?.Set();
        }
    }

    internal sealed class Volume(string storage)
    {
        public string Storage { get; } = storage;
        public volatile MediatingFileSystem[] Members = [];
    }

    private sealed record Change(MediatingFileSystem? From, MediatingFileSystem[] Members, byte[] Parent, byte[] Name,
        ManualResetEventSlim? Done = null, bool Shared = false);
}
