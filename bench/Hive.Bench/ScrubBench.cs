using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using HiveSecrets = Hive.Core.Secrets;
using Hive.EndToEnd.Infrastructure;

namespace Hive.Bench;

/// <summary>
/// Cost of scrubbing secret values out of responses (issue 11, defect 4): one large HTTPS download with curl, three
/// ways, interleaved: straight from the host to the loopback upstream (direct), from a sandbox with no secret for that
/// host (through the proxy, scrubbing off), and from a sandbox with a secret bound to that host (scrubbing on). Then,
/// in process, what decoding and re-encoding gzip would cost per byte next to the replacement itself.
/// </summary>
public static class ScrubBench
{
    public static async Task RunAsync(long bytes, int rounds, string fill)
    {
        await using var rig = await SecretRig.StartAsync("scrub-off", "scrub-on");
        var (upstream, value, offNs, onNs) = (rig.Upstream, rig.Value, rig.PlainNs, rig.SecretNs);
        var url = $"https://api.example.test:{upstream.HttpsPort}/bytes?n={bytes}&fill={fill}";
        Console.WriteLine($"scrub: {bytes / 1e6:F0} MB download ({fill}), {rounds} interleaved rounds, {Environment.ProcessorCount} cores, " +
                          $"load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        var direct = new List<double>();
        var off = new List<double>();
        var on = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            direct.Add(await CurlAsync(null, url, bytes, upstream.HttpsPort));
            off.Add(await CurlAsync(offNs, url, bytes, upstream.HttpsPort));
            on.Add(await CurlAsync(onNs, url, bytes, upstream.HttpsPort));
        }
        var (d, f, n) = (Median(direct), Median(off), Median(on));
        Console.WriteLine($"  direct (no proxy)       {d:F0} MB/s   runs {string.Join(" ", direct.Select(x => x.ToString("F0", CultureInfo.InvariantCulture)))}");
        Console.WriteLine($"  proxy, scrubbing off    {f:F0} MB/s   runs {string.Join(" ", off.Select(x => x.ToString("F0", CultureInfo.InvariantCulture)))}");
        Console.WriteLine($"  proxy, scrubbing on     {n:F0} MB/s   runs {string.Join(" ", on.Select(x => x.ToString("F0", CultureInfo.InvariantCulture)))}");
        Console.WriteLine($"  time ratio on/off {f / n:F3}x, off/direct {d / f:F3}x");
        InProcess(value, fill, (int)Math.Min(bytes, 256L * 1024 * 1024));
    }

    /// <summary>MB/s of one curl download (from the host, or from a sandbox's network namespace).</summary>
    private static async Task<double> CurlAsync(string? netns, string url, long bytes, int port)
    {
        List<string> curl = ["curl", "-sS", "-k", "-o", "/dev/null", "-w", "%{size_download} %{time_total}"];
        if (netns is null) curl.AddRange(["--resolve", $"api.example.test:{port}:127.0.0.1"]);
        curl.Add(url);
        var r = netns is null ? await Proc.RunAsync("curl", curl.Skip(1), timeout: TimeSpan.FromMinutes(10))
                              : await Proc.RunAsync("ip", ["netns", "exec", netns, .. curl], timeout: TimeSpan.FromMinutes(10));
        var parts = r.Stdout.Trim().Split(' ');
        if (parts.Length != 2 || long.Parse(parts[0], CultureInfo.InvariantCulture) != bytes)
            throw new InvalidOperationException($"curl {url} in {netns ?? "the host"}: {r.Stdout}{r.Stderr}");
        return bytes / 1e6 / double.Parse(parts[1], CultureInfo.InvariantCulture);
    }

    /// <summary>Per-byte cost, in this process, of the replacement and of what decode/re-encode would add.</summary>
    private static void InProcess(string value, string fill, int size)
    {
        // Seeded random words (compresses about 3:1 like prose) with key-like prefixes among them; zeros otherwise.
        var chunk = new byte[64 * 1024];
        if (fill == "text")
        {
            string[] words = ["the", "sk-live", "key", "was", "rotated", "ask", "ghp_", "tokens", "to", "skip", "sk-", "prefixes", "in", "task", "logs", "json", "status", "error", "value", "stream"];
            var random = new Random(11);
            var builder = new StringBuilder();
            while (builder.Length < chunk.Length) builder.Append(words[random.Next(words.Length)]).Append(random.Next(10) == 0 ? ".\n" : " ").Append(random.Next(1000));
            Encoding.ASCII.GetBytes(builder.ToString(0, chunk.Length), chunk);
        }
        var standIn = HiveSecrets.StandIn.Create(value, "bench", "bench-key", new byte[32]);
        var resolved = new HiveSecrets.SecretDefinition("bench-key", Hosts: ["api.example.test"], Auth: HiveSecrets.SecretAuth.ApiKeyHeader("X-Api-Key")).TryResolve(out var r, out _) ? r! : throw new InvalidOperationException();
        var patterns = HiveSecrets.ReplacementPatterns.Build([new HiveSecrets.SecretBinding(standIn, resolved, value)]);
        var replacer = patterns.CreateReplacer();
        var count = size / chunk.Length;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++) replacer.Transform(chunk);
        replacer.Flush();
        var replace = clock.Elapsed.TotalSeconds;

        var compressed = new MemoryStream();
        clock.Restart();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            for (var i = 0; i < count; i++) gzip.Write(chunk);
        var ratio = (double)count * chunk.Length / compressed.Length;
        var encode = clock.Elapsed.TotalSeconds;
        compressed.Position = 0;
        clock.Restart();
        using (var gunzip = new GZipStream(compressed, CompressionMode.Decompress))
            while (gunzip.Read(chunk) > 0) { }
        var decode = clock.Elapsed.TotalSeconds;
        var mb = (double)count * chunk.Length / 1e6;
        Console.WriteLine($"  in process, {mb:F0} MB, {patterns.Count} patterns: replace {mb / replace:F0} MB/s, gzip decode {mb / decode:F0} MB/s, gzip encode (fastest) {mb / encode:F0} MB/s, compression {ratio:F1}:1");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
