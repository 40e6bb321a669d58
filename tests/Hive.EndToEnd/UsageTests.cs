using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Hive.EndToEnd.Infrastructure;
using HiveClient;
using static Hive.EndToEnd.Infrastructure.BaseDaemon;

namespace Hive.EndToEnd;

/// <summary>A daemon that samples every 0.2 s and keeps 8 samples per sandbox, so the ring fills within seconds.</summary>
public sealed class UsageDaemon : IAsyncLifetime
{
    public const int Samples = 8;
    public DaemonProcess Daemon { get; private set; } = null!;
    public HiveConnection Hive { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Daemon = await DaemonProcess.StartAsync(withBaseImage: true, extraSettings: $$"""
            "usage": { "intervalSeconds": 0.2, "samples": {{Samples}} }
            """);
        Hive = Daemon.Connect();
    }

    public async Task DisposeAsync()
    {
        Hive.Dispose();
        await Daemon.DisposeAsync();
    }
}

[CollectionDefinition("usage")]
public sealed class UsageCollection : ICollectionFixture<UsageDaemon>;

/// <summary><c>GET /v1/sandboxes/{name}/usage</c>: the sandbox's real cgroup, sampled by the daemon into a bounded ring.</summary>
[Collection("usage")]
public sealed class UsageTests(UsageDaemon fixture)
{
    private HttpClient Http(bool auth = true)
    {
        var http = new HttpClient { BaseAddress = new Uri(fixture.Daemon.Url), Timeout = TimeSpan.FromSeconds(15) };
        if (auth) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Daemon.Token);
        return http;
    }

    private async Task<JsonNode> UsageAsync(string name)
    {
        using var http = Http();
        using var r = await http.GetAsync($"/v1/sandboxes/{name}/usage");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
    }

    private static List<JsonNode> SamplesOf(JsonNode usage) => usage["samples"]!.AsArray().Select(s => s!).ToList();

    [Fact]
    public async Task A_sandbox_burning_cpu_shows_it_memory_is_counted_and_the_ring_stays_bounded()
    {
        var sb = await fixture.Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("usage"), Base(c => c.Resources = new Resources { Cpus = 1, MemoryMb = 256 }));
        try
        {
            await OkAsync(sb, "true");
            var idle = await UsageAsync(sb.Name);
            Assert.Equal(sb.Name, (string)idle["sandbox"]!);
            Assert.Equal(0.2, (double)idle["intervalSeconds"]!);
            Assert.Equal(UsageDaemon.Samples, (int)idle["capacity"]!);
            Assert.Equal(256, (int)idle["limits"]!["memoryMb"]!);
            var first = SamplesOf(idle);
            Assert.NotEmpty(first);
            Assert.All(first, s => Assert.True((long)s["memoryBytes"]! > 0, $"memory not counted: {s}"));
            Assert.All(first, s => Assert.True((long)s["pids"]! >= 1, $"no tasks counted: {s}"));
            var before = (long)first[^1]["cpuUsec"]!;

            // A busy loop until the process has used 1.5 s of CPU (the machine may be shared, so its own CPU time, not the
            // wall clock, ends it): the cgroup counts at least that, and the samples taken meanwhile show the core busy.
            var burn = ShAsync(sb, "python3 -c 'import time\nwhile time.process_time() < 1.5: pass'");
            double busiest = 0;
            while (!burn.IsCompleted)
            {
                await Task.Delay(300);
                var now = SamplesOf(await UsageAsync(sb.Name));
                Assert.InRange(now.Count, 1, UsageDaemon.Samples);
                busiest = Math.Max(busiest, now.Max(s => (double?)s["cpuPercent"] ?? 0));
            }
            Assert.Equal(0, (await burn).ExitCode);
            await Task.Delay(500);
            var after = SamplesOf(await UsageAsync(sb.Name));
            var used = (long)after[^1]["cpuUsec"]! - before;
            Assert.True(used >= 1_400_000, $"the cgroup counted {used} µs of CPU for a loop that used 1.5 s");
            Assert.True(busiest >= 10, $"the busiest sample showed {busiest} % CPU during a busy loop");

            // The ring holds the last 8 samples, oldest first, 0.2 s apart.
            Assert.Equal(UsageDaemon.Samples, after.Count);
            var times = after.Select(s => DateTimeOffset.Parse((string)s["ts"]!)).ToList();
            Assert.Equal(times.Order(), times);
            Assert.True(times[^1] - times[0] < TimeSpan.FromSeconds(5), $"the ring spans {times[^1] - times[0]}");
        }
        finally
        {
            await sb.DeleteAsync();
        }
        using var http = Http();
        using var gone = await http.GetAsync($"/v1/sandboxes/{sb.Name}/usage");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Unknown_sandbox_is_404_and_no_token_is_401()
    {
        using var http = Http();
        using var unknown = await http.GetAsync($"/v1/sandboxes/{SharedDaemon.NewName("nosuch")}/usage");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        var sb = await fixture.Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("usage-auth"), Base());
        try
        {
            using var anonymous = Http(auth: false);
            using var r = await anonymous.GetAsync($"/v1/sandboxes/{sb.Name}/usage");
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.DoesNotContain("cpuUsec", await r.Content.ReadAsStringAsync());
            using var wrong = Http(auth: false);
            wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token");
            using var r2 = await wrong.GetAsync($"/v1/sandboxes/{sb.Name}/usage");
            Assert.Equal(HttpStatusCode.Unauthorized, r2.StatusCode);
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }
}
