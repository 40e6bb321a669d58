using System.Security.Cryptography;
using System.Text;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>
/// The safety net behind every test daemon: whatever a failed test or a killed daemon left on the
/// host under this home's tag (containers, namespaces, veths, the nft table, mounts) is removed.
/// </summary>
public static class HostCleanup
{
    public static async Task RemoveLeftoversAsync(string home)
    {
        var tag = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(home))))[..6];
        var runcRoot = Path.Combine(home, "run", "runc");
        if (Directory.Exists(runcRoot))
            foreach (var id in Directory.GetDirectories(runcRoot).Select(Path.GetFileName))
            {
                await Proc.RunAsync("runc", ["--root", runcRoot, "kill", "--all", id!, "KILL"]);
                await Proc.RunAsync("runc", ["--root", runcRoot, "delete", "--force", id!]);
            }
        var ns = await Proc.RunAsync("ip", ["netns", "list"]);
        foreach (var line in ns.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            if (name.StartsWith($"hive-{tag}-", StringComparison.Ordinal)) await Proc.RunAsync("ip", ["netns", "del", name]);
        }
        var links = await Proc.RunAsync("ip", ["-o", "link", "show"]);
        foreach (var line in links.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(':', 3);
            var name = parts.Length > 1 ? parts[1].Trim().Split('@')[0] : "";
            if (name.StartsWith($"hv{tag}", StringComparison.Ordinal)) await Proc.RunAsync("ip", ["link", "del", name]);
        }
        await Proc.RunAsync("nft", ["delete", "table", "inet", $"hive_{tag}"]);
        foreach (var hierarchy in Directory.GetDirectories("/sys/fs/cgroup"))
        {
            var parent = Path.Combine(hierarchy, $"hive-{tag}");
            if (!Directory.Exists(parent)) continue;
            foreach (var child in Directory.GetDirectories(parent)) try { Directory.Delete(child); } catch (IOException) { }
            try { Directory.Delete(parent); } catch (IOException) { }
        }
        // Holders of kept FUSE sessions (a daemon killed by a test leaves them running), by their recorded pid.
        var sessions = Path.Combine(home, "run", "fuse");
        if (Directory.Exists(sessions))
            foreach (var record in Directory.GetFiles(sessions, "*.json"))
            {
                try
                {
                    var pid = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(record))!["Pid"]!.GetValue<int>();
                    if (pid > 1 && File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("/usr/bin/sleep\0infinity", StringComparison.Ordinal)
                        || pid > 1 && File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("/bin/sleep\0infinity", StringComparison.Ordinal))
                        Native.Kill(pid, 9);
                }
                catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException or NullReferenceException) { }
            }
        var mounts = File.ReadLines("/proc/self/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(home + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.Length).ToList();
        foreach (var m in mounts) await Proc.RunAsync("umount", ["-l", m]);
        try { Directory.Delete(home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
