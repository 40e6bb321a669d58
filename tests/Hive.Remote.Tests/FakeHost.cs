using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Hive.Core.Config;
using Hive.Core.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hive.Remote.Tests;

/// <summary>
/// An in-memory host behind the real host server: it records every call as it received it and answers as the test
/// sets it up. It is not what these tests check; the wire between it and the client is.
/// </summary>
internal sealed class FakeHost : ISandboxHost, IAsyncDisposable
{
    public ConcurrentQueue<string> Calls { get; } = new();
    public ConcurrentDictionary<string, HostedSandbox> Seen { get; } = new();
    public ConcurrentDictionary<string, byte[]> Files { get; } = new();
    public ConcurrentQueue<(string Sandbox, SandboxSecrets? Secrets)> Secrets { get; } = new();
    public FakeApprovals Queue { get; } = new();
    public SandboxConfig? Proposed { get; private set; }
    public ExecSpec? LastSpec { get; private set; }

    public Func<HostedSandbox, ExecSpec, Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask>, CancellationToken, Task<ExecOutcome>> Exec { get; set; } =
        (_, _, _, _) => Task.FromResult(new ExecOutcome(0, false, 1));

    public Func<string, Stream, CancellationToken, Task> Write { get; set; }
    public Func<string, CancellationToken, Task<FileRead>> Read { get; set; }

    /// <summary>When set, a secrets delivery waits for it (the host server's thread blocks, as a slow host would).</summary>
    public ManualResetEventSlim? SecretsGate { get; set; }

    private WebApplication? _upstream;
    private readonly SocketsHttpHandler _upstreamHandler = new() { UseProxy = false };

    public FakeHost()
    {
        Write = async (path, content, ct) =>
        {
            using var ms = new MemoryStream();
            await content.CopyToAsync(ms, ct);
            Files[path] = ms.ToArray();
        };
        Read = (path, _) =>
        {
            if (path == "/dir")
                return Task.FromResult(new FileRead(null, [.. Files.Keys.Order().Select(k => new FileEntry(k.TrimStart('/'), "file", Files[k].Length, DateTimeOffset.UnixEpoch))]));
            return Files.TryGetValue(path, out var bytes)
                ? Task.FromResult(new FileRead(new MemoryStream(bytes), null))
                : throw HostException.NotFound($"no file {path}");
        };
    }

    private void Record(string call, HostedSandbox? sandbox = null)
    {
        Calls.Enqueue(sandbox is null ? call : $"{call} {sandbox.Name}");
        if (sandbox is not null) Seen[sandbox.Name] = sandbox;
        // A sandbox named fail-<kind> makes every operation on it fail with that kind.
        if (sandbox?.Name.StartsWith("fail-", StringComparison.Ordinal) == true) throw Failure(sandbox.Name["fail-".Length..]);
    }

    public static Exception Failure(string kind) => kind == "internal"
        ? new InvalidOperationException("the fake host broke")
        : new HostException(Enum.Parse<HostErrorKind>(kind, ignoreCase: true), "Title of " + kind, "message of " + kind,
            kind == "invalid" ? [new ConfigError("egress[0].host", "is not a host"), new ConfigError("ttl", "must be positive")] : null);

    public Task<IReadOnlySet<string>> StartupAsync(IReadOnlyList<HostedSandbox> known, CancellationToken ct)
    {
        Record("startup");
        foreach (var k in known) Seen[k.Name] = k;
        return Task.FromResult<IReadOnlySet<string>>(known.Where(k => k.Name.StartsWith("run", StringComparison.Ordinal)).Select(k => k.Name).ToHashSet());
    }

    public Task<IReadOnlyList<ConfigError>> CheckAsync(SandboxConfig config, CancellationToken ct)
    {
        Record("check");
        return Task.FromResult<IReadOnlyList<ConfigError>>(config.Image == "missing/image" ? [new ConfigError("image", "no image missing/image on this host")] : []);
    }

    /// <summary>The storage credentials the last store check received (null: a check without them).</summary>
    public IReadOnlyDictionary<string, string>? CheckCredentials { get; private set; }

    public async Task<IReadOnlyList<ConfigError>> CheckAsync(SandboxConfig config, IReadOnlyDictionary<string, string> storageCredentials, CancellationToken ct)
    {
        var errors = await CheckAsync(config, ct);
        Calls.Enqueue("check-stores");
        CheckCredentials = storageCredentials;
        return storageCredentials.ContainsKey("store-key") ? errors : [.. errors, new ConfigError("fs[0].credentials", "no secret \"store-key\"")];
    }

    public Task StartAsync(HostedSandbox sandbox, CancellationToken ct) { Record("start", sandbox); return Task.CompletedTask; }
    public Task<bool> IsRunningAsync(HostedSandbox sandbox, CancellationToken ct) { Record("running", sandbox); return Task.FromResult(true); }
    public Task StopAsync(HostedSandbox sandbox, CancellationToken ct) { Record("stop", sandbox); return Task.CompletedTask; }
    public Task DestroyAsync(HostedSandbox sandbox, CancellationToken ct) { Record("destroy", sandbox); return Task.CompletedTask; }

    public Task ApplyAsync(HostedSandbox sandbox, SandboxConfig proposed, CancellationToken ct)
    {
        Record("apply", sandbox);
        Proposed = proposed;
        return Task.CompletedTask;
    }

    public Task<ExecOutcome> ExecAsync(HostedSandbox sandbox, ExecSpec spec, Func<ExecStream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct)
    {
        Record("exec", sandbox);
        LastSpec = spec;
        return Exec(sandbox, spec, onOutput, ct);
    }

    /// <summary>Echoes keystrokes as <c>[keys]</c> and sizes as <c>(RxC)</c>; exits 7 when the input ends.</summary>
    public async Task<ExecOutcome> TerminalAsync(HostedSandbox sandbox, ExecSpec spec, TerminalSize size, IAsyncEnumerable<TerminalInput> input,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onOutput, CancellationToken ct)
    {
        Record("terminal", sandbox);
        LastSpec = spec;
        await onOutput(Encoding.UTF8.GetBytes($"({size.Rows}x{size.Cols})"), ct);
        await foreach (var i in input.WithCancellation(ct))
        {
            var text = i.Resize is { } r ? $"({r.Rows}x{r.Cols})" : "[" + Encoding.UTF8.GetString(i.Keys.Span) + "]";
            Calls.Enqueue("input " + text);
            await onOutput(Encoding.UTF8.GetBytes(text), ct);
        }
        return new ExecOutcome(7, false, 3);
    }

    public Task<FileRead> ReadFileAsync(HostedSandbox sandbox, string path, CancellationToken ct) { Record("read " + path, sandbox); return Read(path, ct); }
    public Task WriteFileAsync(HostedSandbox sandbox, string path, Stream content, CancellationToken ct) { Record("write " + path, sandbox); return Write(path, content, ct); }

    public Task DeleteFileAsync(HostedSandbox sandbox, string path, CancellationToken ct)
    {
        Record("delete " + path, sandbox);
        if (!Files.TryRemove(path, out _)) throw HostException.NotFound($"no file {path}");
        return Task.CompletedTask;
    }

    /// <summary>Port 8080 of every sandbox is one loopback server that echoes what it got.</summary>
    public IngressTarget Ingress(HostedSandbox sandbox)
    {
        Record("ingress", sandbox);
        return new IngressTarget(new Uri($"http://127.0.0.1:{UpstreamPort()}/"), new HttpMessageInvoker(_upstreamHandler, disposeHandler: false));
    }

    public Task<bool> IngressReadyAsync(HostedSandbox sandbox, TimeSpan limit, CancellationToken ct)
    {
        Record($"ingress-ready {limit.TotalMilliseconds}", sandbox);
        return Task.FromResult(true);
    }

    public void SetSecrets(string sandbox, SandboxSecrets? secrets)
    {
        SecretsGate?.Wait(TimeSpan.FromSeconds(30));
        Secrets.Enqueue((sandbox, secrets));
        Calls.Enqueue("secrets " + sandbox);
    }

    public IReadOnlyList<string> SecretValues(string sandbox) => throw new InvalidOperationException("the controller answers this from what it sent");

    public Task<UsageHistory> UsageAsync(HostedSandbox sandbox, CancellationToken ct)
    {
        Record("usage", sandbox);
        return Task.FromResult(new UsageHistory(TimeSpan.FromSeconds(5), 720,
            [new UsageSample(DateTimeOffset.UnixEpoch.AddSeconds(5), 1000, null, 4096, null, 3), new UsageSample(DateTimeOffset.UnixEpoch.AddSeconds(10), 6000, 0.1, 8192, 9000, 4)]));
    }

    public IApprovalQueue Approvals => Queue;

    public Task ShutdownAsync(IReadOnlyList<HostedSandbox> sandboxes, CancellationToken ct)
    {
        Record("shutdown " + string.Join(",", sandboxes.Select(s => s.Name)));
        return Task.CompletedTask;
    }

    private int UpstreamPort()
    {
        lock (_upstreamHandler)
        {
            if (_upstream is null)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.Logging.ClearProviders();
                builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
                var app = builder.Build();
                app.Run(async c =>
                {
                    using var body = new StreamReader(c.Request.Body);
                    var text = await body.ReadToEndAsync();
                    c.Response.Headers["X-Seen-Host"] = c.Request.Host.Value;
                    await c.Response.WriteAsync($"{c.Request.Method} {c.Request.Path}{c.Request.QueryString} prefix={c.Request.Headers["X-Forwarded-Prefix"]} body={text}");
                });
                app.StartAsync().GetAwaiter().GetResult();
                _upstream = app;
            }
            return new Uri(_upstream.Urls.First()).Port;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_upstream is not null) await _upstream.DisposeAsync();
        _upstreamHandler.Dispose();
    }
}
