using System.Buffers;
using System.IO.Pipelines;
using Hive.Egress.Tls;

namespace Hive.Egress.Proxy;

/// <summary>
/// How a connection's first bytes look. Only a sorting: whether a flow may be tunnelled raw is the policy's
/// (<see cref="Hive.Core.Egress.EgressPolicy.DecideStream"/>), never a consequence of bytes that are not recognised.
/// </summary>
public enum FirstBytes
{
    /// <summary>A whole TLS ClientHello.</summary>
    Tls,
    /// <summary>Starts like an HTTP/1 request line (a method token and a space) or the HTTP/2 preface.</summary>
    Http,
    /// <summary>Anything else: possibly still HTTP (a leading empty line, an odd method) — Kestrel knows.</summary>
    Other,
    /// <summary>Nothing within the short wait: maybe a protocol whose server speaks first, maybe a client waiting out the peek.</summary>
    Silent,
    Closed,
    /// <summary>A TLS record that is not a valid ClientHello, or one left unfinished.</summary>
    Invalid,
}

/// <summary>Looks at the first bytes of a connection without consuming them.</summary>
public static class ConnectionPeek
{
    public static readonly TimeSpan ServerFirstWait = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Not tied to the connection's "closed" token: a client that sends its bytes and half-closes at once
    /// (<c>echo x | nc</c>) must still be decided and recorded.
    /// </summary>
    /// <param name="shortWait">False: wait for the first byte until <paramref name="ct"/> (after a silence), never answering Silent.</param>
    public static async Task<(FirstBytes Kind, ClientHelloInfo? Hello)> PeekAsync(PipeReader input, bool shortWait = true, CancellationToken ct = default)
    {
        if (!shortWait)
        {
            // The first byte may take as long as the flow likes; the hello after it gets the usual time.
            var first = await input.ReadAsync(ct);
            input.AdvanceTo(first.Buffer.Start);
            if (first.Buffer.Length == 0 && first.IsCompleted) return (FirstBytes.Closed, null);
        }
        using var total = CancellationTokenSource.CreateLinkedTokenSource(ct);
        total.CancelAfter(HelloTimeout);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(total.Token);
        if (shortWait) wait.CancelAfter(ServerFirstWait);
        var sawAny = false;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(sawAny ? total.Token : wait.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Silent past the short wait; silent mid-record: give up.
                return (total.IsCancellationRequested || sawAny ? FirstBytes.Invalid : FirstBytes.Silent, null);
            }
            var buffer = result.Buffer;
            sawAny |= buffer.Length > 0;
            var (kind, hello, needMore) = Classify(buffer);
            if (!needMore || result.IsCompleted || buffer.Length >= ClientHello.MaxRecord)
            {
                input.AdvanceTo(buffer.Start); // nothing consumed: the real reader starts from the first byte
                if (needMore) return (buffer.Length == 0 ? FirstBytes.Closed : kind == FirstBytes.Tls ? FirstBytes.Invalid : kind, null);
                return (kind, hello);
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static (FirstBytes Kind, ClientHelloInfo? Hello, bool NeedMore) Classify(ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length == 0) return (FirstBytes.Other, null, true);
        var first = buffer.FirstSpan[0];
        if (first == 0x16)
        {
            var span = buffer.IsSingleSegment ? buffer.FirstSpan : buffer.Slice(0, Math.Min(buffer.Length, ClientHello.MaxRecord)).ToArray();
            return ClientHello.TryParse(span, out var hello, out _) switch
            {
                ClientHelloStatus.Complete => (FirstBytes.Tls, hello, false),
                ClientHelloStatus.NeedMore => (FirstBytes.Tls, null, true),
                ClientHelloStatus.NotTls => (FirstBytes.Other, null, false),
                _ => (FirstBytes.Invalid, null, false),
            };
        }
        // An HTTP/1.x request line starts with a method token (upper-case letters) and a space.
        Span<byte> head = stackalloc byte[12];
        var n = (int)Math.Min(buffer.Length, head.Length);
        buffer.Slice(0, n).CopyTo(head);
        for (var i = 0; i < n; i++)
        {
            var b = head[i];
            if (b == (byte)' ') return (i >= 3 ? FirstBytes.Http : FirstBytes.Other, null, false);
            if (b is < (byte)'A' or > (byte)'Z') return (FirstBytes.Other, null, false);
        }
        return n < head.Length ? (FirstBytes.Http, null, true) : (FirstBytes.Other, null, false);
    }
}
