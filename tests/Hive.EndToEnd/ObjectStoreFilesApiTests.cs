using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Hive.EndToEnd.Infrastructure;
using static Hive.EndToEnd.Infrastructure.BaseDaemon;

namespace Hive.EndToEnd;

/// <summary>
/// The owner's files API on an object-store mount (s3rver, Azurite), through the daemon from out/hive: it works through
/// the mount's own backend, so what it writes is uploaded and the agent sees it at once, and what the agent writes it
/// reads; symlinks are listed and never followed; every call is an fs.request event; ACLs bind the agent as on a
/// local mount while the owner's API, as for local mounts, is not subject to them.
/// </summary>
[Collection("base")]
public sealed class ObjectStoreFilesApiTests(BaseDaemon fixture)
{
    public static TheoryData<string> Stores => ["s3", "azure"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task The_files_API_reads_writes_lists_and_deletes_on_an_object_store_mount(string kind)
    {
        using var server = new ObjectStoreServer(kind);
        var bucket = await server.NewBucketAsync();
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Daemon.Url), Timeout = TimeSpan.FromSeconds(120) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Daemon.Token);
        var secret = SharedDaemon.NewName("objcred");
        await Ok(await http.PutAsync($"/v1/secrets/{secret}", Json($$"""{ "value": {{JsonValue.Create(server.Credential).ToJsonString()}}, "hosts": ["storage.invalid"], "auth": { "type": "bearer" } }""")));
        const string acls = """[ { "path": "/workspace/secret/**", "access": "deny" }, { "path": "/workspace/**", "access": "rw" } ]""";
        var names = new List<string>();
        try
        {
            var name = await Create(http, names, "objapi", server.MountJson("/workspace", bucket, secret, acls: acls));
            var sb = await fixture.Hive.GetSandboxAsync(name);
            var files = $"/v1/sandboxes/{name}/files/workspace";

            // Written through the API (parents made), read by the agent at once and back through the API.
            await Ok(await http.PutAsync($"{files}/dir/a.txt", new StringContent("from the owner")));
            Assert.Equal("from the owner", await OkAsync(sb, "cat /workspace/dir/a.txt"));
            Assert.Equal("from the owner", await http.GetStringAsync($"{files}/dir/a.txt"));
            // Replaced: the agent sees the new content, not its kernel's cached view.
            await Ok(await http.PutAsync($"{files}/dir/a.txt", new StringContent("second")));
            Assert.Equal("second", await OkAsync(sb, "cat /workspace/dir/a.txt"));

            // What the agent writes (and links) the API reads and lists; a symlink is never followed.
            await OkAsync(sb, "printf agent > /workspace/dir/b.txt && ln -s ../secret/s.txt /workspace/dir/link && mkdir -p /workspace/dir/sub");
            Assert.Equal("agent", await http.GetStringAsync($"{files}/dir/b.txt"));
            var listing = JsonNode.Parse(await http.GetStringAsync($"{files}/dir"))!.AsArray()
                .ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["type"]!.GetValue<string>());
            Assert.Equal(new Dictionary<string, string> { ["a.txt"] = "file", ["b.txt"] = "file", ["link"] = "symlink", ["sub"] = "dir" }, listing);
            using (var link = await http.GetAsync($"{files}/dir/link")) Assert.Equal(HttpStatusCode.Conflict, link.StatusCode);
            using (var link = await http.PutAsync($"{files}/dir/link", new StringContent("x"))) Assert.Equal(HttpStatusCode.Conflict, link.StatusCode);
            Assert.Equal("../secret/s.txt\n", await OkAsync(sb, "readlink /workspace/dir/link"));

            // ACLs: the owner writes where the agent is denied (as on a local mount); the agent cannot read it, even by the link.
            await Ok(await http.PutAsync($"{files}/secret/s.txt", new StringContent("TOPSECRET")));
            Assert.Equal("TOPSECRET", await http.GetStringAsync($"{files}/secret/s.txt"));
            var denied = await ShAsync(sb, "cat /workspace/secret/s.txt; cat /workspace/dir/link");
            Assert.NotEqual(0, denied.ExitCode);
            Assert.DoesNotContain("TOPSECRET", denied.Stdout);

            // A few MB, streamed in and out, checked by sha256.
            var big = RandomNumberGenerator.GetBytes(5 << 20);
            await Ok(await http.PutAsync($"{files}/big.bin", new ByteArrayContent(big)));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(big)), (await OkAsync(sb, "sha256sum /workspace/big.bin")).Split(' ')[0]);
            Assert.Equal(big, await http.GetByteArrayAsync($"{files}/big.bin"));

            // Deleted through the API: gone for the agent; a non-empty directory is refused.
            using (var notEmpty = await http.DeleteAsync($"{files}/dir")) Assert.Equal(HttpStatusCode.Conflict, notEmpty.StatusCode);
            await Ok(await http.DeleteAsync($"{files}/dir/a.txt"));
            await Ok(await http.DeleteAsync($"{files}/dir/link"));
            Assert.Equal("gone\n", await OkAsync(sb, "test -e /workspace/dir/a.txt || test -L /workspace/dir/link || echo gone"));
            using (var missing = await http.GetAsync($"{files}/dir/a.txt")) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

            // It is in the bucket: a second sandbox mounting the same bucket reads what the API wrote.
            var other = await Create(http, names, "objapi2", server.MountJson("/workspace", bucket, secret, acls: acls));
            var sb2 = await fixture.Hive.GetSandboxAsync(other);
            Assert.Equal("agent", await OkAsync(sb2, "cat /workspace/dir/b.txt"));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(big)), (await OkAsync(sb2, "sha256sum /workspace/big.bin")).Split(' ')[0]);

            // Every call is recorded, as on a local mount, and no event carries the credential.
            var events = await sb.GetEventsAsync("fs.request", limit: 1000);
            Assert.Contains(events, e => e.Data["via"]?.GetValue<string>() == "api" && e.Data["path"]?.GetValue<string>() == "/workspace/dir/a.txt"
                && e.Data["op"]?.GetValue<string>() == "write");
            Assert.Contains(events, e => e.Data["via"]?.GetValue<string>() == "api" && e.Data["op"]?.GetValue<string>() == "unlink");
            var all = string.Join("\n", (await sb.GetEventsAsync(limit: 1000)).Select(e => e.Data.ToJsonString()));
            Assert.DoesNotContain(kind == "s3" ? "S3RVER:S3RVER" : "AccountKey", all);
        }
        finally
        {
            foreach (var n in names)
                using (await http.DeleteAsync($"/v1/sandboxes/{n}")) { }
            using (await http.DeleteAsync($"/v1/secrets/{secret}")) { }
        }
    }

    private static async Task<string> Create(HttpClient http, List<string> names, string prefix, string mount)
    {
        var name = SharedDaemon.NewName(prefix);
        names.Add(name);
        await Ok(await http.PutAsync($"/v1/sandboxes/{name}", Json($$"""{ "image": "hive/base", "fs": [ {{mount}} ] }""")));
        return name;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task Ok(HttpResponseMessage response)
    {
        using (response)
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} from {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {await response.Content.ReadAsStringAsync()}");
    }
}
