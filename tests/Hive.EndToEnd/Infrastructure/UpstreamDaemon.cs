using System.Text.Json.Nodes;
using HiveClient;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>
/// A daemon whose upstream names point at a loopback <see cref="TestUpstream"/> (through upstream.hosts and its CA),
/// and one hive/base sandbox made by <see cref="CreateSandboxAsync"/> once the daemon is prepared.
/// </summary>
public abstract class UpstreamDaemon(params string[] extraNames) : IAsyncLifetime
{
    private string? _caFile;

    public TestUpstream Upstream { get; private set; } = null!;
    public DaemonProcess Daemon { get; private set; } = null!;
    public HiveConnection Hive { get; private set; } = null!;
    public Sandbox Sandbox { get; private set; } = null!;

    /// <summary>Prepares the daemon (secrets, repositories…) and makes the fixture's sandbox.</summary>
    protected abstract Task<Sandbox> CreateSandboxAsync();

    public async Task InitializeAsync()
    {
        // xunit does not dispose a fixture whose start failed: clean up here, or a daemon and its sandbox outlive the run.
        try
        {
            Upstream = await TestUpstream.StartAsync(extraNames);
            _caFile = Path.Combine(Path.GetTempPath(), $"hive-upstream-ca-{Guid.NewGuid():N}.pem");
            await File.WriteAllTextAsync(_caFile, Upstream.CaPem);
            Daemon = await DaemonProcess.StartAsync(upstream: Upstream.UpstreamSettings(_caFile), withBaseImage: true);
            Hive = Daemon.Connect();
            Sandbox = await CreateSandboxAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a shell line in the sandbox, with $HTTPS and $HTTP standing for the upstream's ports.</summary>
    public Task<ExecResult> ShAsync(string line, int timeoutMs = 60_000) =>
        Sandbox.ExecAsync(new ExecRequest
        {
            Command = new ExecCommand(["bash", "-c", line]),
            Env = new() { ["HTTPS"] = Upstream.HttpsPort.ToString(), ["HTTP"] = Upstream.HttpPort.ToString() },
            TimeoutMs = timeoutMs,
        });

    public async Task<IReadOnlyList<SandboxEvent>> EventsAfterAsync(long after, string types = "egress.*,dns.*") =>
        await Sandbox.GetEventsAsync(types: types, after: after);

    public async Task<long> LastEventIdAsync()
    {
        var all = await Hive.GetEventsAsync(limit: 10_000);
        return all.Count == 0 ? 0 : all[^1].Id;
    }

    /// <summary>GET /v1/sandboxes/{name}/llm-calls/{id} with the bearer token: the call and its kept bodies, or the status as an exception.</summary>
    public async Task<JsonNode> LlmCallAsync(long id, string? sandbox = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Daemon.Url) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", Daemon.Token);
        using var r = await http.GetAsync($"/v1/sandboxes/{sandbox ?? Sandbox.Name}/llm-calls/{id}");
        var text = await r.Content.ReadAsStringAsync();
        if (!r.IsSuccessStatusCode) throw new HttpRequestException($"{(int)r.StatusCode} {text}", null, r.StatusCode);
        return JsonNode.Parse(text)!;
    }

    /// <summary>The daemon's SQLite files (the database and its write-ahead log), byte for byte as text.</summary>
    public IEnumerable<(string File, string Text)> StoreFiles() =>
        Directory.GetFiles(Daemon.Home, "hive.db*").Select(f => (f, System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));

    /// <summary>
    /// The JSON in <paramref name="text"/>; for an <c>/echo</c> answer, what the upstream received (the answer the
    /// sandbox saw has stand-ins where the upstream got real values).
    /// </summary>
    public static JsonNode Json(string text)
    {
        var node = JsonNode.Parse(text)!;
        return node is JsonObject o && (string?)o["id"] is { } id && TestUpstream.Received.TryGetValue(id, out var received) ? JsonNode.Parse(received)! : node;
    }

    public async Task DisposeAsync()
    {
        if (Sandbox is not null) try { await Sandbox.DeleteAsync(); } catch (HiveException) { }
        Hive?.Dispose();
        if (Daemon is not null) await Daemon.DisposeAsync();
        if (Upstream is not null) await Upstream.DisposeAsync();
        if (_caFile is not null) File.Delete(_caFile);
    }
}
