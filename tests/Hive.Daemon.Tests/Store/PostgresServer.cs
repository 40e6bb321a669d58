using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Hive.Tests.Postgres;

/// <summary>
/// A real PostgreSQL server for the tests: a new cluster (initdb) in a temporary directory, started by pg_ctl on a free
/// loopback port with password authentication, stopped and removed at Dispose. As root it runs as the postgres user
/// (PostgreSQL refuses root). Each test takes a database of its own from <see cref="CreateDatabase"/>.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public const string User = "hive";
    private readonly string _dir;
    private readonly string _bin;

    private PostgresServer(string dir, string bin, int port, string password)
    {
        _dir = dir;
        _bin = bin;
        Port = port;
        Password = password;
    }

    public int Port { get; }
    public string Password { get; }

    /// <summary>A URL for the daemon's <c>database</c> setting.</summary>
    public string Url(string database) => $"postgres://{User}:{Uri.EscapeDataString(Password)}@127.0.0.1:{Port}/{database}";

    public static PostgresServer Start()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb")))
                .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0).FirstOrDefault()
            : null;
        if (bin is null)
            throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql (make deps installs it)");
        var dir = Directory.CreateTempSubdirectory("hive-pg-").FullName;
        var password = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12)) + "%@:/";
        File.WriteAllText(Path.Combine(dir, "pw"), password);
        if (Environment.UserName == "root") Run("chown", "-R", "postgres:postgres", dir);
        var port = FreePort();
        var server = new PostgresServer(dir, bin, port, password);
        try
        {
            server.AsOwner("initdb", "-D", Path.Combine(dir, "data"), "-U", User, $"--pwfile={Path.Combine(dir, "pw")}", "-A", "scram-sha-256",
                "--no-sync", "-E", "UTF8", "--locale=C");
            server.AsOwner("pg_ctl", "-D", Path.Combine(dir, "data"), "-l", Path.Combine(dir, "log"), "-w", "-t", "60", "-o",
                $"-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300", "start");
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>A new, empty database; its name.</summary>
    public string CreateDatabase()
    {
        var name = $"t_{Guid.NewGuid():N}"[..20];
        using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = Port, Username = User, Password = Password, Database = "postgres", Pooling = false,
        }.ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
        cmd.ExecuteNonQuery();
        return name;
    }

    public void Dispose()
    {
        var data = Path.Combine(_dir, "data");
        if (File.Exists(Path.Combine(data, "postmaster.pid")))
        {
            try { AsOwner("pg_ctl", "-D", data, "-m", "immediate", "-w", "-t", "30", "stop"); }
            catch (InvalidOperationException)
            {
                // pg_ctl could not stop it: the server's pid is the first line of its pid file, and it is ours.
                if (int.TryParse(File.ReadLines(Path.Combine(data, "postmaster.pid")).FirstOrDefault(), out var pid))
                    try { Process.GetProcessById(pid).Kill(entireProcessTree: true); } catch (ArgumentException) { }
            }
        }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private void AsOwner(string tool, params string[] args)
    {
        var path = Path.Combine(_bin, tool);
        if (Environment.UserName == "root") Run("runuser", ["-u", "postgres", "--", path, .. args]);
        else Run(path, args);
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}{stdout.Result}");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
