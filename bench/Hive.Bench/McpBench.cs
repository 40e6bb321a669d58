using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.Bench;

/// <summary>
/// The agent's side (issue 6): an MCP <c>bash</c> call of <c>true</c> through sandbox.url, against the same call sent
/// straight to the container's address (the ingress's own cost), and a plain HTTP request both ways. Interleaved, one run.
/// </summary>
public static class McpBench
{
    public static async Task RunAsync(int runs)
    {
        await using var daemon = await DaemonProcess.StartAsync(withBaseImage: true);
        using var hive = daemon.Connect();
        var sandbox = await hive.GetOrCreateSandboxAsync("bench-mcp", new SandboxConfig { Image = "hive/base" });
        var address = (await sandbox.ExecAsync("ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1")).Stdout.Trim();
        var direct = $"http://{address}:8080/";
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", daemon.Token);
        Console.WriteLine($"hive bench mcp: {runs} runs, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}; sandbox.url {sandbox.Url}, direct {direct}");

        var viaUrl = await Session.StartAsync(http, sandbox.Url);
        var viaDirect = await Session.StartAsync(http, direct);
        var mcpUrl = new List<double>();
        var mcpDirect = new List<double>();
        var execApi = new List<double>();
        var getUrl = new List<double>();
        var getDirect = new List<double>();
        for (var i = 0; i < runs + 3; i++)
        {
            var a = await Time(() => viaUrl.CallAsync("bash", new JsonObject { ["command"] = "true" }));
            var b = await Time(() => viaDirect.CallAsync("bash", new JsonObject { ["command"] = "true" }));
            var c = await Time(() => sandbox.ExecAsync(["/bin/true"]));
            // GET without a session: the MCP server answers at once (no tool runs), so this is the HTTP path alone.
            var d = await Time(() => http.GetAsync(sandbox.Url));
            var e = await Time(() => http.GetAsync(direct));
            if (i < 3) continue; // warm-up
            mcpUrl.Add(a);
            mcpDirect.Add(b);
            execApi.Add(c);
            getUrl.Add(d);
            getDirect.Add(e);
        }
        // A tool call through sandbox.url pays the hop plus the daemon's reading of the call (exec.* events).
        Report("MCP bash `true` via sandbox.url (p50)", Stats.Percentile(mcpUrl, 50), Stats.Percentile(mcpDirect, 50), "direct to :8080", 1.5);
        Report("MCP bash `true` via sandbox.url (p95)", Stats.Percentile(mcpUrl, 95), Stats.Percentile(mcpDirect, 95), "direct to :8080", 1.5);
        Console.WriteLine($"{"  for scale: API exec `true` (p50)",-40} {Stats.Percentile(execApi, 50),8:F2} ms   (runc exec per command)");
        // A proxy hop on the same host at least doubles a sub-millisecond request: the target is on the added time.
        Report("HTTP request via sandbox.url (p50)", Stats.Percentile(getUrl, 50), Stats.Percentile(getDirect, 50), "direct to :8080", null);
        var overhead = Stats.Percentile(getUrl, 50) - Stats.Percentile(getDirect, 50);
        Console.WriteLine($"{"  sandbox.url added latency (p50)",-40} {overhead,8:F2} ms   target <= 2.00 ms   {(overhead <= 2 ? "ok" : "MISSED")}");
        await sandbox.DeleteAsync();
    }

    private static async Task<double> Time(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        return clock.Elapsed.TotalMilliseconds;
    }

    private static void Report(string what, double ms, double baseMs, string baseline, double? target)
    {
        var ratio = ms / baseMs;
        var verdict = target is { } t ? $"   target <= {t:F1}x   {(ratio <= t ? "ok" : "MISSED")}" : "";
        Console.WriteLine($"{what,-40} {ms,8:F2} ms   {baseline} {baseMs,7:F2} ms   ratio {ratio:F2}x{verdict}");
    }

    /// <summary>Just enough of an MCP client (streamable HTTP, one session) to time tool calls.</summary>
    private sealed class Session(HttpClient http, string url, string id)
    {
        private int _next = 1;

        public static async Task<Session> StartAsync(HttpClient http, string url)
        {
            using var init = await PostAsync(http, url, null, """{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}""");
            var id = init.Headers.GetValues("Mcp-Session-Id").Single();
            await init.Content.ReadAsStringAsync();
            using var _ = await PostAsync(http, url, id, """{"jsonrpc":"2.0","method":"notifications/initialized"}""");
            return new Session(http, url, id);
        }

        public async Task CallAsync(string tool, JsonObject args)
        {
            var message = new JsonObject
            {
                ["jsonrpc"] = "2.0", ["id"] = _next++, ["method"] = "tools/call",
                ["params"] = new JsonObject { ["name"] = tool, ["arguments"] = args },
            };
            using var r = await PostAsync(http, url, id, message.ToJsonString());
            var body = await r.Content.ReadAsStringAsync();
            if (!body.Contains("\"result\"", StringComparison.Ordinal)) throw new InvalidOperationException($"tools/call failed: {body}");
        }

        private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string url, string? session, string json)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
            if (session is not null) request.Headers.Add("Mcp-Session-Id", session);
            var r = await http.SendAsync(request);
            if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"{url}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
            return r;
        }
    }
}
