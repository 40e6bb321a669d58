using System.Buffers;
using System.IO.Pipelines;
using Hive.Egress.Tls;

namespace Hive.Egress.Proxy;

public enum FirstBytes { Tls, Http, Raw, Closed, Invalid }

/// <summary>
/// Looks at the first bytes of a connection without consuming them: a whole TLS ClientHello record,
/// an HTTP request line's method, or anything else (raw TCP). A client that waits for the server to
/// speak first (SSH, SMTP…) is raw TCP after a short wait.
/// </summary>
public static class ConnectionPeek
{
    private static readonly TimeSpan ServerFirstWait = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Not tied to the connection's "closed" token: a client that sends its bytes and half-closes at once
    /// (<c>echo x | nc</c>) must still be decided and recorded.
    /// </summary>
    public static async Task<(FirstBytes Kind, ClientHelloInfo? Hello)> PeekAsync(PipeReader input)
    {
        using var total = new CancellationTokenSource(HelloTimeout);
        var ct = total.Token;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(ServerFirstWait);
        var sawAny = false;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(sawAny ? ct : wait.Token);
            }
            catch (OperationCanceledException)
            {
                // Silent past the short wait: a server-speaks-first protocol. Silent mid-record: give up.
                return (ct.IsCancellationRequested ? FirstBytes.Invalid : FirstBytes.Raw, null);
            }
            var buffer = result.Buffer;
            sawAny |= buffer.Length > 0;
            var (kind, hello, needMore) = Classify(buffer);
            if (!needMore || result.IsCompleted || buffer.Length >= ClientHello.MaxRecord)
            {
                input.AdvanceTo(buffer.Start); // nothing consumed: the real reader starts from the first byte
                if (needMore) return (buffer.Length == 0 ? FirstBytes.Closed : kind == FirstBytes.Tls ? FirstBytes.Invalid : FirstBytes.Raw, null);
                return (kind, hello);
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static (FirstBytes Kind, ClientHelloInfo? Hello, bool NeedMore) Classify(ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length == 0) return (FirstBytes.Raw, null, true);
        var first = buffer.FirstSpan[0];
        if (first == 0x16)
        {
            var span = buffer.IsSingleSegment ? buffer.FirstSpan : buffer.Slice(0, Math.Min(buffer.Length, ClientHello.MaxRecord)).ToArray();
            return ClientHello.TryParse(span, out var hello, out _) switch
            {
                ClientHelloStatus.Complete => (FirstBytes.Tls, hello, false),
                ClientHelloStatus.NeedMore => (FirstBytes.Tls, null, true),
                ClientHelloStatus.NotTls => (FirstBytes.Raw, null, false),
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
            if (b == (byte)' ') return (i >= 3 ? FirstBytes.Http : FirstBytes.Raw, null, false);
            if (b is < (byte)'A' or > (byte)'Z') return (FirstBytes.Raw, null, false);
        }
        return n < head.Length ? (FirstBytes.Http, null, true) : (FirstBytes.Raw, null, false);
    }
}
