using System.Diagnostics;
using System.Text.Json.Nodes;
using Hive.EndToEnd.Infrastructure;

namespace Hive.Bench;

/// <summary>The baseline: runc on the same image rootfs, with runc's default spec and nothing of Hive around it.</summary>
public sealed class BareRunc : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hive-bench-runc-").FullName;
    private string Root => Path.Combine(_dir, "state");
    private string Bundle => Path.Combine(_dir, "bundle");

    public static async Task<BareRunc> CreateAsync(string rootFs)
    {
        var b = new BareRunc();
        Directory.CreateDirectory(b.Bundle);
        await Proc.RunAsync("runc", ["spec", "--bundle", b.Bundle]);
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(b.Bundle, "config.json")))!;
        config["root"]!["path"] = rootFs;
        config["root"]!["readonly"] = true;
        config["process"]!["terminal"] = false;
        config["process"]!["args"] = new JsonArray("/bin/true");
        await File.WriteAllTextAsync(Path.Combine(b.Bundle, "config.json"), config.ToJsonString());
        return b;
    }

    /// <summary>`runc run` of /bin/true in the foreground: container created, process run, exited.</summary>
    public async Task<double> RunTrueAsync(string id)
    {
        var clock = Stopwatch.StartNew();
        var r = await Proc.RunAsync("runc", ["--root", Root, "run", "--bundle", Bundle, id]);
        var ms = clock.Elapsed.TotalMilliseconds;
        if (r.ExitCode != 0) throw new InvalidOperationException($"runc run failed: {r.Stderr}");
        await Proc.RunAsync("runc", ["--root", Root, "delete", "--force", id]);
        return ms;
    }

    /// <summary>Starts a long-lived container for the exec baseline.</summary>
    public async Task StartSleeperAsync(string id)
    {
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Bundle, "config.json")))!;
        config["process"]!["args"] = new JsonArray("/bin/sleep", "3600");
        var sleeper = Path.Combine(_dir, "sleeper");
        Directory.CreateDirectory(sleeper);
        await File.WriteAllTextAsync(Path.Combine(sleeper, "config.json"), config.ToJsonString());
        var r = await Proc.RunAsync("sh", ["-c", $"exec runc --root {Root} run --detach --bundle {sleeper} {id} </dev/null >/dev/null 2>&1"]);
        if (r.ExitCode != 0) throw new InvalidOperationException("runc run --detach failed");
    }

    public async Task<double> ExecTrueAsync(string id)
    {
        var clock = Stopwatch.StartNew();
        var r = await Proc.RunAsync("runc", ["--root", Root, "exec", id, "/bin/true"]);
        if (r.ExitCode != 0) throw new InvalidOperationException($"runc exec failed: {r.Stderr}");
        return clock.Elapsed.TotalMilliseconds;
    }

    public async ValueTask DisposeAsync()
    {
        if (Directory.Exists(Root))
            foreach (var id in Directory.GetDirectories(Root).Select(Path.GetFileName))
                await Proc.RunAsync("runc", ["--root", Root, "delete", "--force", id!]);
        Directory.Delete(_dir, recursive: true);
    }
}
