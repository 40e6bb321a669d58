using System.Security.Cryptography;

namespace Hive.Remote.Tests;

/// <summary>The files API through the real server and client: raw bodies streamed both ways, listings, errors.</summary>
public sealed class FileWireTests
{
    private const long Big = 50L * 1024 * 1024;
    private static CancellationToken Ct => new CancellationTokenSource(TimeSpan.FromSeconds(120)).Token;

    [Fact]
    public async Task A_50_MB_write_reaches_the_host_while_the_controller_is_still_sending_it()
    {
        await using var server = await HostServer.StartAsync();
        long hostReceived = 0;
        var hostHash = "";
        server.Fake.Write = async (_, content, ct) =>
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await content.ReadAsync(buffer, ct)) > 0)
            {
                sha.AppendData(buffer, 0, n);
                Interlocked.Add(ref hostReceived, n);
            }
            hostHash = Convert.ToHexString(sha.GetHashAndReset());
        };
        // The source will not give its second half until the host has received at least 1 MB of the first:
        // a client or server that buffered the body whole would never get there.
        var source = new GeneratedStream(Big, seed: 1, gateAt: Big / 2, gate: () => Interlocked.Read(ref hostReceived) >= 1024 * 1024);
        await server.Client.WriteFileAsync(Sandboxes.Hosted(), "/work/big.bin", source, Ct);

        Assert.Equal(Big, hostReceived);
        Assert.Equal(GeneratedStream.Hash(Big, seed: 1), hostHash);
        Assert.Contains("write /work/big.bin sb1", server.Fake.Calls);
    }

    [Fact]
    public async Task A_50_MB_read_reaches_the_controller_while_the_host_is_still_reading_it()
    {
        await using var server = await HostServer.StartAsync();
        long controllerReceived = 0;
        server.Fake.Read = (_, _) => Task.FromResult(new FileRead(
            new GeneratedStream(Big, seed: 2, gateAt: Big / 2, gate: () => Interlocked.Read(ref controllerReceived) >= 1024 * 1024), null));

        var read = await server.Client.ReadFileAsync(Sandboxes.Hosted(), "/work/big.bin", Ct);
        Assert.Null(read.Listing);
        await using var content = read.Content!;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await content.ReadAsync(buffer, Ct)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            Interlocked.Add(ref controllerReceived, n);
        }
        Assert.Equal(Big, controllerReceived);
        Assert.Equal(GeneratedStream.Hash(Big, seed: 2), Convert.ToHexString(sha.GetHashAndReset()));
    }

    [Fact]
    public async Task Small_files_listings_deletes_and_missing_files_round_trip()
    {
        await using var server = await HostServer.StartAsync();
        var host = server.Client;
        var sb = Sandboxes.Hosted();
        await host.WriteFileAsync(sb, "/a.txt", new MemoryStream("hello"u8.ToArray()), Ct);
        await host.WriteFileAsync(sb, "/empty", new MemoryStream(), Ct);
        Assert.Equal("hello"u8.ToArray(), server.Fake.Files["/a.txt"]);
        Assert.Empty(server.Fake.Files["/empty"]);

        var read = await host.ReadFileAsync(sb, "/a.txt", Ct);
        using (var reader = new StreamReader(read.Content!)) Assert.Equal("hello", await reader.ReadToEndAsync(Ct));

        var listing = await host.ReadFileAsync(sb, "/dir", Ct);
        Assert.Null(listing.Content);
        Assert.Equal([new FileEntry("a.txt", "file", 5, DateTimeOffset.UnixEpoch), new FileEntry("empty", "file", 0, DateTimeOffset.UnixEpoch)], listing.Listing);

        await host.DeleteFileAsync(sb, "/a.txt", Ct);
        Assert.False(server.Fake.Files.ContainsKey("/a.txt"));
        var missing = await Assert.ThrowsAsync<HostException>(() => host.DeleteFileAsync(sb, "/a.txt", Ct));
        Assert.Equal(HostErrorKind.NotFound, missing.Kind);
        var gone = await Assert.ThrowsAsync<HostException>(() => host.ReadFileAsync(sb, "/a.txt", Ct));
        Assert.Equal(HostErrorKind.NotFound, gone.Kind);
        Assert.Equal("no file /a.txt", gone.Message);
    }
}

/// <summary>
/// Deterministic pseudo-random bytes, produced as they are read; past <c>gateAt</c> it waits (at most 30 s, then
/// fails) until <c>gate</c> says the other side has received enough: proof that nothing in between buffered the whole.
/// </summary>
internal sealed class GeneratedStream(long length, int seed, long gateAt = long.MaxValue, Func<bool>? gate = null) : Stream
{
    private readonly Random _random = new(seed);
    private long _position;

    public static string Hash(long length, int seed)
    {
        using var s = new GeneratedStream(length, seed);
        return Convert.ToHexString(SHA256.HashData(s));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, length - _position);
        if (n <= 0) return 0;
        if (_position >= gateAt && gate is not null)
        {
            if (!SpinWait.SpinUntil(gate, TimeSpan.FromSeconds(30))) throw new IOException("the other side never received the first half: the body was buffered");
            gate = null;
        }
        _random.NextBytes(buffer[..n]);
        _position += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_position >= gateAt && gate is not null)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!gate())
            {
                if (DateTime.UtcNow > deadline) throw new IOException("the other side never received the first half: the body was buffered");
                await Task.Delay(10, ct);
            }
            gate = null;
        }
        return Read(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
