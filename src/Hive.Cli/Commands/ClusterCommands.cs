using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hive.Host.Abstractions.Cluster;

namespace Hive.Cli.Commands;

/// <summary>
/// <c>hive cluster ca|cert</c>: the certificates controller and hosts authenticate each other with (docs/cluster.md,
/// "Certificates"). Local files only; nothing talks to a daemon.
/// </summary>
internal static class ClusterCommands
{
    public const string CaCert = "ca.crt", CaKey = "ca.key", Cert = "tls.crt", Key = "tls.key";

    public static Command Build(CliContext ctx)
    {
        var cluster = new Command("cluster", "Cluster mode: one controller in front of many sandbox hosts, authenticated both ways with certificates of a cluster CA.");
        cluster.Add(BuildCa(ctx));
        cluster.Add(BuildCert(ctx));
        return cluster;
    }

    private static Option<string> OutOption(string what) => new("--out") { Description = $"The directory to write {what} to (created if missing).", Required = true, HelpName = "DIR" };
    private static Option<bool> ForceOption() => new("--force") { Description = "Replace files that exist already." };

    private static Command BuildCa(CliContext ctx)
    {
        var output = OutOption($"{CaCert} and {CaKey}");
        var force = ForceOption();
        var cmd = new Command("ca", $"Create the cluster CA: {CaCert} (give it to every controller and host) and {CaKey} (keep it offline; mode 0600). ECDSA P-256, valid 10 years.")
        {
            output, force,
        };
        cmd.SetAction(p =>
        {
            var dir = Directory(p.GetValue(output)!);
            var crt = Path.Combine(dir, CaCert);
            var key = Path.Combine(dir, CaKey);
            Refuse(p.GetValue(force), "--out", crt, key);
            using var ca = ClusterCertificates.CreateCa();
            var (certPem, keyPem) = ClusterCertificates.ToPem(ca);
            Write(key, keyPem, secret: true);
            Write(crt, certPem, secret: false);
            ctx.Out.WriteLine($"Wrote {crt} and {key} (valid until {ca.NotAfter:yyyy-MM-dd}). Next: hive cluster cert --ca {dir} --role controller|host --out DIR");
            return 0;
        });
        return cmd;
    }

    private static Command BuildCert(CliContext ctx)
    {
        var caDir = new Option<string>("--ca") { Description = $"The directory holding the cluster CA's {CaCert} and {CaKey} (from hive cluster ca).", Required = true, HelpName = "DIR" };
        var role = new Option<string>("--role") { Description = "What the certificate lets its holder be: controller (dials hosts) or host (runs sandboxes).", Required = true, HelpName = "controller|host" };
        role.AcceptOnlyFromAmong("controller", "host");
        var name = new Option<string?>("--name") { Description = "The subject's common name (default hive-controller / hive-host); peers are checked by CA and role, never by name.", HelpName = "NAME" };
        var output = OutOption($"{Cert} and {Key}");
        var force = ForceOption();
        var cmd = new Command("cert", $"Issue a certificate for a controller or a host, signed by the cluster CA: {Cert} and {Key} (mode 0600). Valid 825 days; all hosts may share one.")
        {
            caDir, role, name, output, force,
        };
        cmd.SetAction(p =>
        {
            if (!ClusterRoles.TryParse(p.GetValue(role), out var r)) throw new CliException("--role: must be controller or host", HiveCli.Usage);
            var cn = p.GetValue(name);
            if (cn is not null && (cn.Length is 0 or > 64 || cn.Any(char.IsControl)))
                throw new CliException("--name: must be 1 to 64 printable characters", HiveCli.Usage);
            using var ca = LoadCa(p.GetValue(caDir)!);
            var dir = Directory(p.GetValue(output)!);
            var crt = Path.Combine(dir, Cert);
            var key = Path.Combine(dir, Key);
            Refuse(p.GetValue(force), "--out", crt, key);
            using var cert = ClusterCertificates.Issue(ca, r, cn);
            var (certPem, keyPem) = ClusterCertificates.ToPem(cert);
            Write(key, keyPem, secret: true);
            Write(crt, certPem, secret: false);
            ctx.Out.WriteLine($"Wrote {crt} and {key}: {cert.Subject}, role {ClusterRoles.Word(r)}, valid until {cert.NotAfter:yyyy-MM-dd}.");
            return 0;
        });
        return cmd;
    }

    private static X509Certificate2 LoadCa(string dir)
    {
        var crt = Path.Combine(dir, CaCert);
        var key = Path.Combine(dir, CaKey);
        if (!File.Exists(crt) || !File.Exists(key))
            throw new CliException($"--ca: {dir} must hold {CaCert} and {CaKey} (from hive cluster ca --out {dir}); missing {(File.Exists(crt) ? key : crt)}", HiveCli.Usage);
        X509Certificate2 ca;
        try
        {
            ca = X509Certificate2.CreateFromPemFile(crt, key);
        }
        catch (CryptographicException e)
        {
            throw new CliException($"--ca: {crt} and {key} are not a PEM certificate and its matching key ({e.Message})");
        }
        if (!ca.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority))
        {
            ca.Dispose();
            throw new CliException($"--ca: {crt} is not a CA certificate; give the directory hive cluster ca wrote");
        }
        return ca;
    }

    private static string Directory(string dir)
    {
        if (string.IsNullOrWhiteSpace(dir)) throw new CliException("--out: give a directory", HiveCli.Usage);
        try
        {
            System.IO.Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--out: cannot create directory {dir}: {e.Message}");
        }
        return Path.GetFullPath(dir);
    }

    private static void Refuse(bool force, string option, params string[] paths)
    {
        if (force) return;
        foreach (var path in paths)
            if (File.Exists(path)) throw new CliException($"{option}: {path} exists already; choose another directory or pass --force to replace it");
    }

    /// <summary>Writes a file whole; a key is created with mode 0600 from the start (never readable by others, even briefly).</summary>
    private static void Write(string path, string text, bool secret)
    {
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (secret) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }
}
