using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace HiveClient;

/// <summary>A sandbox on a Hive daemon: its state as last read, and the operations on it.</summary>
public sealed class Sandbox
{
    private SandboxInfo _info = null!;
    private readonly string _path;

    internal Sandbox(HiveConnection connection, SandboxInfo info, bool created)
    {
        Connection = connection;
        SetInfo(info);
        _path = HiveConnection.SandboxPath(info.Name);
        Created = created;
        Files = new SandboxFiles(connection, _path);
    }

    public HiveConnection Connection { get; }

    public string Name => _info.Name;

    /// <summary><c>creating</c>, <c>running</c>, <c>stopped</c>, <c>failed</c> or <c>lost</c>, as of the last read.</summary>
    public string Status => _info.Status;

    public string? Image => _info.Image;

    /// <summary>The config as of the last read (override values redacted as <c>***</c>).</summary>
    public SandboxConfig Config => _info.Config;

    /// <summary>Absolute URL of the sandbox's port 8080 (the default image's MCP server), through the daemon.</summary>
    public string Url => _info.Url;

    public DateTimeOffset CreatedAt => _info.CreatedAt;

    /// <summary>True when the call that returned this object created the sandbox (201), false when it existed.</summary>
    public bool Created { get; }

    /// <summary>The state as the daemon described it (for JSON output).</summary>
    public SandboxInfo Info => _info;

    /// <summary>Files in the sandbox's mounts, read and written as the owner (recorded, not subject to ACLs).</summary>
    public SandboxFiles Files { get; }

    /// <summary>Reads the sandbox's state again.</summary>
    public async Task RefreshAsync(CancellationToken ct = default) =>
        SetInfo(await Connection.GetSandboxInfoAsync(Name, ct).ConfigureAwait(false));

    private void SetInfo(SandboxInfo info)
    {
        // The daemon may send the URL relative to itself; callers get one they can dial.
        if (info.Url.Length > 0 && !(Uri.TryCreate(info.Url, UriKind.Absolute, out var abs) && abs.Scheme.StartsWith("http", StringComparison.Ordinal)))
            info.Url = new Uri(Connection.BaseUrl, info.Url).AbsoluteUri;
        _info = info;
    }

    /// <summary>The current config (override values redacted).</summary>
    public Task<SandboxConfig> GetConfigAsync(CancellationToken ct = default) =>
        Connection.GetJsonAsync(_path + "/config", HiveJsonContext.Default.SandboxConfig, ct);

    /// <summary>
    /// Applies a whole config atomically. Throws <see cref="HiveValidationException"/> when it is invalid or changes
    /// an immutable field (422), <see cref="HiveConflictException"/> while another apply runs.
    /// </summary>
    public async Task<ApplyResult> ApplyConfigAsync(SandboxConfig config, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        using var req = new HttpRequestMessage(HttpMethod.Put, _path + "/config")
        {
            Content = JsonContent.Create(config, HiveJsonContext.Default.SandboxConfig),
        };
        using var resp = await Connection.SendAsync(req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        var result = await Connection.ReadJsonAsync(resp, HiveJsonContext.Default.ApplyResult, ct).ConfigureAwait(false);
        if (result.Applied) _info.Config = result.Config;
        return result;
    }

    /// <summary>Runs a command to completion and returns its output.</summary>
    public async Task<ExecResult> ExecAsync(ExecRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var req = new HttpRequestMessage(HttpMethod.Post, _path + "/exec")
        {
            Content = JsonContent.Create(request, HiveJsonContext.Default.ExecRequest),
        };
        using var resp = await Connection.SendAsync(req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        return await Connection.ReadJsonAsync(resp, HiveJsonContext.Default.ExecResult, ct).ConfigureAwait(false);
    }

    /// <summary>Runs an argv command to completion.</summary>
    public Task<ExecResult> ExecAsync(string[] command, string? cwd = null, Dictionary<string, string>? env = null,
        string? stdin = null, int? timeoutMs = null, CancellationToken ct = default) =>
        ExecAsync(new ExecRequest { Command = command, Cwd = cwd, Env = env, Stdin = stdin, TimeoutMs = timeoutMs }, ct);

    /// <summary>Runs a shell command line to completion.</summary>
    public Task<ExecResult> ExecAsync(string command, string? cwd = null, Dictionary<string, string>? env = null,
        string? stdin = null, int? timeoutMs = null, CancellationToken ct = default) =>
        ExecAsync(new ExecRequest { Command = command, Cwd = cwd, Env = env, Stdin = stdin, TimeoutMs = timeoutMs }, ct);

    /// <summary>
    /// Runs a command and yields its output as it comes, then one <see cref="ExecFrameKind.Exit"/> frame.
    /// Cancelling (or abandoning the enumeration) closes the request, which kills the command.
    /// </summary>
    public async IAsyncEnumerable<ExecFrame> ExecStreamAsync(ExecRequest request, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var req = new HttpRequestMessage(HttpMethod.Post, _path + "/exec")
        {
            Content = JsonContent.Create(request, HiveJsonContext.Default.ExecRequest),
        };
        req.Headers.Accept.ParseAdd("text/event-stream");
        using var resp = await Connection.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);

        if (resp.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            // A daemon that does not stream answers with the whole result.
            var r = await Connection.ReadJsonAsync(resp, HiveJsonContext.Default.ExecResult, ct).ConfigureAwait(false);
            if (r.Stdout.Length > 0) yield return new ExecFrame(ExecFrameKind.Stdout, r.Stdout);
            if (r.Stderr.Length > 0) yield return new ExecFrame(ExecFrameKind.Stderr, r.Stderr);
            yield return new ExecFrame(ExecFrameKind.Exit, null, r.ExitCode, r.DurationMs, r.TimedOut);
            yield break;
        }

        using var sse = new SseReader(await resp.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        while (true)
        {
            SseFrame? next;
            try { next = await sse.ReadAsync(ct).ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested) { throw Connection.Unavailable(e); }
            if (next is not { } f)
                throw new HiveException($"The exec stream of sandbox '{Name}' ended before the command's exit status arrived; the command was stopped.");

            switch (f.Event)
            {
                case "stdout":
                case "stderr":
                    var chunk = JsonSerializer.Deserialize(f.Data, HiveJsonContext.Default.ExecChunk);
                    if (chunk?.Data is { Length: > 0 } text)
                        yield return new ExecFrame(f.Event == "stdout" ? ExecFrameKind.Stdout : ExecFrameKind.Stderr, text);
                    break;
                case "exit":
                    var exit = JsonSerializer.Deserialize(f.Data, HiveJsonContext.Default.ExecExit)!;
                    yield return new ExecFrame(ExecFrameKind.Exit, null, exit.ExitCode, exit.DurationMs, exit.TimedOut);
                    yield break;
                case "error":
                    var problem = JsonSerializer.Deserialize(f.Data, HiveJsonContext.Default.Problem);
                    throw HiveException.FromProblem(problem?.Status ?? 500, problem, f.Data);
            }
        }
    }

    /// <summary>Streams an argv command.</summary>
    public IAsyncEnumerable<ExecFrame> ExecStreamAsync(string[] command, string? cwd = null, Dictionary<string, string>? env = null,
        string? stdin = null, int? timeoutMs = null, CancellationToken ct = default) =>
        ExecStreamAsync(new ExecRequest { Command = command, Cwd = cwd, Env = env, Stdin = stdin, TimeoutMs = timeoutMs }, ct);

    /// <summary>Streams a shell command line.</summary>
    public IAsyncEnumerable<ExecFrame> ExecStreamAsync(string command, string? cwd = null, Dictionary<string, string>? env = null,
        string? stdin = null, int? timeoutMs = null, CancellationToken ct = default) =>
        ExecStreamAsync(new ExecRequest { Command = command, Cwd = cwd, Env = env, Stdin = stdin, TimeoutMs = timeoutMs }, ct);

    /// <summary>
    /// This sandbox's events as they happen, from <paramref name="after"/> (exclusive) or from now. Reconnects
    /// with the last id seen when the connection drops or the daemon restarts: nothing is skipped or repeated.
    /// <paramref name="types"/>: comma-separated patterns such as <c>egress.*,fs.request</c>.
    /// </summary>
    public IAsyncEnumerable<SandboxEvent> GetEventsStream(string? types = null, long? after = null, CancellationToken ct = default) =>
        Connection.StreamEventsAsync(_path + "/events", types, after, ct);

    /// <summary>One page of this sandbox's stored events (no waiting).</summary>
    public Task<IReadOnlyList<SandboxEvent>> GetEventsAsync(string? types = null, long? after = null, int? limit = null, CancellationToken ct = default) =>
        Connection.GetEventsPageAsync(_path + "/events", types, after, limit, ct);

    /// <summary>Stops and removes the sandbox; its volumes stay.</summary>
    /// <summary>
    /// Opens an interactive terminal: a command (default: the login shell) under a pseudo-terminal in the sandbox.
    /// Recorded as exec.request (with terminal: true) and exec.response.
    /// </summary>
    public async Task<SandboxTerminal> OpenTerminalAsync(TerminalOptions? options = null, CancellationToken ct = default)
    {
        var socket = await Connection.ConnectWebSocketAsync($"v1/sandboxes/{Uri.EscapeDataString(Name)}/terminal", ct).ConfigureAwait(false);
        try
        {
            return await SandboxTerminal.OpenAsync(socket, options ?? new TerminalOptions(), ct).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public Task DeleteAsync(CancellationToken ct = default) => Connection.DeleteSandboxAsync(Name, ct);

    public override string ToString() => $"{Name} ({Status})";
}
