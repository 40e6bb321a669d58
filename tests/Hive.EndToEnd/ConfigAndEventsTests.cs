using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.EndToEnd;

[Collection("daemon")]
public sealed class ConfigAndEventsTests(SharedDaemon fixture)
{
    private HiveConnection Hive => fixture.Hive;

    [Theory]
    [InlineData("""{ "image": "hive/minimal", "egress": [ { "access": "allow", "host": "a.test", "ports": [70000] } ] }""", "egress[0].ports[0]")]
    [InlineData("""{ "image": "hive/minimal", "colour": "blue" }""", "colour")]
    [InlineData("""{ "image": "hive/minimal", "ttl": -1 }""", "ttl")]
    [InlineData("""{ "image": "hive/minimal", "fs": [ { "backend": "local", "mount": "relative" } ] }""", "fs[0].mount")]
    [InlineData("""{ "image": "hive/nope" }""", "image")]
    public async Task Invalid_config_gets_400_with_the_json_path_and_creates_nothing(string body, string path)
    {
        var name = SharedDaemon.NewName("bad");
        using var http = Http();
        var response = await http.PutAsync($"/v1/sandboxes/{name}", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains(problem["errors"]!.AsArray(), e => (string?)e!["path"] == path);
        Assert.Contains(path, (string?)problem["detail"]);
        await Assert.ThrowsAsync<HiveNotFoundException>(() => Hive.GetSandboxAsync(name));
    }

    [Fact]
    public async Task Requests_without_the_token_are_refused()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Daemon.Url) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v1/health")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/v1/sandboxes")).StatusCode);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/v1/sandboxes")).StatusCode);
        var openapi = await http.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/v1/sandboxes/{name}/exec", openapi);
        var mode = File.GetUnixFileMode(Path.Combine(fixture.Daemon.Home, "token"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public async Task Apply_changes_mutable_fields_rejects_immutable_ones_and_redacts_overrides()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("apply"), SharedDaemon.Minimal());
        try
        {
            var config = await sb.GetConfigAsync();
            config.Ttl = 900;
            config.Egress = [new EgressRule { Access = "allow", Host = "api.example.test", Override = new EgressOverride { Headers = new() { ["X-Token"] = "super-secret-value" } } }];
            var result = await sb.ApplyConfigAsync(config);
            Assert.True(result.Applied);
            Assert.Contains(result.Changes, c => c.Contains("ttl"));
            Assert.Equal("***", result.Config.Egress![0].Override!.Headers!["X-Token"]);
            var shown = await sb.GetConfigAsync();
            Assert.Equal(900, shown.Ttl);
            Assert.Equal("***", shown.Egress![0].Override!.Headers!["X-Token"]);

            // Applying the redacted config back keeps the value in force (it is not replaced by "***").
            var roundTrip = await sb.ApplyConfigAsync(await sb.GetConfigAsync());
            Assert.True(roundTrip.Applied);
            Assert.Empty(roundTrip.Changes);

            var immutable = await sb.GetConfigAsync();
            immutable.Image = "hive/base";
            var e = await Assert.ThrowsAsync<HiveValidationException>(() => sb.ApplyConfigAsync(immutable));
            Assert.Equal(422, e.Status);
            Assert.Contains(e.Errors, x => x.Path == "image");

            var events = await sb.GetEventsAsync(types: "config.*");
            Assert.Contains(events, x => x.Get<bool>("success"));
            Assert.Contains(events, x => !x.Get<bool>("success"));
            var all = string.Join("\n", (await sb.GetEventsAsync()).Select(x => x.ToString()));
            Assert.DoesNotContain("super-secret-value", all);
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }

    [Fact]
    public async Task Events_are_stored_filtered_paged_and_resumed_without_loss()
    {
        var sb = await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("ev"), SharedDaemon.Minimal());
        try
        {
            for (var i = 0; i < 3; i++) await sb.ExecAsync(["true"]);
            var all = await sb.GetEventsAsync();
            Assert.Equal(all.Select(e => e.Id).Order(), all.Select(e => e.Id));
            Assert.Contains(all, e => e.Type == "sandbox.created" && e.Get<string>("image") == "hive/minimal");
            Assert.Contains(all, e => e.Type == "sandbox.started");
            var execs = await sb.GetEventsAsync(types: "exec.*");
            Assert.Equal(6, execs.Count);
            var request = execs.First(e => e.Type == "exec.request");
            var response = execs.First(e => e.Type == "exec.response");
            Assert.Equal(request.Id, response.Get<long>("requestId"));
            Assert.Equal(0, response.Get<int>("exitCode"));

            // Resume from the middle: exactly the later events, in order, then live ones.
            var resumeAfter = execs[1].Id;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var seen = new List<SandboxEvent>();
            var reader = Task.Run(async () =>
            {
                await foreach (var e in sb.GetEventsStream("exec.*", resumeAfter, cts.Token))
                {
                    seen.Add(e);
                    if (seen.Count == 6) break;
                }
            });
            await sb.ExecAsync(["true"]);
            await reader;
            Assert.Equal(execs.Skip(2).Select(e => e.Id), seen.Take(4).Select(e => e.Id));
            Assert.True(seen[4].Id > execs[^1].Id);
            Assert.Equal("exec.request", seen[4].Type);

            var page = await sb.GetEventsAsync(after: all[0].Id, limit: 2);
            Assert.Equal(all.Skip(1).Take(2).Select(e => e.Id), page.Select(e => e.Id));
        }
        finally
        {
            await sb.DeleteAsync();
        }
        Assert.Contains(await Hive.GetEventsAsync(types: "sandbox.destroyed"), e => e.Sandbox == sb.Name);
    }

    private HttpClient Http()
    {
        var http = new HttpClient { BaseAddress = new Uri(fixture.Daemon.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Daemon.Token);
        return http;
    }
}
