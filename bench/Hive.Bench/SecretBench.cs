using HiveClient;

namespace Hive.Bench;

/// <summary>
/// Cost of secret substitution (issue 5): the same keep-alive HTTPS request through the proxy from two sandboxes, one
/// with no secret at all and one whose request carries a stand-in that the proxy swaps for the real value. Both send a
/// header of the same length. Runs are interleaved so that noise on the shared machine hits both.
/// </summary>
public static class SecretBench
{
    public static async Task RunAsync(int seconds, int rounds = 3)
    {
        await using var rig = await SecretRig.StartAsync("bench-plain", "bench-secret");
        var (upstream, plainNs, secretNs) = (rig.Upstream, rig.PlainNs, rig.SecretNs);
        var standIn = (await rig.Secret.ExecAsync("printf %s \"$API_KEY\"")).Stdout;
        var sameLength = new string('x', standIn.Length);
        var url = $"https://api.example.test:{upstream.HttpsPort}/hello";
        Console.WriteLine($"secrets: {seconds} s per run, {rounds} interleaved rounds, {Environment.ProcessorCount} cores (shared machine), {DateTime.UtcNow:yyyy-MM-dd}");
        await Wrk.RunAsync(url, 1, 2, netns: plainNs, header: $"X-Api-Key: {sameLength}"); // warm-up
        await Wrk.RunAsync(url, 1, 2, netns: secretNs, header: $"X-Api-Key: {standIn}");
        var plain1 = new List<WrkResult>();
        var secret1 = new List<WrkResult>();
        var plain64 = new List<WrkResult>();
        var secret64 = new List<WrkResult>();
        for (var i = 0; i < rounds; i++)
        {
            plain1.Add(await Wrk.RunAsync(url, 1, seconds, netns: plainNs, header: $"X-Api-Key: {sameLength}"));
            secret1.Add(await Wrk.RunAsync(url, 1, seconds, netns: secretNs, header: $"X-Api-Key: {standIn}"));
            plain64.Add(await Wrk.RunAsync(url, 64, seconds, netns: plainNs, header: $"X-Api-Key: {sameLength}"));
            secret64.Add(await Wrk.RunAsync(url, 64, seconds, netns: secretNs, header: $"X-Api-Key: {standIn}"));
        }
        var (p50Plain, p50Secret) = (Median(plain1.Select(r => r.P50Ms)), Median(secret1.Select(r => r.P50Ms)));
        var ratio = p50Secret / p50Plain;
        Console.WriteLine($"{"keep-alive p50, 1 connection",-40} with secret {p50Secret:F3} ms   without {p50Plain:F3} ms   ratio {ratio:F3}x   target <= 1.05x   {(ratio <= 1.05 ? "ok" : "MISSED")}");
        var (rpsPlain, rpsSecret) = (Median(plain64.Select(r => r.RequestsPerSecond)), Median(secret64.Select(r => r.RequestsPerSecond)));
        Console.WriteLine($"{"keep-alive req/s, 64 connections",-40} with secret {rpsSecret:F0}   without {rpsPlain:F0}   ratio {rpsPlain / rpsSecret:F3}x (time per request)");
        var used = await rig.Connection.Secrets.ActivityAsync("bench-key", new SecretActivityOptions { Limit = 1 });
        Console.WriteLine($"  (substitution checked: last activity {used.FirstOrDefault()?.Kind ?? "none"} {used.FirstOrDefault()?.Status})");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
