using Hive.Cli;
using Hive.Host.Abstractions.Cluster;

namespace HiveClient.Tests;

/// <summary><c>hive cluster ca|cert</c>: the files they write are what <see cref="ClusterTls.Load"/> accepts; bad input is named.</summary>
public sealed class ClusterCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hive-cluster-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Exit, string Out, string Err)> Hive(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var ctx = new CliContext { Out = o, Err = e, In = new StringReader(""), Connect = () => throw new InvalidOperationException("no daemon here") };
        var exit = await HiveCli.RunAsync(args, ctx, CancellationToken.None);
        return (exit, o.ToString(), e.ToString());
    }

    [Fact]
    public async Task The_CA_and_certificates_written_load_as_cluster_TLS_with_their_roles_and_private_keys_0600()
    {
        var ca = Path.Combine(_dir, "ca");
        Assert.Equal(0, (await Hive("cluster", "ca", "--out", ca)).Exit);
        Assert.Equal(0, (await Hive("cluster", "cert", "--ca", ca, "--role", "host", "--name", "host-7", "--out", Path.Combine(_dir, "host"))).Exit);
        var controller = await Hive("cluster", "cert", "--ca", ca, "--role", "controller", "--out", Path.Combine(_dir, "controller"));
        Assert.Equal(0, controller.Exit);
        Assert.Contains("role controller", controller.Out);

        foreach (var key in new[] { "ca/ca.key", "host/tls.key", "controller/tls.key" })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, key)));

        using var host = ClusterTls.Load(Path.Combine(ca, "ca.crt"), Path.Combine(_dir, "host/tls.crt"), Path.Combine(_dir, "host/tls.key"));
        using var ctl = ClusterTls.Load(Path.Combine(ca, "ca.crt"), Path.Combine(_dir, "controller/tls.crt"), Path.Combine(_dir, "controller/tls.key"));
        Assert.Equal(ClusterRole.Host, host.Role);
        Assert.Contains("CN=host-7", host.Certificate.Subject);
        Assert.Equal(ClusterRole.Controller, ctl.Role);
        Assert.True(host.Accepts(ctl.Certificate, ClusterRole.Controller));
        Assert.True(ctl.Accepts(host.Certificate, ClusterRole.Host));
    }

    [Fact]
    public async Task Bad_input_names_the_argument_and_writes_nothing()
    {
        var ca = Path.Combine(_dir, "ca");
        Assert.Equal(0, (await Hive("cluster", "ca", "--out", ca)).Exit);
        var again = await Hive("cluster", "ca", "--out", ca);
        Assert.Equal(1, again.Exit);
        Assert.Contains("--out:", again.Err);
        Assert.Contains("--force", again.Err);

        var missing = await Hive("cluster", "cert", "--ca", Path.Combine(_dir, "nope"), "--role", "host", "--out", Path.Combine(_dir, "x"));
        Assert.Equal(2, missing.Exit);
        Assert.Contains("--ca:", missing.Err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "x")));

        var role = await Hive("cluster", "cert", "--ca", ca, "--role", "admin", "--out", Path.Combine(_dir, "y"));
        Assert.Equal(2, role.Exit);
        Assert.Contains("admin", role.Err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "y")));
    }
}
