using System.Globalization;
using System.Text.RegularExpressions;
using Hive.EndToEnd.Infrastructure;

namespace Hive.Bench;

/// <summary>One wrk run's figures.</summary>
public sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms);

/// <summary>Runs wrk (optionally inside a network namespace) and reads its summary.</summary>
public static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(string url, int connections, int seconds, string? netns = null, string? host = null, bool close = false, string? header = null)
    {
        var args = new List<string>();
        if (netns is not null) args.AddRange(["netns", "exec", netns]);
        args.AddRange(["wrk", "-t", connections > 1 ? "2" : "1", "-c", connections.ToString(CultureInfo.InvariantCulture), "-d", $"{seconds}s", "--latency"]);
        if (host is not null) args.AddRange(["-H", $"Host: {host}"]);
        if (close) args.AddRange(["-H", "Connection: close"]);
        if (header is not null) args.AddRange(["-H", header]);
        args.Add(url);
        var r = netns is null ? await Proc.RunAsync(args[0], args.Skip(1), timeout: TimeSpan.FromSeconds(seconds + 60))
                              : await Proc.RunAsync("ip", args, timeout: TimeSpan.FromSeconds(seconds + 60));
        var rps = Rps().Match(r.Stdout);
        if (!rps.Success) throw new InvalidOperationException($"wrk gave no result: {r.Stdout}{r.Stderr}");
        var errors = Errors().Match(r.Stdout);
        if (errors.Success) Console.Error.WriteLine($"  (wrk {url}: {errors.Value.Trim()})");
        return new WrkResult(double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture), Percentile(r.Stdout, "50%"), Percentile(r.Stdout, "99%"));
    }

    private static double Percentile(string output, string which)
    {
        var m = Regex.Match(output, $@"^\s+{Regex.Escape(which)}\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!m.Success) return double.NaN;
        var v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => v / 1000, "s" => v * 1000, _ => v };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex Rps();

    [GeneratedRegex(@"Non-2xx or 3xx responses: \d+|Socket errors:.*")]
    private static partial Regex Errors();
}
