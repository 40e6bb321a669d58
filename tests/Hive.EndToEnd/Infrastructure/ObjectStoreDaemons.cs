using System.Net.Http.Headers;
using System.Text;
using HiveClient;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>
/// Two real daemons (each its own HIVE_HOME, port and subnet) and two real object stores (s3rver, Azurite) with
/// distinctive credentials, stored on both daemons as the secrets <c>objops-s3</c> and <c>objops-azure</c>. A call on
/// a store has a 5 s deadline (HIVE_FILES_TIMEOUT_MS) so tests of a store that goes away stay short.
/// </summary>
public sealed class ObjectStoreDaemons : IAsyncLifetime
{
    public const int StoreTimeoutMs = 5000;

    public DaemonProcess A { get; private set; } = null!;
    public DaemonProcess B { get; private set; } = null!;
    public ObjectStoreServer S3 { get; private set; } = null!;
    public ObjectStoreServer Azure { get; private set; } = null!;

    public ObjectStoreServer Server(string kind) => kind == "s3" ? S3 : Azure;

    public static string SecretName(string kind) => "objops-" + kind;

    public async Task InitializeAsync()
    {
        S3 = new ObjectStoreServer("s3");
        Azure = new ObjectStoreServer("azure");
        var env = new Dictionary<string, string> { ["HIVE_FILES_TIMEOUT_MS"] = StoreTimeoutMs.ToString() };
        A = await DaemonProcess.StartAsync(env: env);
        B = await DaemonProcess.StartAsync(env: env);
        foreach (var daemon in new[] { A, B })
        {
            using var hive = daemon.Connect();
            foreach (var server in new[] { S3, Azure })
                await hive.Secrets.CreateAsync(new SecretCreateOptions
                {
                    Name = SecretName(server.Kind), Value = server.Credential, Hosts = [$"{server.Kind}.objops.test"], Auth = SecretAuth.Bearer(), Global = true,
                });
        }
    }

    /// <summary>
    /// Creates a hive/minimal sandbox whose <c>/data</c> is <paramref name="bucket"/> (under <paramref name="prefix"/>)
    /// on <paramref name="server"/>. The client's FsMount has no object-store fields, so the config goes as JSON.
    /// </summary>
    public static async Task<Sandbox> CreateAsync(DaemonProcess daemon, HiveConnection hive, string name, ObjectStoreServer server, string bucket,
        string? prefix = null)
    {
        var body = $$"""{ "image": "hive/minimal", "fs": [ {{server.MountJson("/data", bucket, SecretName(server.Kind), prefix)}} ] }""";
        using var response = await PutAsync(daemon, name, body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"create {name}: {(int)response.StatusCode} {text}");
        return await hive.GetSandboxAsync(name);
    }

    /// <summary>PUT /v1/sandboxes/NAME with a raw JSON config (the answer is the caller's).</summary>
    public static async Task<HttpResponseMessage> PutAsync(DaemonProcess daemon, string name, string json)
    {
        using var http = Http(daemon);
        return await http.PutAsync($"/v1/sandboxes/{name}", new StringContent(json, Encoding.UTF8, "application/json"));
    }

    public static HttpClient Http(DaemonProcess daemon)
    {
        var http = new HttpClient { BaseAddress = new Uri(daemon.Url), Timeout = TimeSpan.FromSeconds(120) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", daemon.Token);
        return http;
    }

    /// <summary>Runs a busybox sh script in the sandbox; the result whatever its exit code.</summary>
    public static Task<ExecResult> ShAsync(Sandbox sb, string script, int timeoutMs = 60_000) =>
        sb.ExecAsync(new ExecRequest { Command = new ExecCommand(["sh", "-c", script]), Cwd = "/data", TimeoutMs = timeoutMs });

    /// <summary>Runs a script; fails the test with its output unless it exits 0.</summary>
    public static async Task<string> OkAsync(Sandbox sb, string script, int timeoutMs = 60_000)
    {
        var r = await ShAsync(sb, script, timeoutMs);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode} from:\n{script}\nstdout: {r.Stdout}\nstderr: {r.Stderr}");
        return r.Stdout;
    }

    /// <summary>Polls <paramref name="condition"/> every 100 ms until it holds; fails with <paramref name="what"/> after <paramref name="seconds"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"not within {seconds} s: {what}");
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
        }
        finally
        {
            S3.Dispose();
            Azure.Dispose();
        }
    }
}

[CollectionDefinition("objstore")]
public sealed class ObjectStoreCollection : ICollectionFixture<ObjectStoreDaemons>;
