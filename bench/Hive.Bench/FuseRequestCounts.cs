using System.Globalization;
using System.Text.RegularExpressions;

namespace Hive.Bench;

/// <summary>
/// Counts the FUSE requests the kernel sends to chosen connections, by opcode, from its own <c>fuse:fuse_request_send</c>
/// tracepoint (kernel 6.15+), in a private tracefs instance: nothing in the daemon counts, so its hot path is the one
/// that ships. <see cref="Start"/> returns null (and says why) where tracefs or the tracepoint is missing.
/// </summary>
public sealed partial class FuseRequestCounts : IDisposable
{
    private const string Tracing = "/sys/kernel/tracing";
    private readonly string _instance;

    private FuseRequestCounts(string instance) => _instance = instance;

    /// <summary>Starts counting requests to the connections <paramref name="devices"/> (the kernel's dev_t of each mount).</summary>
    public static FuseRequestCounts? Start(IEnumerable<ulong> devices, out string why)
    {
        why = "";
        if (!Directory.Exists(Path.Combine(Tracing, "instances")))
        {
            why = $"{Tracing} is not mounted (mount -t tracefs nodev {Tracing})";
            return null;
        }
        var instance = Path.Combine(Tracing, "instances", $"hive-bench-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(instance);
            var events = Path.Combine(instance, "events", "fuse", "fuse_request_send");
            if (!Directory.Exists(events))
            {
                Directory.Delete(instance);
                why = "this kernel has no fuse:fuse_request_send tracepoint";
                return null;
            }
            File.WriteAllText(Path.Combine(instance, "buffer_size_kb"), "16384");
            File.WriteAllText(Path.Combine(events, "filter"), string.Join(" || ", devices.Select(d => $"connection == {d}")));
            File.WriteAllText(Path.Combine(events, "enable"), "1");
            return new FuseRequestCounts(instance);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = e.Message;
            try { Directory.Delete(instance); } catch (IOException) { }
            return null;
        }
    }

    /// <summary>Requests sent since the last call, per connection and opcode name (the buffer is then cleared).</summary>
    public Dictionary<ulong, SortedDictionary<string, int>> Take()
    {
        var counts = new Dictionary<ulong, SortedDictionary<string, int>>();
        foreach (var line in File.ReadLines(Path.Combine(_instance, "trace")))
        {
            var m = Request().Match(line);
            if (!m.Success) continue;
            var connection = ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            if (!counts.TryGetValue(connection, out var ops)) counts[connection] = ops = new(StringComparer.Ordinal);
            var op = m.Groups[2].Value.Replace("FUSE_", "", StringComparison.Ordinal);
            ops[op] = ops.GetValueOrDefault(op) + 1;
        }
        Clear();
        return counts;
    }

    /// <summary>Empties the buffer: tracefs does that on an open with O_TRUNC, which .NET does not use (it truncates after opening).</summary>
    private void Clear()
    {
        using var sh = System.Diagnostics.Process.Start("/bin/sh", ["-c", ": > \"$1\"", "sh", Path.Combine(_instance, "trace")]);
        sh.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            File.WriteAllText(Path.Combine(_instance, "events", "fuse", "fuse_request_send", "enable"), "0");
            Directory.Delete(_instance);
        }
        catch (IOException) { }
    }

    [GeneratedRegex(@"connection (\d+) req \d+ opcode \d+ \((\w+)\)")]
    private static partial Regex Request();
}
