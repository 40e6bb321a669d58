using System.Globalization;
using System.Text.Json.Nodes;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.EndToEnd;

/// <summary>Secrets changing under a running sandbox: revocation, rotation, bindings added and removed, scopes, restarts, the CLI.</summary>
[Collection("secrets")]
public sealed class SecretLifecycleTests(SecretDaemon fx)
{
    private static string Random(string prefix) => prefix + System.Security.Cryptography.RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 32);

    [Fact]
    public async Task A_loop_of_requests_sees_the_first_failure_within_100_ms_of_delete()
    {
        await fx.Hive.Secrets.CreateAsync(new SecretCreateOptions { Name = "rev-key", Value = Random("rk-"), Hosts = ["other.example.test"], Auth = SecretAuth.Header("X-Rev") });
        await fx.BindAsync("REV_KEY", "rev-key");
        var loop = fx.ShAsync("""
            python3 - <<'PY'
            import http.client, os, ssl, time
            conn = http.client.HTTPSConnection("other.example.test", int(os.environ["HTTPS"]), context=ssl.create_default_context())
            end, denied = time.time() + 40, 0
            while time.time() < end and denied < 20:
                conn.request("GET", "/hello", headers={"X-Rev": os.environ["REV_KEY"]})
                r = conn.getresponse(); r.read()
                print("%.6f %d" % (time.time(), r.status), flush=True)
                if r.status == 403: denied += 1
            PY
            """, 90_000);
        await WaitForActivityAsync("rev-key");
        await Task.Delay(300);
        var deleting = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        await fx.Hive.Secrets.DeleteAsync("rev-key");
        var deleted = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var result = await loop;
        var samples = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).Select(p => (Time: double.Parse(p[0], CultureInfo.InvariantCulture), Status: int.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
        Assert.Contains(samples, s => s.Status == 200 && s.Time < deleting);
        var firstDenied = samples.First(s => s.Status == 403);
        Assert.True(firstDenied.Time - deleted <= 0.1, $"first refusal {firstDenied.Time - deleted:F3} s after DELETE returned");
        // Once refused, never forwarded again.
        Assert.All(samples.SkipWhile(s => s.Status != 403), s => Assert.Equal(403, s.Status));
        await fx.BindAsync("REV_KEY", null);
    }

    [Fact]
    public async Task Rotation_mid_stream_switches_to_the_new_value_on_the_next_request()
    {
        string v1 = Random("rot1-"), v2 = Random("rot2-");
        await fx.Hive.Secrets.CreateAsync(new SecretCreateOptions { Name = "rot-key", Value = v1, Hosts = ["api.example.test"], Auth = SecretAuth.Header("X-Rot") });
        await fx.BindAsync("ROT_KEY", "rot-key");
        var loop = fx.ShAsync("""
            python3 - <<'PY'
            import http.client, json, os, ssl, time
            conn = http.client.HTTPSConnection("api.example.test", int(os.environ["HTTPS"]), context=ssl.create_default_context())
            end = time.time() + 40
            while time.time() < end and not os.path.exists("/tmp/rot-stop"):
                conn.request("GET", "/echo", headers={"X-Rot": os.environ["ROT_KEY"]})
                r = conn.getresponse(); body = r.read()
                # The answer shows the stand-in (the proxy scrubs it): its id says what the upstream received.
                print(json.loads(body)["id"] if r.status == 200 else "status-%d" % r.status, flush=True)
            PY
            """, 90_000);
        await WaitForActivityAsync("rot-key");
        await Task.Delay(300);
        var info = await fx.Hive.Secrets.RotateAsync("rot-key", v2);
        Assert.NotNull(info.RotatedAt);
        await Task.Delay(1500);
        await fx.ShAsync("touch /tmp/rot-stop");
        var values = (await loop).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(id => TestUpstream.Received.TryGetValue(id, out var json) ? (string?)JsonNode.Parse(json)!["headers"]!["x-rot"] ?? "-" : id).ToArray();
        Assert.Equal(v1, values[0]);
        Assert.Equal(v2, values[^1]);
        var switched = Array.IndexOf(values, v2);
        Assert.All(values[..switched], v => Assert.Equal(v1, v));
        Assert.All(values[switched..], v => Assert.Equal(v2, v));
        await fx.BindAsync("ROT_KEY", null);
        await fx.Hive.Secrets.DeleteAsync("rot-key");
    }

    [Fact]
    public async Task Apply_config_adds_and_removes_bindings_and_a_removed_stand_in_fails_closed()
    {
        var value = Random("tmp-");
        await fx.Hive.Secrets.CreateAsync(new SecretCreateOptions { Name = "tmp-key", Value = value, Hosts = ["other.example.test"], Auth = SecretAuth.Header("X-Tmp") });
        var applied = await fx.BindAsync("TMP_KEY", "tmp-key");
        Assert.Empty(applied.Warnings);
        var standIn = (await fx.ShAsync("printf %s \"$TMP_KEY\"")).Stdout;
        Assert.Equal(value.Length, standIn.Length);
        Assert.NotEqual(value, standIn);
        var echo = SecretDaemon.Json((await fx.ShAsync($"curl -sS -H 'X-Tmp: {standIn}' https://other.example.test:$HTTPS/echo")).Stdout);
        Assert.Equal(value, (string?)echo["headers"]!["x-tmp"]);

        var before = await fx.LastEventIdAsync();
        await fx.BindAsync("TMP_KEY", null);
        // New processes no longer get it (it was bound after the container started, so only exec carried it).
        Assert.Equal("", (await fx.ShAsync("printf %s \"${TMP_KEY:-}\"")).Stdout);
        var refused = await fx.ShAsync($"curl -sS -o /dev/null -w '%{{http_code}}' -H 'X-Tmp: {standIn}' https://other.example.test:$HTTPS/echo");
        Assert.Equal("403", refused.Stdout);
        Assert.Contains(await fx.EventsAfterAsync(before, "secret.*"), e => e.Type == "secret.revoked" && e.Get<string>("secret") == "tmp-key");

        // A binding to a secret that does not exist: a warning, and its stand-in fails closed too.
        var missing = await fx.BindAsync("NOPE_KEY", "no-such-secret");
        Assert.Contains(missing.Warnings, w => w.Contains("no-such-secret", StringComparison.Ordinal));
        var nope = await fx.ShAsync("curl -sS -o /dev/null -w '%{http_code}' -H \"X-Anything: $NOPE_KEY\" https://api.example.test:$HTTPS/echo");
        Assert.Equal("403", nope.Stdout);
        await fx.BindAsync("NOPE_KEY", null);
        await fx.Hive.Secrets.DeleteAsync("tmp-key");
    }

    [Fact]
    public async Task A_sandbox_scoped_secret_is_injected_at_once_and_stops_at_once()
    {
        var value = Random("scoped-");
        var info = await fx.Hive.Secrets.CreateAsync(new SecretCreateOptions
        {
            Name = "scoped-key", Value = value, Hosts = ["other.example.test"], Auth = SecretAuth.Query("token"), Sandbox = fx.Sandbox.Name,
        });
        Assert.Equal(fx.Sandbox.Name, info.Sandbox);
        var echo = SecretDaemon.Json((await fx.ShAsync("curl -sS \"https://other.example.test:$HTTPS/echo?a=1\"")).Stdout);
        Assert.Equal("?a=1&token=" + value, (string?)echo["query"]);
        Assert.Contains(await fx.Hive.Secrets.ListAsync(), s => s.Name == "scoped-key" && s.Sandbox == fx.Sandbox.Name && s.Masked == value[..4] + "****" + value[^4..]);
        await fx.Hive.Secrets.DeleteAsync("scoped-key", fx.Sandbox.Name);
        var after = SecretDaemon.Json((await fx.ShAsync("curl -sS \"https://other.example.test:$HTTPS/echo?a=1\"")).Stdout);
        Assert.Equal("?a=1", (string?)after["query"]);
    }

    [Fact]
    public async Task Activity_lists_requests_newest_first_and_filters_by_status_class()
    {
        await fx.ShAsync("""
            curl -sS -o /dev/null -H "X-Api-Key: $API_KEY" https://api.example.test:$HTTPS/activity-one
            curl -sS -o /dev/null -H "X-Api-Key: $API_KEY" https://other.example.test:$HTTPS/activity-misuse
            curl -sS -o /dev/null -H "X-Api-Key: $API_KEY" https://api.example.test:$HTTPS/activity-two
            """);
        var all = await fx.Hive.Secrets.ActivityAsync("api-key", new SecretActivityOptions { Limit = 3 });
        Assert.Equal(["/activity-two", "/activity-misuse", "/activity-one"], all.Select(a => a.Path ?? "").ToArray());
        var latest = all[0];
        Assert.Equal(("used", "GET", "api.example.test", 200, 200, fx.Sandbox.Name), (latest.Kind, latest.Method, latest.Host, latest.Status, latest.UpstreamStatus, latest.Sandbox));
        Assert.True(all[0].Id > all[1].Id && all[0].Ts >= all[2].Ts);
        var denied = await fx.Hive.Secrets.ActivityAsync("api-key", new SecretActivityOptions { Status = "4xx" });
        Assert.NotEmpty(denied);
        Assert.All(denied, a => Assert.InRange(a.Status ?? 0, 400, 499));
        Assert.Contains(denied, a => a.Kind == "misuse" && a.Path == "/activity-misuse" && a.UpstreamStatus is null);
        var page = await fx.Hive.Secrets.ActivityAsync("api-key", new SecretActivityOptions { Limit = 1, Before = all[0].Id });
        Assert.Equal(all[1].Id, Assert.Single(page).Id);
        var bad = await Assert.ThrowsAnyAsync<HiveException>(() => fx.Hive.Secrets.ActivityAsync("api-key", new SecretActivityOptions { Status = "6xx" }));
        Assert.Contains(bad.Errors, e => e.Path == "status");
    }

    [Fact]
    public async Task Stand_ins_survive_a_daemon_restart_and_keep_working()
    {
        var before = (await fx.ShAsync("printf %s \"$API_KEY\"")).Stdout;
        await fx.Daemon.KillAsync();
        await fx.Daemon.RestartAsync();
        var after = (await fx.ShAsync("printf %s \"$API_KEY\"")).Stdout;
        Assert.Equal(before, after);
        var echo = SecretDaemon.Json((await fx.ShAsync("curl -sS -H \"X-Api-Key: $API_KEY\" https://api.example.test:$HTTPS/echo")).Stdout);
        Assert.Equal(fx.ApiKey, (string?)echo["headers"]!["x-api-key"]);
    }

    [Fact]
    public async Task The_cli_sets_from_stdin_lists_masked_shows_activity_and_removes()
    {
        var value = Random("cli-");
        var env = fx.Daemon.Env;
        var set = await Proc.RunAsync("bash", ["-c", $"printf '%s\\n' '{value}' | '{Repo.Hive}' secret set -g cli-key --host other.example.test --header X-Cli"], env);
        Assert.True(set.ExitCode == 0, set.Stderr);
        Assert.DoesNotContain(value, set.Stdout + set.Stderr);
        var ls = await Proc.RunAsync(Repo.Hive, ["secret", "ls"], env);
        Assert.Contains("cli-key", ls.Stdout);
        Assert.Contains(value[..4] + "****" + value[^4..], ls.Stdout);
        Assert.DoesNotContain(value, ls.Stdout);
        var json = JsonNode.Parse((await Proc.RunAsync(Repo.Hive, ["secret", "ls", "--json"], env)).Stdout)!.AsArray();
        var entry = json.First(n => (string?)n!["name"] == "cli-key")!;
        Assert.Equal("global", (string?)entry["scope"]);
        Assert.Equal("X-Cli", (string?)entry["auth"]!["name"]);

        var rotate = await Proc.RunAsync("bash", ["-c", $"printf %s '{Random("cli2-")}' | '{Repo.Hive}' secret rotate cli-key"], env);
        Assert.True(rotate.ExitCode == 0, rotate.Stderr);
        var activity = await Proc.RunAsync(Repo.Hive, ["secret", "activity", "api-key", "--limit", "2", "--json"], env);
        Assert.True(activity.ExitCode == 0, activity.Stderr);
        Assert.True(JsonNode.Parse(activity.Stdout)!.AsArray().Count <= 2);
        var badStatus = await Proc.RunAsync(Repo.Hive, ["secret", "activity", "api-key", "--status", "4x"], env);
        Assert.Equal(1, badStatus.ExitCode);
        Assert.Contains("status", badStatus.Stderr);
        var unknown = await Proc.RunAsync("bash", ["-c", $"printf %s '{value}' | '{Repo.Hive}' secret set -g not-a-provider"], env);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("--host", unknown.Stderr);
        Assert.DoesNotContain(value, unknown.Stderr);
        var rm = await Proc.RunAsync(Repo.Hive, ["secret", "rm", "-g", "cli-key"], env);
        Assert.True(rm.ExitCode == 0, rm.Stderr);
        Assert.DoesNotContain(await fx.Hive.Secrets.ListAsync(), s => s.Name == "cli-key");
    }

    private async Task WaitForActivityAsync(string secret)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if ((await fx.Hive.Secrets.ActivityAsync(secret, new SecretActivityOptions { Limit = 1 })).Count > 0) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"no request used {secret} within 60 s");
    }
}

/// <summary>The daemon refuses a master key it cannot trust, before it does anything else.</summary>
public sealed class MasterKeyTests
{
    [Theory]
    [InlineData("mode", "chmod 600")]
    [InlineData("size", "holds 5 bytes")]
    [InlineData("env", "HIVE_MASTER_KEY")]
    public async Task A_key_file_others_can_read_or_of_the_wrong_size_or_a_bad_env_key_is_refused(string problem, string message)
    {
        Prerequisites.Check();
        var home = Directory.CreateTempSubdirectory("hive-key-").FullName;
        try
        {
            var key = Path.Combine(home, "master.key");
            var env = new Dictionary<string, string> { ["HIVE_HOME"] = home };
            switch (problem)
            {
                case "mode":
                    await File.WriteAllBytesAsync(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
                    File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                    break;
                case "size":
                    await File.WriteAllBytesAsync(key, [1, 2, 3, 4, 5]);
                    File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    break;
                default:
                    env["HIVE_MASTER_KEY"] = "not-a-key";
                    break;
            }
            var r = await Proc.RunAsync(Repo.Hive, ["daemon"], env, TimeSpan.FromSeconds(60));
            Assert.Equal(1, r.ExitCode);
            Assert.Contains(message, r.Stderr);
            Assert.False(File.Exists(Path.Combine(home, "hive.db")), "the daemon went on after refusing the key");
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
