using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.EndToEnd;

/// <summary>
/// An S3 volume (a real s3rver on loopback) through a controller: the store check at create runs on a host with the
/// credentials the controller sends over the host wire, the host's file system gets them in the sandbox's secrets, and
/// the sandbox, pinned by no local volume, moves to the other host when its host is killed, its files with it.
/// </summary>
public sealed partial class ClusterTests
{
    [Fact]
    public async Task An_s3_volume_works_through_the_controller_and_follows_its_sandbox_to_another_host()
    {
        using var s3 = new ObjectStoreServer("s3");
        var bucket = await s3.NewBucketAsync();

        using var hive = Rig.Connect();
        var good = SharedDaemon.NewName("s3ok");
        var bad = SharedDaemon.NewName("s3bad");
        await hive.Secrets.CreateAsync(new SecretCreateOptions { Name = good, Value = s3.Credential, Hosts = ["store.example.test"], Auth = SecretAuth.Header("X-Key") });
        await hive.Secrets.CreateAsync(new SecretCreateOptions { Name = bad, Value = "NOT-A-KNOWN-KEY:not-the-secret", Hosts = ["store.example.test"], Auth = SecretAuth.Header("X-Key") });
        using var api = new HttpClient { BaseAddress = new Uri(Rig.Controller.Url) };
        api.DefaultRequestHeaders.Authorization = new("Bearer", Rig.Controller.Token);
        string Config(string secret) => new JsonObject
        {
            ["image"] = "hive/minimal",
            ["fs"] = new JsonArray(new JsonObject
            {
                ["backend"] = "s3", ["mount"] = "/data", ["bucket"] = bucket, ["endpoint"] = s3.Endpoint, ["credentials"] = secret,
            }),
        }.ToJsonString();
        var name = SharedDaemon.NewName("s3");
        var refusedName = SharedDaemon.NewName("s3r");
        try
        {
            // The host asked the store with the credentials the controller sent: refused ones refuse the create, naming the field.
            using (var refused = await api.PutAsync($"/v1/sandboxes/{refusedName}", new StringContent(Config(bad), Encoding.UTF8, "application/json")))
            {
                var text = await refused.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
                Assert.Contains("fs[0].credentials", text);
                Assert.Contains("refused the credentials", text);
                Assert.DoesNotContain("not-the-secret", text);
            }
            await Assert.ThrowsAsync<HiveNotFoundException>(() => hive.GetSandboxAsync(refusedName)); // nothing was stored

            using (var created = await api.PutAsync($"/v1/sandboxes/{name}", new StringContent(Config(good), Encoding.UTF8, "application/json")))
                Assert.True(created.IsSuccessStatusCode, $"{(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
            var sb = await hive.GetSandboxAsync(name);
            var first = sb.Info.Host!;
            var write = await sb.ExecAsync("echo through-the-controller > /data/note.txt && cat /data/note.txt");
            Assert.Equal((0, "through-the-controller\n"), (write.ExitCode, write.Stdout));
            Assert.Equal("through-the-controller\n", Encoding.UTF8.GetString(await s3.GetAsync(bucket, "note.txt") ?? []));

            // Its host dies: nothing pins the sandbox there, so its next command starts it on the other host, on the same bucket.
            var victim = Rig.Hosts.Single(h => h.ClusterName == first);
            await victim.KillAsync();
            try
            {
                await Eventually.TrueAsync(async () => (await hive.GetSandboxAsync(name)).Info.Status == "lost", TimeSpan.FromSeconds(20),
                    () => "the sandbox did not become lost with its host");
                var moved = await hive.GetSandboxAsync(name);
                var read = await moved.ExecAsync("cat /data/note.txt");
                Assert.Equal((0, "through-the-controller\n"), (read.ExitCode, read.Stdout));
                var now = (await hive.GetSandboxAsync(name)).Info;
                Assert.Equal("running", now.Status);
                Assert.NotEqual(first, now.Host);
            }
            finally
            {
                await victim.RestartAsync();
                await Rig.WaitForHostsAsync(Rig.Hosts.Count);
            }
        }
        finally
        {
            try { await hive.DeleteSandboxAsync(name); } catch (HiveException) { }
            try { await hive.DeleteSandboxAsync(refusedName); } catch (HiveException) { }
            await hive.Secrets.DeleteAsync(good);
            await hive.Secrets.DeleteAsync(bad);
        }
    }
}
