using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Hive.Core;
using HiveClient;

namespace Hive.Cli.Commands;

/// <summary><c>hive up</c>, <c>down</c>, <c>status</c> and <c>daemon</c>: the daemon's lifecycle on this host.</summary>
internal static class DaemonCommands
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    public static IEnumerable<Command> Build(CliContext ctx)
    {
        var up = new Command("up", "Start the daemon in the background and wait until it is healthy (log: $HIVE_HOME/daemon.log).");
        up.SetAction((_, ct) => UpAsync(ctx, ct));

        var down = new Command("down", "Stop the daemon started by `hive up` (SIGTERM, then wait up to 15 s).");
        down.SetAction((_, ct) => DownAsync(ctx, ct));

        var json = new Option<bool>("--json") { Description = "Print JSON: { running, url, version, sandboxes }." };
        var status = new Command("status", "Show whether the daemon runs, its version and how many sandboxes it has (exit 3 when not running).") { json };
        status.SetAction((p, ct) => StatusAsync(ctx, p.GetValue(json), ct));

        var role = new Option<string?>("--role")
        {
            Description = "What to run: all (the default: controller and host in one process), controller (API, store, scheduling; no sandboxes) " +
                          "or host (sandboxes only, for a controller). Overrides HIVE_ROLE and daemon.json's role.",
        };
        role.AcceptOnlyFromAmong("all", "controller", "host");
        var daemon = new Command("daemon", "Run the daemon in the foreground until Ctrl+C or SIGTERM.") { role };
        daemon.SetAction((p, ct) => Hive.Server.DaemonProgram.RunAsync(p.GetValue(role), ct));

        return [up, down, status, daemon];
    }

    private static string PidFile => Path.Combine(HiveHome.Resolve(), "daemon.pid");
    private static string LogFile => Path.Combine(HiveHome.Resolve(), "daemon.log");

    /// <summary>The health answer, or null when nothing healthy answers within a short time.</summary>
    private static async Task<HealthInfo?> TryHealthAsync(HiveConnection conn, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            return await conn.HealthAsync(cts.Token);
        }
        catch (Exception e) when (e is HiveException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }

    private static async Task<int> UpAsync(CliContext ctx, CancellationToken ct)
    {
        var conn = ctx.Connection;
        if (await TryHealthAsync(conn, ct) is { } h)
        {
            ctx.Out.WriteLine($"Hive is already running at {conn.DisplayUrl} (version {h.Version ?? "unknown"}).");
            return 0;
        }

        var home = HiveHome.Resolve();
        Directory.CreateDirectory(home);
        var log = LogFile;

        // A daemon we started may still be coming up: wait for it rather than start a second one.
        var pid = ReadPid() is { } p && IsOurDaemon(p) ? p : (int?)null;
        Process? process = null;
        if (pid is null)
        {
            process = StartDetached(log);
            pid = process.Id;
            await File.WriteAllTextAsync(PidFile, pid.Value.ToString(CultureInfo.InvariantCulture) + "\n", ct);
        }

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (await TryHealthAsync(conn, ct) is not null)
            {
                ctx.Out.WriteLine($"Hive is running at {conn.DisplayUrl} (pid {pid}, log: {log})");
                return 0;
            }
            var exited = process is not null ? process.HasExited : !Native.IsAlive(pid.Value);
            if (exited)
            {
                var code = process is { HasExited: true } ? $" with code {process.ExitCode}" : "";
                ctx.Err.WriteLine($"error: the daemon exited{code} before it became healthy. Last lines of {log}:");
                foreach (var line in Tail(log, 20)) ctx.Err.WriteLine("  " + line);
                TryDelete(PidFile);
                return 1;
            }
            await Task.Delay(200, ct);
        }
        ctx.Err.WriteLine($"error: the daemon (pid {pid}) did not answer at {conn.DisplayUrl} within {StartTimeout.TotalSeconds:0} s. It is still running; see {log}, or stop it with `hive down`.");
        return 1;
    }

    /// <summary>Starts <c>&lt;this executable&gt; daemon</c> in a new session, output appended to the log.</summary>
    private static Process StartDetached(string log)
    {
        var self = SelfCommand();
        // setsid (util-linux) execs in place when the caller is not a group leader, which a child of ours is not,
        // so the pid we get is the daemon's.
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("log=$1; shift; exec setsid \"$@\" >>\"$log\" 2>&1 </dev/null");
        psi.ArgumentList.Add("hive-up");
        psi.ArgumentList.Add(log);
        foreach (var a in self) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("daemon");
        try
        {
            return Process.Start(psi) ?? throw new CliException("could not start the daemon process.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CliException($"could not start the daemon: {e.Message}");
        }
    }

    /// <summary>How to run this program again: the apphost, or <c>dotnet hive.dll</c>.</summary>
    internal static string[] SelfCommand()
    {
        var process = Environment.ProcessPath ?? throw new CliException("cannot tell where this program is.");
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? [process, typeof(HiveCli).Assembly.Location]
            : [process];
    }

    private static async Task<int> DownAsync(CliContext ctx, CancellationToken ct)
    {
        var conn = ctx.Connection;
        var pid = ReadPid();
        if (pid is { } stale && !IsOurDaemon(stale))
        {
            TryDelete(PidFile);
            pid = null;
        }
        if (pid is null)
        {
            if (await TryHealthAsync(conn, ct) is not null)
                throw new CliException($"a daemon answers at {conn.DisplayUrl}, but it was not started by `hive up` (no live pid in {PidFile}); stop it where it runs.");
            ctx.Out.WriteLine("Hive is not running.");
            return 0;
        }

        if (!Native.Kill(pid.Value, Native.SIGTERM))
            throw new CliException($"cannot signal the daemon (pid {pid}): permission denied? Run `hive down` as the user who ran `hive up`.");

        var waited = Stopwatch.StartNew();
        while (Native.IsAlive(pid.Value))
        {
            if (waited.Elapsed > StopTimeout)
                throw new CliException($"the daemon (pid {pid}) did not stop within {StopTimeout.TotalSeconds:0} s; it may still be cleaning up (see {LogFile}). Force it with `kill -9 {pid}`.");
            await Task.Delay(100, ct);
        }
        TryDelete(PidFile);
        ctx.Out.WriteLine($"Hive stopped (pid {pid}).");
        return 0;
    }

    private static async Task<int> StatusAsync(CliContext ctx, bool json, CancellationToken ct)
    {
        var conn = ctx.Connection;
        var health = await TryHealthAsync(conn, ct);
        if (health is null)
        {
            if (json) Output.Json(ctx, new JsonObject { ["running"] = false, ["url"] = conn.DisplayUrl });
            else ctx.Out.WriteLine($"Hive is not running at {conn.DisplayUrl}. Start it with `hive up`.");
            return 3;
        }

        int? count = null;
        string? problem = null;
        try { count = (await conn.ListSandboxesAsync(ct)).Count; }
        catch (HiveException e) { problem = e.Message; }

        var pid = ReadPid() is { } p && IsOurDaemon(p) ? p : (int?)null;
        if (json)
        {
            Output.Json(ctx, new JsonObject
            {
                ["running"] = true,
                ["url"] = conn.DisplayUrl,
                ["version"] = health.Version,
                ["sandboxes"] = count,
                ["pid"] = pid,
            });
            return 0;
        }
        ctx.Out.WriteLine($"Hive is running at {conn.DisplayUrl}{(pid is null ? "" : $" (pid {pid})")}");
        ctx.Out.WriteLine($"  version:   {health.Version ?? "unknown"}");
        ctx.Out.WriteLine($"  sandboxes: {(count is { } n ? n.ToString(CultureInfo.InvariantCulture) : "unknown (" + problem + ")")}");
        return 0;
    }

    private static int? ReadPid()
    {
        try
        {
            return int.TryParse(File.ReadAllText(PidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Only signal a process that is a live <c>... daemon</c>: pids are reused.</summary>
    private static bool IsOurDaemon(int pid) => Native.IsAlive(pid) && Native.CommandLine(pid).Contains("daemon");

    private static IEnumerable<string> Tail(string file, int lines)
    {
        try { return File.ReadLines(file).TakeLast(lines).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return [$"(cannot read the log: {e.Message})"]; }
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
