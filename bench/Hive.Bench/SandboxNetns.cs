using System.Security.Cryptography;
using System.Text;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.Bench;

/// <summary>
/// The network namespaces of a bench daemon's first sandboxes (slots 0, 1, …), with <c>api.example.test</c> pointed
/// at each sandbox's synthetic address in <c>/etc/netns/&lt;ns&gt;/hosts</c>, so that a load generator run with
/// <c>ip netns exec</c> reaches the upstream through the proxy as the sandbox would. Dispose removes the hosts files.
/// </summary>
public sealed class SandboxNetns : IDisposable
{
    private readonly List<string> _etcs = [];

    private SandboxNetns(string[] names) => Names = names;

    /// <summary>The namespace of each sandbox given to <see cref="CreateAsync"/>, in the same order.</summary>
    public string[] Names { get; }

    /// <summary><paramref name="sandboxes"/> must be the daemon's first ones, created in this order (their slots).</summary>
    public static async Task<SandboxNetns> CreateAsync(DaemonProcess daemon, params Sandbox[] sandboxes)
    {
        var tag = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(daemon.Home))))[..6];
        var netns = new SandboxNetns([.. sandboxes.Select((_, slot) => $"hive-{tag}-{slot}")]);
        for (var i = 0; i < sandboxes.Length; i++)
        {
            var synthetic = (await sandboxes[i].ExecAsync("getent hosts api.example.test | cut -d' ' -f1")).Stdout.Trim();
            var etc = Path.Combine("/etc/netns", netns.Names[i]);
            Directory.CreateDirectory(etc);
            netns._etcs.Add(etc);
            await File.WriteAllTextAsync(Path.Combine(etc, "hosts"), $"{synthetic} api.example.test\n");
        }
        return netns;
    }

    public void Dispose()
    {
        foreach (var etc in _etcs) Directory.Delete(etc, recursive: true);
    }
}
