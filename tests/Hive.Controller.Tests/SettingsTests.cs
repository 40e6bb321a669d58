using Hive.Server.Settings;

namespace Hive.Controller.Tests;

public sealed class SettingsTests
{
    private const string Tls = """ "tls": { "ca": "c/ca.crt", "cert": "c/tls.crt", "key": "/abs/tls.key" } """;

    private static DaemonSettings.FileSettings Parse(string json) => DaemonSettings.Parse(json, "127.0.0.1:9000", "10.201.0.0/16");

    private static ClusterSettings Resolve(string json, DaemonRole role, Dictionary<string, string>? env = null) =>
        Parse(json).Cluster.WithEnvironment(n => env?.GetValueOrDefault(n)).Validate(role, "/var/lib/hive");

    [Fact]
    public void Every_cluster_key_is_read()
    {
        var f = Parse($$"""
            { "role": "host", "cluster": { "listen": "10.0.0.5:7443", "controller": "https://hive-controller:7443", "advertise": "https://10.0.0.5:7443",
              "name": "node-1", "labels": { "zone": "a" }, "capacity": 40, "heartbeatSeconds": 2, {{Tls}} } }
            """);
        Assert.Equal(DaemonRole.Host, f.Role);
        var c = f.Cluster.Validate(f.Role, "/var/lib/hive");
        Assert.Equal(("10.0.0.5:7443", "https://hive-controller:7443/", "https://10.0.0.5:7443/", "node-1", 40, 2.0),
            (c.Listen.ToString(), c.Controller!.ToString(), c.Advertise!.ToString(), c.Name, c.Capacity, c.HeartbeatSeconds));
        Assert.Equal("a", c.Labels["zone"]);
        Assert.Equal(new ClusterTlsPaths("/var/lib/hive/c/ca.crt", "/var/lib/hive/c/tls.crt", "/abs/tls.key"), c.Tls);
    }

    [Fact]
    public void Defaults_are_role_all_and_the_cluster_port_7443()
    {
        var f = Parse("{}");
        Assert.Equal(DaemonRole.All, f.Role);
        Assert.Equal("0.0.0.0:7443", f.Cluster.Listen.ToString());
        Assert.Equal(5, f.Cluster.HeartbeatSeconds);
        Assert.Null(f.Cluster.Capacity);
        Assert.False(string.IsNullOrEmpty(f.Cluster.Name));
        Assert.Same(f.Cluster, f.Cluster.Validate(DaemonRole.All, "/h")); // role all needs nothing of it
    }

    [Fact]
    public void The_flag_wins_over_HIVE_ROLE_which_wins_over_the_file()
    {
        Assert.Equal(DaemonRole.Controller, DaemonSettings.ResolveRole("controller", "host", DaemonRole.All));
        Assert.Equal(DaemonRole.Host, DaemonSettings.ResolveRole(null, "host", DaemonRole.Controller));
        Assert.Equal(DaemonRole.Controller, DaemonSettings.ResolveRole(null, "", DaemonRole.Controller));
        Assert.Contains("HIVE_ROLE: must be all, controller or host, got \"boss\"", Assert.Throws<FormatException>(() => DaemonSettings.ResolveRole(null, "boss", DaemonRole.All)).Message);
        Assert.Contains("--role", Assert.Throws<FormatException>(() => DaemonSettings.ResolveRole("x", null, DaemonRole.All)).Message);
    }

    [Fact]
    public void The_environment_overrides_controller_advertise_and_name()
    {
        var c = Resolve($$"""{ "cluster": { "controller": "https://a:1", "name": "file", {{Tls}} } }""", DaemonRole.Host, new()
        {
            ["HIVE_CLUSTER_CONTROLLER"] = "https://ctl:7443", ["HIVE_CLUSTER_ADVERTISE"] = "https://10.1.2.3:7443", ["HIVE_CLUSTER_NAME"] = "pod-7",
        });
        Assert.Equal(("https://ctl:7443/", "https://10.1.2.3:7443/", "pod-7"), (c.Controller!.ToString(), c.Advertise!.ToString(), c.Name));
        Assert.Contains("HIVE_CLUSTER_ADVERTISE", Assert.Throws<FormatException>(() =>
            Resolve("{}", DaemonRole.All, new() { ["HIVE_CLUSTER_ADVERTISE"] = "http://plain:80" })).Message);
    }

    [Theory]
    [InlineData(DaemonRole.Host, """{ "cluster": { "advertise": "https://h:7443", TLS } }""", "cluster.controller: required when role is host")]
    [InlineData(DaemonRole.Host, """{ "cluster": { "controller": "https://c:7443", TLS } }""", "cluster.advertise: required when role is host")]
    [InlineData(DaemonRole.Host, """{ "cluster": { "controller": "https://c:7443", "advertise": "https://h:7443" } }""", "cluster.tls: required when role is host")]
    [InlineData(DaemonRole.Controller, """{ "cluster": { } }""", "cluster.tls: required when role is controller")]
    public void Each_role_names_the_setting_it_misses(DaemonRole role, string json, string error)
    {
        var e = Assert.Throws<FormatException>(() => Resolve(json.Replace("TLS", Tls), role));
        Assert.StartsWith(error, e.Message);
    }

    [Fact]
    public void A_controller_needs_no_controller_or_advertise_url()
    {
        Assert.NotNull(Resolve($$"""{ "cluster": { {{Tls}} } }""", DaemonRole.Controller).Tls);
    }

    [Fact]
    public void The_public_url_is_the_base_of_sandbox_urls_and_listen_is_the_default()
    {
        Assert.Null(Parse("{}").PublicUrl);
        Assert.Equal(new Uri("https://hive.example.com/"), Parse("""{ "publicUrl": "https://hive.example.com" }""").PublicUrl);
        var settings = new DaemonSettings("/h", DaemonSettings.ParseEndpoint("0.0.0.0:9000"), "10.201.0.0/16", new UpstreamSettings(new Dictionary<string, string>(), [], null));
        Assert.Equal("http://0.0.0.0:9000", settings.PublicBaseUrl);
        Assert.Equal("https://hive.example.com", (settings with { PublicUrl = new Uri("https://hive.example.com/") }).PublicBaseUrl);
        Assert.Equal("https://example.com/hive", (settings with { PublicUrl = DaemonSettings.ParsePublicUrl("https://example.com/hive/", "publicUrl") }).PublicBaseUrl);
        Assert.Equal("http://10.0.0.1:8080", (settings with { PublicUrl = DaemonSettings.ParsePublicUrl("http://10.0.0.1:8080", "HIVE_PUBLIC_URL") }).PublicBaseUrl);
        Assert.StartsWith("HIVE_PUBLIC_URL: must be an absolute http or https URL", Assert.Throws<FormatException>(() => DaemonSettings.ParsePublicUrl("hive.example.com", "HIVE_PUBLIC_URL")).Message);

        var record = new Hive.Daemon.Store.SandboxRecord("box", Hive.Core.Config.ConfigParser.Parse("{}", "box").Config!, "running", DateTimeOffset.UnixEpoch, 0);
        var json = new Hive.Daemon.Api.SandboxJson((settings with { PublicUrl = new Uri("https://hive.example.com/") }).PublicBaseUrl);
        Assert.Equal("https://hive.example.com/sandboxes/box/", (string?)json.Sandbox(record)["url"]);
    }

    [Fact]
    public void HIVE_PUBLIC_URL_overrides_the_file_and_is_checked()
    {
        var home = Directory.CreateTempSubdirectory("hive-settings-").FullName;
        var before = Environment.GetEnvironmentVariable("HIVE_HOME");
        try
        {
            File.WriteAllText(Path.Combine(home, "daemon.json"), """{ "publicUrl": "https://file.example.com" }""");
            Environment.SetEnvironmentVariable("HIVE_HOME", home);
            Assert.Equal(new Uri("https://file.example.com/"), DaemonSettings.Load(env: _ => null).PublicUrl);
            Assert.Equal(new Uri("https://env.example.com/hive"), DaemonSettings.Load(env: n => n == "HIVE_PUBLIC_URL" ? "https://env.example.com/hive" : null).PublicUrl);
            Assert.StartsWith("HIVE_PUBLIC_URL: must not have a query", Assert.Throws<FormatException>(() =>
                DaemonSettings.Load(env: n => n == "HIVE_PUBLIC_URL" ? "https://env.example.com/?x=1" : null)).Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HIVE_HOME", before);
            Directory.Delete(home, recursive: true);
        }
    }

    [Theory]
    [InlineData("""{ "publicUrl": "ftp://hive.example.com" }""", "publicUrl: must be an absolute http or https URL")]
    [InlineData("""{ "publicUrl": "/relative" }""", "publicUrl: must be an absolute http or https URL")]
    [InlineData("""{ "publicUrl": "https://hive.example.com/?a=1" }""", "publicUrl: must not have a query")]
    [InlineData("""{ "publicUrl": "https://hive.example.com/#top" }""", "publicUrl: must not have a fragment")]
    [InlineData("""{ "publicUrl": "https://user:pw@hive.example.com/" }""", "publicUrl: must not hold a user name or password")]
    [InlineData("""{ "publicUrl": 42 }""", "publicUrl: must be a string")]
    [InlineData("""{ "publicURL": "https://a" }""", "publicURL: unknown setting (allowed: listen, subnet, upstream, events, database, usage, files, role, cluster, publicUrl)")]
    [InlineData("""{ "cluster": { "port": 1 } }""", "cluster.port: unknown setting (allowed: listen, controller, advertise, name, labels, capacity, tls, heartbeatSeconds)")]
    [InlineData("""{ "cluster": { "tls": { "ca": "a", "cert": "b" } } }""", "cluster.tls.key: required")]
    [InlineData("""{ "cluster": { "tls": { "ca": "a", "cert": "b", "key": "c", "pass": "x" } } }""", "cluster.tls.pass: unknown setting")]
    [InlineData("""{ "cluster": { "listen": "7443" } }""", "cluster.listen: must be ADDRESS:PORT")]
    [InlineData("""{ "cluster": { "controller": "http://c:7443" } }""", "cluster.controller: must be an https URL")]
    [InlineData("""{ "cluster": { "advertise": "https://u:p@h:7443" } }""", "cluster.advertise: must be an https URL")]
    [InlineData("""{ "cluster": { "name": "-bad" } }""", "cluster.name: \"-bad\" is not a host name")]
    [InlineData("""{ "cluster": { "labels": { "a": 1 } } }""", "cluster.labels.a: must be a string")]
    [InlineData("""{ "cluster": { "capacity": 0 } }""", "cluster.capacity: must be a whole number")]
    [InlineData("""{ "cluster": { "heartbeatSeconds": 0.5 } }""", "cluster.heartbeatSeconds: must be a number of seconds from 1 to 300")]
    [InlineData("""{ "cluster": [] }""", "cluster: must be an object")]
    [InlineData("""{ "role": "boss" }""", "role: must be all, controller or host")]
    public void Bad_settings_are_refused_naming_the_field(string json, string error)
    {
        var e = Assert.Throws<FormatException>(() => Parse(json));
        Assert.StartsWith(error, e.Message);
    }
}
