using System.Diagnostics;
using System.Net;
using Hive.Core.Egress;
using Hive.Core.Events;
using Hive.Core.Llm;
using Hive.Core.Secrets;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.ObjectPool;
using Yarp.ReverseProxy.Forwarder;

namespace Hive.Egress.Proxy;

/// <summary>One HTTP request from a sandbox: checked against its connection's destination, decided, forwarded or refused.</summary>
public sealed class EgressHttpHandler(IHttpForwarder forwarder, HttpMessageInvoker upstream, IHostEventSink events)
{
    /// <summary>Where requests an ask rule matches wait for a person; null: they are denied.</summary>
    public Approvals.EgressApprovals? Approvals { get; init; }

    private static readonly ForwarderRequestConfig RequestConfig = new() { ActivityTimeout = TimeSpan.FromMinutes(10) };

    public async Task HandleAsync(HttpContext context)
    {
        if (context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(EgressConnectionMiddleware.ItemKey, out var item) != true
            || item is not EgressConnection conn)
        {
            context.Abort();
            return;
        }
        var method = context.Request.Method;
        var target = UrlPath.Normalize(context.Features.Get<IHttpRequestFeature>()!.RawTarget);
        var policy = conn.Sandbox.Policy; // one policy for the whole request, even if an apply lands meanwhile
        var denied = new EgressDecision(EgressVerdict.Denied, null, "");

        if (Misdirected(context, conn, target) is { } why)
        {
            var id = EgressEvents.Request(events, conn, method, target.Path, null, denied, why);
            await RefuseAsync(context, conn, id, StatusCodes.Status421MisdirectedRequest, why);
            return;
        }
        if (HttpMethods.IsTrace(method) || HttpMethods.IsConnect(method))
        {
            var why2 = $"{method} is not forwarded by the egress proxy";
            var id = EgressEvents.Request(events, conn, method, target.Path, null, denied, why2);
            await RefuseAsync(context, conn, id, StatusCodes.Status405MethodNotAllowed, why2);
            return;
        }

        var decision = policy.Decide(EgressRequest.Http(conn.Host, conn.Upstream, conn.Port, method, target)); // the pinned address: deny rules on addresses apply to a name too
        if (decision.IsAsk)
        {
            var (answer, refusal) = await ApprovalHold.RequestAsync(Approvals, conn, method, target.Path, decision, context.RequestAborted);
            if (refusal is not null)
            {
                var id = EgressEvents.Request(events, conn, method, target.Path, OverrideApplier.RedactQuery(target.Query, null), answer, answer.Reason);
                await RefuseAsync(context, conn, id, StatusCodes.Status403Forbidden, refusal);
                return;
            }
            decision = answer;
        }
        var overrides = decision is { IsAllowed: true, RuleIndex: { } rule } ? policy.GetOverride(rule) : null;
        var secrets = conn.Sandbox.Secrets; // one secret table for the whole request, like the policy
        var headers = secrets.IsEmpty ? null : HeaderLists.Get();
        try
        {
            var substitution = headers is null ? null : secrets.Apply(conn.Host, Flatten(context.Request.Headers, headers), target.Query, target.Path);
            var query = OverrideApplier.RedactQuery(target.Query, overrides);
            if (!decision.IsAllowed)
            {
                var requestId = EgressEvents.Request(events, conn, method, target.Path, query, decision);
                // The rules refused it anyway; a stand-in aimed at the wrong host is still worth recording.
                if (substitution is SubstitutionResult.Misuse or SubstitutionResult.Revoked) SecretDenied(conn, substitution, requestId, method, target.Path);
                await RefuseAsync(context, conn, requestId, StatusCodes.Status403Forbidden, DeniedMessage(conn, method, target, decision));
                return;
            }
            if (substitution is { Denied: true })
            {
                var secretWhy = substitution.ToString()!;
                var requestId = EgressEvents.Request(events, conn, method, target.Path, query, decision, secretWhy, denied: true);
                SecretDenied(conn, substitution, requestId, method, target.Path);
                await RefuseAsync(context, conn, requestId, StatusCodes.Status403Forbidden, SecretDeniedMessage(conn, method, target, substitution));
                return;
            }
            var forward = substitution as SubstitutionResult.Forward;
            var used = forward?.UsedSecrets;
            var forwardedId = EgressEvents.Request(events, conn, method, target.Path, query, decision, secrets: used);

            var started = Stopwatch.GetTimestamp();
            using var llm = LlmEndpoints.Provider(conn.Host, method, target.Path) is { } provider
                ? new LlmCallRecorder(provider, secrets, policy, context.Request.ContentType, context.Request.Headers.ContentEncoding.ToString()) : null;
            var counting = new CountingStreams(context, llm);
            var transformer = new EgressTransformer(conn, target, overrides, forward is { Changed: true } ? forward : null, ResponseScrubbing.For(secrets, conn));
            var error = await forwarder.SendAsync(context, conn.Origin, upstream, RequestConfig, transformer);
            string? failure = null;
            if (error != ForwarderError.None)
            {
                var reason = context.Features.Get<IForwarderErrorFeature>()?.Exception is { } e ? Reason(e) : error.ToString();
                failure = $"upstream {conn.Host}:{conn.Port} failed: {reason}";
                // An exception may quote the request as it was sent, real values included.
                if (used is { Count: > 0 }) failure = secrets.Scrub(failure);
                if (!context.Response.HasStarted)
                {
                    context.Response.Clear();
                    context.Response.StatusCode = StatusCodes.Status502BadGateway;
                    context.Response.ContentType = "text/plain; charset=utf-8";
                    await context.Response.WriteAsync($"Hive egress proxy: {failure}\n");
                }
            }
            var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            EgressEvents.Response(events, conn, forwardedId, context.Response.StatusCode, elapsed, bytesIn: counting.ResponseBytes, bytesOut: counting.RequestBytes, failure);
            llm?.Record(events, conn, forwardedId, context.Response.StatusCode, elapsed,
                context.Response.ContentType, context.Response.Headers.ContentEncoding.ToString());
            if (used is { Count: > 0 })
                foreach (var name in used)
                    EgressEvents.Secret(events, conn, EventTypes.SecretUsed, name, forwardedId, method, target.Path, context.Response.StatusCode, transformer.UpstreamStatus, elapsed,
                        failure, forward!.InjectedSecrets.Contains(name));
        }
        finally
        {
            // The substitution result may hand the list on to the transformer: it goes back only once the request is done.
            if (headers is not null) HeaderLists.Return(headers);
        }
    }

    /// <summary>Lists for the request's headers, reused: only a sandbox with secrets needs one per request.</summary>
    private static readonly ObjectPool<List<KeyValuePair<string, string>>> HeaderLists =
        new DefaultObjectPool<List<KeyValuePair<string, string>>>(new HeaderListPolicy());

    /// <summary>The request's headers into <paramref name="list"/>, one entry per value, in order.</summary>
    private static List<KeyValuePair<string, string>> Flatten(IHeaderDictionary headers, List<KeyValuePair<string, string>> list)
    {
        foreach (var (name, values) in headers)
            foreach (var value in values)
                if (value is not null) list.Add(new(name, value));
        return list;
    }

    private sealed class HeaderListPolicy : PooledObjectPolicy<List<KeyValuePair<string, string>>>
    {
        public override List<KeyValuePair<string, string>> Create() => new(32);

        public override bool Return(List<KeyValuePair<string, string>> list)
        {
            list.Clear(); // no header value (stand-ins, credentials) stays reachable from the pool
            return list.Capacity <= 256;
        }
    }

    private void SecretDenied(EgressConnection conn, SubstitutionResult result, long requestId, string method, string path)
    {
        var (type, secret) = result switch
        {
            SubstitutionResult.Misuse m => (EventTypes.SecretMisuse, m.SecretName),
            SubstitutionResult.Revoked r => (EventTypes.SecretRevoked, r.SecretName),
            _ => throw new ArgumentOutOfRangeException(nameof(result)),
        };
        EgressEvents.Secret(events, conn, type, secret, requestId, method, path, StatusCodes.Status403Forbidden, null, 0,
            result.ToString());
    }

    private static string SecretDeniedMessage(EgressConnection conn, string method, UrlTarget target, SubstitutionResult result)
    {
        var what = $"{method} {conn.Origin}{target.Path}";
        return result switch
        {
            SubstitutionResult.Misuse m =>
                $"Hive denied {what}: it carries the stand-in of secret {m.SecretName}, which is only ever sent to that secret's own hosts, not to {conn.Host}.\n" +
                "Send the request to one of the secret's hosts (`hive secret ls` lists them), or remove the credential from this request.\n",
            SubstitutionResult.Revoked r =>
                $"Hive denied {what}: it carries the stand-in of secret {r.SecretName}, which was deleted, unbound from this sandbox or cannot be read.\n" +
                $"Store it again with `hive secret set {r.SecretName}` (and bind it in the sandbox config) to use it.\n",
            _ => $"Hive denied {what}.\n",
        };
    }

    /// <summary>Host (or :authority) and an absolute-form target must name the connection's one destination.</summary>
    private static string? Misdirected(HttpContext context, EgressConnection conn, UrlTarget target)
    {
        var authority = context.Request.Host.Value;
        if (string.IsNullOrEmpty(authority)) return "the request has no Host header";
        // Spelled exactly as the proxy sends it upstream (the usual case): the canonical host and port, nothing to parse.
        var asSent = string.Equals(authority, conn.Authority, StringComparison.Ordinal);
        if (!asSent && (!EgressHost.TrySplitHostPort(authority, out var host, out var port) || !EgressHost.TryCanonicalize(host, out var canonical, out _)
            || canonical != conn.Host || (port is { } p && p != conn.Port)))
            return $"Host {authority} does not match the destination {conn.Host}:{conn.Port} of this connection";
        if (target.AuthorityHost is { } absolute
            && (!EgressHost.TryCanonicalize(absolute, out var abs, out _) || abs != conn.Host || (target.AuthorityPort is { } ap && ap != conn.Port)))
            return $"the request target names {absolute}, not the destination {conn.Host} of this connection";
        return null;
    }

    private static string DeniedMessage(EgressConnection conn, string method, UrlTarget target, EgressDecision decision)
    {
        var what = $"{method} {conn.Origin}{target.Path}";
        var why = decision.RuleIndex is { } i ? $"egress rule {i} denies it ({decision.Reason})" : decision.Reason;
        return $"Hive denied {what}: {why}.\n" +
               $"To allow it, add an egress rule to the sandbox config, e.g. {{ \"access\": \"allow\", \"host\": \"{conn.Host}\", \"ports\": [{conn.Port}] }}" +
               " (before any rule that denies it), and apply it with PUT /v1/sandboxes/{name}/config or `hive config NAME --apply FILE`.\n";
    }

    private async Task RefuseAsync(HttpContext context, EgressConnection conn, long requestId, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message.EndsWith('\n') ? message : message + "\n");
        EgressEvents.Response(events, conn, requestId, status, 0, 0, 0);
    }

    private static string Reason(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is UpstreamRefusedException) return x.Message;
        return e.InnerException?.Message ?? e.Message;
    }

    /// <summary>Counts body bytes in both directions for the egress.response event, and shows both bodies to a model-call recorder.</summary>
    private sealed class CountingStreams
    {
        private readonly Counter _in;
        private readonly Counter _out;

        public CountingStreams(HttpContext context, LlmCallRecorder? llm)
        {
            _in = new Counter(context.Request.Body, llm?.Request);
            context.Request.Body = _in;
            var body = context.Features.Get<IHttpResponseBodyFeature>()!;
            _out = new Counter(body.Stream, llm?.Response);
            context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(_out, body));
        }

        /// <summary>Request body bytes: out of the sandbox (the event's bytesOut).</summary>
        public long RequestBytes => _in.Count;
        /// <summary>Response body bytes: into the sandbox (the event's bytesIn).</summary>
        public long ResponseBytes => _out.Count;
    }

    private sealed class Counter(Stream inner, LlmBodyCapture? observer) : Stream
    {
        public long Count;
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
        public override int Read(byte[] buffer, int offset, int count) { var n = inner.Read(buffer, offset, count); Count += n; observer?.Observe(buffer.AsSpan(offset, n)); return n; }
        public override void Write(byte[] buffer, int offset, int count) { inner.Write(buffer, offset, count); Count += count; observer?.Observe(buffer.AsSpan(offset, count)); }

        // Completed reads and writes (the usual case) go through without an async state machine per chunk.
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            var read = inner.ReadAsync(buffer, ct);
            if (!read.IsCompletedSuccessfully) return Counted(read, buffer);
            var n = read.Result;
            Count += n;
            observer?.Observe(buffer.Span[..n]);
            return new ValueTask<int>(n);
        }

        private async ValueTask<int> Counted(ValueTask<int> read, Memory<byte> buffer)
        {
            var n = await read;
            Count += n;
            observer?.Observe(buffer.Span[..n]);
            return n;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            var write = inner.WriteAsync(buffer, ct);
            if (!write.IsCompletedSuccessfully) return Observed(write, buffer);
            write.GetAwaiter().GetResult();
            Count += buffer.Length;
            observer?.Observe(buffer.Span);
            return ValueTask.CompletedTask;
        }

        private async ValueTask Observed(ValueTask write, ReadOnlyMemory<byte> buffer)
        {
            await write;
            Count += buffer.Length;
            observer?.Observe(buffer.Span);
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
