using System.Diagnostics;
using Hive.Runtime.Host;

namespace Hive.Runtime.Tests;

/// <summary>runc's exec.fifo protocol on a real fifo: the created init blocks opening it for writing until we read.</summary>
public sealed class ExecFifoTests : IDisposable
{
    private readonly TempDir _dir = new("hive-fifo");

    private string MakeFifo()
    {
        var path = _dir.Combine("exec.fifo");
        using var p = Process.Start("mkfifo", [path])!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return path;
    }

    [Fact]
    public async Task Reading_the_byte_releases_a_writer_that_opened_before_or_after_us()
    {
        var fifo = MakeFifo();
        // The writer blocks in open() until a reader comes, like runc init; then writes "0" and closes.
        var writer = Task.Run(() =>
        {
            using var w = new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
            w.WriteByte((byte)'0');
        });
        await Task.Delay(50);
        await ExecFifo.ReleaseAsync(fifo, TimeSpan.FromSeconds(10), CancellationToken.None);
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Without_a_writer_it_gives_up_with_a_clear_error_instead_of_hanging()
    {
        var fifo = MakeFifo();
        var e = await Assert.ThrowsAsync<HostCommandException>(() => ExecFifo.ReleaseAsync(fifo, TimeSpan.FromMilliseconds(200), CancellationToken.None));
        Assert.Contains("did not start", e.Message);
    }

    public void Dispose() => _dir.Dispose();
}
