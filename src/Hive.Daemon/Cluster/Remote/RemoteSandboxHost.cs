using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using Hive.Core.Config;
using Hive.Core.Secrets;
using Hive.Host.Abstractions.Wire;

namespace Hive.Daemon.Cluster.Remote;

/// <summary>
/// A host reached over the network (the host API, <see cref="HostRoutes"/>): every <see cref="ISandboxHost"/> call
/// becomes an HTTP/2 request on <paramref name="baseAddress"/> through <paramref name="handler"/> (in a cluster,
/// <c>ClusterTls.CreateClientHandler(ClusterRole.Host)</c>). A host's problem is rethrown as the same
/// <see cref="HostException"/>; a host that cannot be reached is <see cref="HostErrorKind.Unavailable"/>, one that does
/// not answer in time <see cref="HostErrorKind.Timeout"/>, both naming the host.
/// </summary>
public sealed class RemoteSandboxHost : ISandboxHost, IDisposable
{
    /// <summary>How long an operation that changes a sandbox (start, stop, apply, …) may take before it is a timeout.</summary>
    public static readonly TimeSpan LongCall = TimeSpan.FromMinutes(10);

    /// <summary>How long any other call may wait for the host's answer.</summary>
    public static readonly TimeSpan ShortCall = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;
    private readonly HttpMessageInvoker _ingress;
    private readonly Uri _base;
    private readonly SecretsDelivery _secrets;
    private readonly RemoteApprovalQueue _approvals;

    /// <summary>How long a start or command waits, by default, for its sandbox's secrets to reach the host.</summary>
    public static readonly TimeSpan SecretsWait = TimeSpan.FromSeconds(30);

    /// <param name="secretsWait">How long a start or command waits for the sandbox's secrets to reach the host (<see cref="SecretsWait"/>).</param>
    public RemoteSandboxHost(string name, Uri baseAddress, HttpMessageHandler handler, bool disposeHandler = true, TimeSpan? secretsWait = null)
    {
        Name = name;
        _base = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        _http = new HttpClient(handler, disposeHandler)
        {
            BaseAddress = _base,
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        _ingress = new HttpMessageInvoker(handler, disposeHandler: false);
        _secrets = new SecretsDelivery(name, SendSecretsAsync, secretsWait ?? SecretsWait);
        _approvals = new RemoteApprovalQueue(this);
    }

    /// <summary>The host's name, as errors give it.</summary>
    public string Name { get; }

    public IApprovalQueue Approvals => _approvals;

    public async Task<IReadOnlySet<string>> StartupAsync(IReadOnlyList<HostedSandbox> known, CancellationToken ct)
    {
        var running = await CallAsync<WireRunningSet>(HostRoutes.Startup, new WireStartup([.. known.Select(ConfigWire.Write)]), LongCall, ct);
        return running.Running.ToHashSet(StringComparer.Ordinal);
    }

    public Task<IReadOnlyList<ConfigError>> CheckAsync(SandboxConfig config, CancellationToken ct) => CheckAsync(new WireCheck(ConfigWire.Write(config)), ct);

    /// <summary>The host asks the object stores with these credentials (sent in this request's body only, over mutual TLS).</summary>
    public Task<IReadOnlyList<ConfigError>> CheckAsync(SandboxConfig config, IReadOnlyDictionary<string, string> storageCredentials, CancellationToken ct) =>
        CheckAsync(new WireCheck(ConfigWire.Write(config), storageCredentials), ct);

    private async Task<IReadOnlyList<ConfigError>> CheckAsync(WireCheck check, CancellationToken ct)
    {
        var errors = await CallAsync<WireErrors>(HostRoutes.Check, check, ShortCall, ct);
        return [.. errors.Errors.Select(e => new ConfigError(e.Path, e.Message))];
    }

    public async Task StartAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        await _secrets.WaitAsync(sandbox.Name, ct);
        await CallAsync(Op(sandbox, HostRoutes.Ops.Start), Config(sandbox), LongCall, ct);
    }

    public async Task<bool> IsRunningAsync(HostedSandbox sandbox, CancellationToken ct) =>
        (await CallAsync<WireFlag>(Op(sandbox, HostRoutes.Ops.Running), Config(sandbox), ShortCall, ct)).Value;

    public Task StopAsync(HostedSandbox sandbox, CancellationToken ct) => CallAsync(Op(sandbox, HostRoutes.Ops.Stop), Config(sandbox), LongCall, ct);

    public Task DestroyAsync(HostedSandbox sandbox, CancellationToken ct) => CallAsync(Op(sandbox, HostRoutes.Ops.Destroy), Config(sandbox), LongCall, ct);

    public Task ApplyAsync(HostedSandbox sandbox, SandboxConfig proposed, CancellationToken ct) =>
        CallAsync(Op(sandbox, HostRoutes.Ops.Apply), new WireApply(ConfigWire.Write(sandbox.Config), ConfigWire.Write(proposed)), LongCall, ct);

    public async Task<ExecOutcome> ExecAsync(HostedSandbox sandbox, ExecSpec spec,
        Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct)
    {
        await _secrets.WaitAsync(sandbox.Name, ct);
        var header = new WireExec(ConfigWire.Write(sandbox.Config), WireExecSpec.From(spec));
        return await StreamAsync(sandbox, HostRoutes.Ops.Exec, new FrameContent(header), async (frame, token) =>
        {
            if (frame.Type == FrameType.Stdout) await onOutput(ExecStream.Stdout, frame.Payload, token);
            else if (frame.Type == FrameType.Stderr) await onOutput(ExecStream.Stderr, frame.Payload, token);
        }, ct);
    }

    public async Task<ExecOutcome> TerminalAsync(HostedSandbox sandbox, ExecSpec spec, TerminalSize size, IAsyncEnumerable<TerminalInput> input,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct)
    {
        await _secrets.WaitAsync(sandbox.Name, ct);
        using var ended = new CancellationTokenSource();
        var header = new WireExec(ConfigWire.Write(sandbox.Config), WireExecSpec.From(spec), size.Rows, size.Cols);
        try
        {
            return await StreamAsync(sandbox, HostRoutes.Ops.Terminal, new FrameContent(header, input, stop: ended.Token), async (frame, token) =>
            {
                if (frame.Type == FrameType.Output) await onOutput(frame.Payload, token);
            }, ct);
        }
        finally
        {
            await ended.CancelAsync();
        }
    }

    public async Task<FileRead> ReadFileAsync(HostedSandbox sandbox, string path, CancellationToken ct)
    {
        var request = Post(Op(sandbox, HostRoutes.Ops.ReadFile), JsonContent(new WireFile(ConfigWire.Write(sandbox.Config), path)));
        var response = await SendAsync(request, ShortCall, ct);
        try
        {
            if (response.Content.Headers.ContentType?.MediaType == WireJson.ContentType)
            {
                var entries = await WireJson.ReadAsync<List<WireFileEntry>>(await response.Content.ReadAsStreamAsync(ct), "listing", ct);
                response.Dispose();
                return new FileRead(null, [.. entries.Select(e => new FileEntry(e.Name, e.Type, e.Size, e.Mtime))]);
            }
            return new FileRead(new ResponseStream(response, await response.Content.ReadAsStreamAsync(ct)), null);
        }
        catch (Exception e) when (Dispose(response) && Translate(e, request, ct) is { } translated)
        {
            throw translated;
        }
    }

    public async Task WriteFileAsync(HostedSandbox sandbox, string path, Stream content, CancellationToken ct)
    {
        var request = Post(Op(sandbox, HostRoutes.Ops.WriteFile), new FrameContent(new WireFile(ConfigWire.Write(sandbox.Config), path), file: content));
        using var response = await SendAsync(request, timeout: null, ct);
    }

    public Task DeleteFileAsync(HostedSandbox sandbox, string path, CancellationToken ct) =>
        CallAsync(Op(sandbox, HostRoutes.Ops.DeleteFile), new WireFile(ConfigWire.Write(sandbox.Config), path), ShortCall, ct);

    /// <summary>The host's ingress forwarder for the sandbox, reached through this host's (mutual TLS) connections.</summary>
    public IngressTarget Ingress(HostedSandbox sandbox) =>
        new(new Uri(_base, $"{HostRoutes.Prefix[1..]}/sandboxes/{Uri.EscapeDataString(sandbox.Name)}/{HostRoutes.Ingress}/"), _ingress);

    public async Task<bool> IngressReadyAsync(HostedSandbox sandbox, TimeSpan limit, CancellationToken ct) =>
        (await CallAsync<WireFlag>(Op(sandbox, HostRoutes.Ops.IngressReady),
            new WireIngressReady(ConfigWire.Write(sandbox.Config), (long)limit.TotalMilliseconds), limit + ShortCall, ct)).Value;

    public void SetSecrets(string sandbox, SandboxSecrets? secrets) => _secrets.Set(sandbox, secrets);

    public IReadOnlyList<string> SecretValues(string sandbox) => _secrets.Values(sandbox);

    public async Task<UsageHistory> UsageAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        var usage = await CallAsync<WireUsage>(Op(sandbox, HostRoutes.Ops.Usage), Config(sandbox), ShortCall, ct);
        return new UsageHistory(TimeSpan.FromMilliseconds(usage.IntervalMs), usage.Capacity, usage.Samples);
    }

    public Task ShutdownAsync(IReadOnlyList<HostedSandbox> sandboxes, CancellationToken ct) =>
        CallAsync(HostRoutes.Shutdown, new WireShutdown([.. sandboxes.Select(ConfigWire.Write)]), LongCall, ct);

    public void Dispose()
    {
        _approvals.Dispose();
        _secrets.Dispose();
        _ingress.Dispose();
        _http.Dispose();
    }

    private Task SendSecretsAsync(string sandbox, SandboxSecrets? secrets, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, HostRoutes.For(sandbox, HostRoutes.Ops.Secrets)[1..]) { Content = JsonContent(SecretsWire.Write(secrets)) };
        return SendAndDisposeAsync(request, ShortCall, ct);
    }

    private static WireConfig Config(HostedSandbox sandbox) => new(ConfigWire.Write(sandbox.Config));

    private static string Op(HostedSandbox sandbox, string op) => HostRoutes.For(sandbox.Name, op);

    /// <summary>Runs an exec or terminal stream: frames go to <paramref name="onFrame"/> until the exit (returned) or an error (thrown).</summary>
    private async Task<ExecOutcome> StreamAsync(HostedSandbox sandbox, string op, FrameContent content,
        Func<(FrameType Type, ReadOnlyMemory<byte> Payload), CancellationToken, ValueTask> onFrame, CancellationToken ct)
    {
        var request = Post(Op(sandbox, op), content);
        using var response = await SendAsync(request, ShortCall, ct);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            var reader = new FrameReader(body);
            while (await reader.ReadAsync(ct) is { } frame)
            {
                switch (frame.Type)
                {
                    case FrameType.Exit:
                        return WireJson.Read<WireOutcome>(frame.Payload.Span, "exit").ToOutcome();
                    case FrameType.Error:
                        throw WireJson.Read<WireProblem>(frame.Payload.Span, "error").ToException(Name);
                    default:
                        await onFrame(frame, ct);
                        break;
                }
            }
            throw new HostException(HostErrorKind.Unavailable, "Host unavailable", $"host {Name} ended the {op} stream of sandbox {sandbox.Name} without an exit");
        }
        catch (Exception e) when (Translate(e, request, ct) is { } translated)
        {
            throw translated;
        }
    }

    private async Task CallAsync(string path, object body, TimeSpan timeout, CancellationToken ct) =>
        await SendAndDisposeAsync(Post(path, JsonContent(body)), timeout, ct);

    private Task<T> CallAsync<T>(string path, object body, TimeSpan timeout, CancellationToken ct) =>
        ReadAsync<T>(Post(path, JsonContent(body)), path, timeout, ct);

    internal Task<T> GetAsync<T>(string path, TimeSpan timeout, CancellationToken ct) =>
        ReadAsync<T>(new HttpRequestMessage(HttpMethod.Get, path[1..]), path, timeout, ct);

    private async Task<T> ReadAsync<T>(HttpRequestMessage request, string path, TimeSpan timeout, CancellationToken ct)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(timeout);
        using var response = await SendCoreAsync(request, timer.Token, ct, timeout);
        try
        {
            return await WireJson.ReadAsync<T>(await response.Content.ReadAsStreamAsync(timer.Token), path, timer.Token);
        }
        catch (Exception e) when (Translate(e, request, ct, timeout) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Opens a long response (a watch stream); the caller reads and disposes it.</summary>
    internal Task<HttpResponseMessage> OpenAsync(string path, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path[1..]), ShortCall, ct);

    internal async Task PostAsync(string path, object? body, TimeSpan timeout, CancellationToken ct) =>
        await SendAndDisposeAsync(Post(path, body is null ? null : JsonContent(body)), timeout, ct);

    internal async Task<T> PostAsync<T>(string path, object? body, TimeSpan timeout, CancellationToken ct) =>
        await CallAsync<T>(path, body ?? new { }, timeout, ct);

    /// <summary>Sends a request whose answer is only its status.</summary>
    private async Task SendAndDisposeAsync(HttpRequestMessage request, TimeSpan? timeout, CancellationToken ct)
    {
        using var response = await SendAsync(request, timeout, ct);
    }

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, TimeSpan? timeout, CancellationToken ct)
    {
        if (timeout is not { } t) return SendCoreAsync(request, ct, ct, null);
        return TimedAsync();

        async Task<HttpResponseMessage> TimedAsync()
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timer.CancelAfter(t);
            return await SendCoreAsync(request, timer.Token, ct, t);
        }
    }

    /// <summary>Sends (response headers only); a problem answer is thrown as the host's exception, a transport failure as Unavailable or Timeout.</summary>
    private async Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken token, CancellationToken ct, TimeSpan? timeout)
    {
        // HTTP/2 only: a message built by hand is 1.1 unless told (the client's defaults are for its own helpers).
        request.Version = HttpVersion.Version20;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
        }
        catch (Exception e) when (Translate(e, request, ct, timeout) is { } translated)
        {
            throw translated;
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            try
            {
                if (response.Content.Headers.ContentType?.MediaType == WireJson.ProblemContentType)
                    throw WireJson.Read<WireProblem>(await response.Content.ReadAsByteArrayAsync(token), "problem").ToException(Name);
            }
            catch (Exception e) when (Translate(e, request, ct, timeout) is { } translated)
            {
                throw translated;
            }
            throw new HostException(HostErrorKind.Unavailable, "Host unavailable",
                $"host {Name} answered {(int)response.StatusCode} to {request.Method} {request.RequestUri?.AbsolutePath}: is {_base} a Hive host's cluster address?");
        }
    }

    /// <summary>A transport failure as the domain sees it; null for what passes as it is (the host's own errors, the caller's cancellation).</summary>
    private HostException? Translate(Exception e, HttpRequestMessage request, CancellationToken ct, TimeSpan? timeout = null)
    {
        if (e is HostException || ct.IsCancellationRequested) return null;
        var what = $"{request.Method} {(request.RequestUri is { IsAbsoluteUri: true } u ? u.AbsolutePath : "/" + request.RequestUri)}";
        return e switch
        {
            OperationCanceledException => new HostException(HostErrorKind.Timeout, "Host timed out",
                $"host {Name} ({_base}) did not answer {what} within {timeout?.TotalSeconds ?? 0:0} s"),
            HttpRequestException { InnerException: AuthenticationException a } => new HostException(HostErrorKind.Unavailable, "Host unavailable",
                $"host {Name} ({_base}) refused the TLS handshake, or its certificate is not the cluster's (CA and role host): {Describe(a)}"),
            HttpRequestException or IOException or InvalidDataException => new HostException(HostErrorKind.Unavailable, "Host unavailable",
                $"host {Name} ({_base}) cannot be reached ({what}): {Describe(e)}"),
            _ => null,
        };
    }

    private static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
            if (parts.Count == 0 || !parts[^1].Contains(x.Message, StringComparison.Ordinal)) parts.Add(x.Message);
        return string.Join(": ", parts);
    }

    /// <summary>Disposes in an exception filter (true: the filter goes on).</summary>
    private static bool Dispose(IDisposable d)
    {
        d.Dispose();
        return true;
    }

    private static HttpRequestMessage Post(string path, HttpContent? content) => new(HttpMethod.Post, path[1..]) { Content = content };

    private static ByteArrayContent JsonContent(object body)
    {
        var content = new ByteArrayContent(WireJson.Bytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue(WireJson.ContentType);
        return content;
    }
}

