using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Hive.EndToEnd.Infrastructure;
using HiveClient;
using static Hive.EndToEnd.Infrastructure.ObjectStoreDaemons;

namespace Hive.EndToEnd;

/// <summary>
/// Object-store volumes (fs[].backend s3 and azure) run by real daemons against real s3rver and Azurite: two daemons
/// sharing a bucket, a daemon killed during an upload, a store that goes away, and credentials that never show.
/// </summary>
[Collection("objstore")]
public class ObjectStoreVolumeTests(ObjectStoreDaemons fx)
{
    public static TheoryData<string> Kinds => new() { "s3", "azure" };

    private static string Text(byte[]? bytes) => bytes is null ? "<none>" : Encoding.UTF8.GetString(bytes);

    /// <summary>True once a process in the sandbox has <paramref name="file"/> (under /data) open.</summary>
    private static async Task<bool> IsOpenAsync(Sandbox sb, string file) =>
        (await ShAsync(sb, $"ls -l /proc/[0-9]*/fd 2>/dev/null | grep -q ' /data/{file}$'")).ExitCode == 0;

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Two_daemons_sharing_a_bucket_see_closed_files_and_a_conflict_overwrites_nothing(string kind)
    {
        var server = fx.Server(kind);
        var bucket = await server.NewBucketAsync();
        using var hiveA = fx.A.Connect();
        using var hiveB = fx.B.Connect();
        var name = SharedDaemon.NewName("objshare");
        var a = await CreateAsync(fx.A, hiveA, name, server, bucket, prefix: "team/shared");
        try
        {
            var b = await CreateAsync(fx.B, hiveB, name, server, bucket, prefix: "team/shared");
            try
            {
                // A file closed on one daemon is seen on the other once the attribute timeout (1 s) has passed.
                await OkAsync(a, "mkdir notes && echo from-a > notes/a.txt");
                await UntilAsync(async () => (await ShAsync(b, "cat notes/a.txt")).Stdout == "from-a\n", "B reads what A closed", 15);
                await OkAsync(b, "echo from-b >> notes/a.txt");
                await UntilAsync(async () => (await ShAsync(a, "cat notes/a.txt")).Stdout == "from-a\nfrom-b\n", "A reads what B appended", 15);
                Assert.Equal("from-a\nfrom-b\n", Text(await server.GetAsync(bucket, "team/shared/notes/a.txt")));

                // Conflicting writers: B opens the file, A writes and closes it, then B writes and closes.
                await OkAsync(a, "printf original > shared.txt");
                await UntilAsync(async () => (await ShAsync(b, "cat shared.txt")).Stdout == "original", "B reads shared.txt", 15);
                var later = ShAsync(b, "(while [ ! -e /tmp/go ]; do usleep 20000; done; printf from-b-later) | dd of=shared.txt conv=notrunc 2>&1; echo rc=$?");
                await UntilAsync(() => IsOpenAsync(b, "shared.txt"), "B's writer has shared.txt open");
                await OkAsync(a, "printf from-a-first > shared.txt");
                await OkAsync(b, "touch /tmp/go");
                var result = await later;
                Assert.Contains("Input/output error", result.Stdout);
                Assert.DoesNotContain("rc=0", result.Stdout);

                // Nothing silently overwritten: the object is A's, B's copy lies beside it, B was told with an error event.
                Assert.Equal("from-a-first", Text(await server.GetAsync(bucket, "team/shared/shared.txt")));
                var copy = Assert.Single(await server.KeysAsync(bucket, "team/shared/shared.txt.conflict-"));
                Assert.Equal("from-b-later", Text(await server.GetAsync(bucket, copy)));
                var events = await b.GetEventsAsync(types: "fs.*", limit: 10_000);
                var told = Assert.Single(events, e => e.Type == "fs.request" && e.Get<string>("path") == "/data/shared.txt"
                    && (e.Get<string>("detail") ?? "").Contains("conflict", StringComparison.Ordinal));
                Assert.Equal("/data", told.Get<string>("mount"));
                Assert.Contains(copy["team/shared/".Length..], told.Get<string>("detail"));
                Assert.Contains(events, e => e.Type == "fs.response" && e.Get<long>("requestId") == told.Id && e.Get<string>("error") == "EIO");
                Assert.DoesNotContain((await a.GetEventsAsync(types: "fs.request", limit: 10_000)),
                    e => (e.Get<string>("detail") ?? "").Contains("conflict", StringComparison.Ordinal));
                // Both mounts show the store's version (B after its attribute timeout).
                Assert.Equal("from-a-first", await OkAsync(a, "cat shared.txt"));
                await UntilAsync(async () => (await ShAsync(b, "cat shared.txt")).Stdout == "from-a-first", "B shows the store's version", 15);
            }
            finally
            {
                await hiveB.DeleteSandboxAsync(name);
            }
        }
        finally
        {
            await hiveA.DeleteSandboxAsync(name);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_daemon_killed_during_an_upload_uploads_the_closed_file_after_its_restart(string kind)
    {
        var server = fx.Server(kind);
        var bucket = await server.NewBucketAsync();
        var name = SharedDaemon.NewName("objkill");
        var hive = fx.A.Connect();
        var sb = await CreateAsync(fx.A, hive, name, server, bucket);
        var pending = Path.Combine(fx.A.Home, "cache", "objects", name + ".0", "pending");
        try
        {
            var sha = (await OkAsync(sb, "dd if=/dev/urandom of=/tmp/big bs=1M count=24 2>/dev/null && sha256sum /tmp/big && mkfifo /tmp/fifo")).Split(' ')[0];
            // The writer makes big.bin (empty: every close uploads, so it is in the store now), then appends what the
            // FIFO brings: it writes and closes when the FIFO is fed, and that close is when the upload happens.
            var writer = ShAsync(sb, ": > big.bin && cat /tmp/fifo >> big.bin; echo rc=$?", 300_000);
            // (In this order: an open seen after the empty object is in the store is the append's, not the first one's.)
            await UntilAsync(async () => await server.GetAsync(bucket, "big.bin") is [] && await IsOpenAsync(sb, "big.bin"),
                "the writer made big.bin and has it open again");
            // The store stops answering, so the upload the close starts cannot finish: it is caught in flight.
            server.Pause();
            try
            {
                await OkAsync(sb, "cat /tmp/big > /tmp/fifo");
                // Journaled before it is sent, over the empty object's version (the empty file's own entry had none).
                await UntilAsync(() => Task.FromResult(Directory.GetFiles(pending, "*.json")
                    .Any(f => !ReadShared(f).Contains("\"BaseETag\":null", StringComparison.Ordinal))), "the close started the upload (journaled)");
                await fx.A.KillAsync();
            }
            finally
            {
                server.Resume();
            }
            _ = writer.ContinueWith(t => t.Exception, TaskScheduler.Default); // its daemon died with it
            var before = await server.GetAsync(bucket, "big.bin");
            Assert.Equal(0, before?.Length); // the store still has the empty version

            await fx.A.RestartAsync();
            hive.Dispose();
            hive = fx.A.Connect();
            await UntilAsync(async () => await server.GetAsync(bucket, "big.bin") is { } got && Convert.ToHexStringLower(SHA256.HashData(got)) == sha,
                "the restarted daemon uploaded what was closed", 60);
            await UntilAsync(() => Task.FromResult(Directory.GetFiles(pending, "*.json").Length == 0), "the journal is empty");
            sb = await hive.GetSandboxAsync(name);
            Assert.StartsWith(sha, await OkAsync(sb, "sha256sum big.bin"));
            // The writer's close does not hang: the requests the killed daemon had read end with an error.
            await UntilAsync(async () => !await IsOpenAsync(sb, "big.bin"), "the writer's close returned", 30);
        }
        finally
        {
            if (fx.A.Pid == 0) await fx.A.RestartAsync(); // failed between the kill and the restart: the next tests need it
            await hive.DeleteSandboxAsync(name);
            hive.Dispose();
        }
    }

    private static string ReadShared(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return ""; // replaced while read
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_store_that_goes_away_gives_EIO_in_time_and_an_error_event_and_recovers(string kind)
    {
        var server = fx.Server(kind);
        var bucket = await server.NewBucketAsync();
        var name = SharedDaemon.NewName("objaway");
        using var hive = fx.A.Connect();
        var sb = await CreateAsync(fx.A, hive, name, server, bucket);
        try
        {
            await OkAsync(sb, "mkdir d && echo one > d/one.txt");
            var writer = ShAsync(sb, "(while [ ! -e /tmp/go ]; do usleep 20000; done; printf 'written while away') | dd of=d/kept.txt 2>&1; echo rc=$?");
            await UntilAsync(() => IsOpenAsync(sb, "d/kept.txt"), "the writer has d/kept.txt open");
            await server.PersistedAsync("d/one.txt");
            server.Kill();
            try
            {
                var clock = Stopwatch.StartNew();
                await OkAsync(sb, "touch /tmp/go");
                var closed = await writer;
                Assert.Contains("Input/output error", closed.Stdout);
                Assert.DoesNotContain("rc=0", closed.Stdout);
                var reads = await ShAsync(sb, "cat d/one.txt; echo rc=$?; echo new > d/new.txt; echo rc=$?");
                Assert.Contains("Input/output error", reads.Stderr);
                Assert.DoesNotContain("rc=0", reads.Stdout);
                // No hang: each failed call took at most the store deadline (5 s); four of them, with margin for a loaded host.
                Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(StoreTimeoutMs * 5), $"took {clock.Elapsed}");
                // The agent still reads what it wrote (the cached copy waits for the store).
                Assert.Equal("written while away", await OkAsync(sb, "cat d/kept.txt"));
                var events = await sb.GetEventsAsync(types: "fs.*", limit: 10_000);
                // The close's own, and maybe the background retry's after it.
                var told = events.First(e => e.Type == "fs.request" && e.Get<string>("path") == "/data/d/kept.txt"
                    && (e.Get<string>("detail") ?? "").Contains("upload failed", StringComparison.Ordinal));
                Assert.Equal("/data", told.Get<string>("mount"));
                Assert.Contains(bucket, told.Get<string>("detail"));
                Assert.Contains(events, e => e.Type == "fs.response" && e.Get<long>("requestId") == told.Id && e.Get<string>("error") == "EIO");
            }
            finally
            {
                server.Restart();
            }
            // Back: reads work again and the journaled upload reaches the store (retried every 10 s).
            await UntilAsync(async () => (await ShAsync(sb, "cat d/one.txt")).Stdout == "one\n", "reads work again", 30);
            await UntilAsync(async () => Text(await server.GetAsync(bucket, "d/kept.txt")) == "written while away", "the pending upload reached the store", 40);
            await OkAsync(sb, "echo three > d/three.txt");
            Assert.Equal("three\n", Text(await server.GetAsync(bucket, "d/three.txt")));
        }
        finally
        {
            await hive.DeleteSandboxAsync(name);
        }
    }

    [Fact]
    public async Task Credentials_never_show_in_events_logs_or_the_api()
    {
        using var hive = fx.A.Connect();
        var canaries = new List<string>();
        var names = new List<string>();
        foreach (var server in new[] { fx.S3, fx.Azure })
        {
            canaries.AddRange(server.SecretParts);
            var bucket = await server.NewBucketAsync();
            var name = SharedDaemon.NewName("objcred");
            names.Add(name);
            var sb = await CreateAsync(fx.A, hive, name, server, bucket);
            await OkAsync(sb, "mkdir d && echo hello > d/a.txt && cat d/a.txt && ls d");
            // Failures: a store that stops answering (reads and an upload time out), refused creates.
            var writer = ShAsync(sb, "(while [ ! -e /tmp/go ]; do usleep 20000; done; echo later) | dd of=d/b.txt 2>&1; echo rc=$?");
            await UntilAsync(() => IsOpenAsync(sb, "d/b.txt"), "the writer has d/b.txt open");
            server.Pause();
            try
            {
                await OkAsync(sb, "touch /tmp/go");
                Assert.DoesNotContain("rc=0", (await writer).Stdout);
                Assert.NotEqual(0, (await ShAsync(sb, "cat d/a.txt")).ExitCode);
            }
            finally
            {
                server.Resume();
            }
            var refused = new List<string>();
            // A bucket that does not exist, and credentials the store refuses (themselves distinctive values).
            var wrong = server.Kind == "s3" ? $"{server.KeyId}WRONG:{server.Secret}WRONG" : server.Credential.Replace(server.Secret, server.Secret[..^4] + "AAA=");
            canaries.Add(wrong);
            await hive.Secrets.CreateAsync(new SecretCreateOptions { Name = "objops-wrong-" + server.Kind, Value = wrong, Hosts = ["wrong.objops.test"], Auth = SecretAuth.Bearer(), Global = true });
            foreach (var (json, field) in new[]
                     {
                         ($$"""{ "image": "hive/minimal", "fs": [ {{server.MountJson("/data", "no-such-" + bucket, SecretName(server.Kind))}} ] }""",
                             server.Kind == "s3" ? "fs[0].bucket" : "fs[0].container"),
                         ($$"""{ "image": "hive/minimal", "fs": [ {{server.MountJson("/data", bucket, "objops-wrong-" + server.Kind)}} ] }""", "fs[0].credentials"),
                     })
            {
                using var response = await PutAsync(fx.A, SharedDaemon.NewName("objbad"), json);
                var body = await response.Content.ReadAsStringAsync();
                Assert.True((int)response.StatusCode is 400 or 422, $"{(int)response.StatusCode} {body}");
                Assert.Contains(field, body);
                refused.Add(body);
            }
            using var http = Http(fx.A);
            var answers = new List<string>(refused)
            {
                await http.GetStringAsync($"/v1/sandboxes/{name}/config"),
                await http.GetStringAsync($"/v1/sandboxes/{name}"),
                await http.GetStringAsync("/v1/sandboxes"),
                await http.GetStringAsync("/v1/secrets"),
            };
            Assert.Contains(SecretName(server.Kind), answers[refused.Count]);
            foreach (var answer in answers) AssertNone(canaries, answer, "an API answer");
        }
        // The whole event log, page by page.
        using (var http = Http(fx.A))
        {
            long after = 0;
            var total = 0;
            while (true)
            {
                var page = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync($"/v1/events?after={after}&limit=1000&follow=false"))!;
                var events = page is System.Text.Json.Nodes.JsonArray array ? array : page["events"]!.AsArray();
                if (events.Count == 0) break;
                AssertNone(canaries, events.ToJsonString(), "the event log");
                total += events.Count;
                after = (long)events[^1]!["id"]!;
            }
            Assert.True(total > 20, $"only {total} events");
        }
        // What the paused stores answered reached the daemon's log (checked for credentials with the rest below).
        Assert.Contains("object store:", Encoding.Latin1.GetString(await File.ReadAllBytesAsync(fx.A.Log)));
        // Every file the daemons keep (logs, databases, journals, session records), except images and file contents.
        foreach (var home in new[] { fx.A.Home, fx.B.Home })
            foreach (var file in Directory.EnumerateFiles(home, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 }))
            {
                var relative = Path.GetRelativePath(home, file);
                if (relative.StartsWith("images", StringComparison.Ordinal) || relative.StartsWith("sandboxes", StringComparison.Ordinal)
                    || relative.Contains("/data/", StringComparison.Ordinal) || new FileInfo(file).Length > 256 << 20) continue;
                string text;
                try { text = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)); }
                catch (IOException) { continue; }
                AssertNone(canaries, text, relative);
            }
        foreach (var name in names) await hive.DeleteSandboxAsync(name);
    }

    private static void AssertNone(IEnumerable<string> canaries, string text, string where)
    {
        foreach (var c in canaries)
            Assert.False(text.Contains(c, StringComparison.Ordinal), $"{where} holds a credential ({c[..6]}…)");
    }
}
