using Hive.Runtime.Host;

namespace Hive.Runtime.Network;

/// <summary>Creates and removes network namespaces, veth pairs and the daemon's nftables table.</summary>
public sealed class NetworkSetup(SlotAddressing addressing, string daemonTag)
{
    public SlotAddressing Addressing => addressing;

    /// <summary>One nft table per daemon; loaded atomically, removed with one command.</summary>
    public string TableName { get; } = $"hive_{daemonTag}";

    public async Task CreateAsync(SandboxNetwork n, CancellationToken ct)
    {
        await CreateLinksAsync(n, ct);
        await ConfigureInsideAsync(n, ct);
    }

    /// <summary>The namespace and the veth pair, addressed on the host's side: enough for a container to join the namespace.</summary>
    public async Task CreateLinksAsync(SandboxNetwork n, CancellationToken ct)
    {
        if (Exists(n)) await RemoveAsync(n, ct); // a half-created leftover of the same slot must not make creation fail
        var host = $"""
            netns add {n.Namespace}
            link add {n.HostVeth} type veth peer name eth0 netns {n.Namespace}
            addr add {n.HostAddress}/{SandboxNetwork.PrefixLength} dev {n.HostVeth}
            link set {n.HostVeth} up
            """;
        await Command.RunCheckedAsync("ip", ["-batch", "-"], host + "\n", ct);
    }

    /// <summary>Loopback, the sandbox's address and its default route, inside the namespace.</summary>
    public async Task ConfigureInsideAsync(SandboxNetwork n, CancellationToken ct)
    {
        var inside = $"""
            link set lo up
            addr add {n.SandboxAddress}/{SandboxNetwork.PrefixLength} dev eth0
            link set eth0 up
            route add default via {n.HostAddress}
            """;
        await Command.RunCheckedAsync("ip", ["-n", n.Namespace, "-batch", "-"], inside + "\n", ct);
    }

    private static bool Exists(SandboxNetwork n) =>
        File.Exists(n.NamespacePath) || Directory.Exists($"/sys/class/net/{n.HostVeth}");

    public async Task RemoveAsync(SandboxNetwork n, CancellationToken ct)
    {
        if (!Exists(n)) return;
        // Deleting the namespace destroys eth0 and with it the host end of the pair.
        await Command.RunAsync("ip", ["netns", "del", n.Namespace], ct: ct);
        await Command.RunAsync("ip", ["link", "del", n.HostVeth], ct: ct);
    }

    /// <summary>
    /// Steering and deny by default. Every TCP connection a sandbox opens is redirected to the egress
    /// proxy and every DNS query to the daemon's resolver; only such redirected traffic is accepted.
    /// Anything else from a sandbox (UDP, QUIC, ICMP, the host's own services, other sandboxes) is
    /// refused, and nobody but a sandbox may reach the proxy or resolver ports. The host may open connections into a
    /// sandbox (sandbox.url ingress to its port 8080): only the replies of those are let back in.
    /// </summary>
    public async Task InstallTableAsync(int proxyPort, int dnsPort, CancellationToken ct)
    {
        var v = addressing.VethPrefix;
        var ruleset = $$"""
            table inet {{TableName}}
            delete table inet {{TableName}}
            table inet {{TableName}} {
              chain prerouting {
                type nat hook prerouting priority dstnat; policy accept;
                iifname "{{v}}*" meta nfproto ipv4 udp dport 53 redirect to :{{dnsPort}}
                iifname "{{v}}*" meta nfproto ipv4 tcp dport 53 redirect to :{{dnsPort}}
                iifname "{{v}}*" meta nfproto ipv4 meta l4proto tcp redirect to :{{proxyPort}}
              }
              chain input {
                type filter hook input priority -10; policy accept;
                iifname "{{v}}*" ct state established,related ct direction reply accept
                iifname "{{v}}*" tcp dport {{proxyPort}} ct status dnat accept
                iifname "{{v}}*" udp dport {{dnsPort}} ct status dnat accept
                iifname "{{v}}*" tcp dport {{dnsPort}} ct status dnat accept
                iifname "{{v}}*" meta l4proto tcp reject with tcp reset
                iifname "{{v}}*" reject with icmpx admin-prohibited
                tcp dport { {{proxyPort}}, {{dnsPort}} } drop
                udp dport {{dnsPort}} drop
              }
              chain forward {
                type filter hook forward priority -10; policy accept;
                iifname "{{v}}*" meta l4proto tcp reject with tcp reset
                iifname "{{v}}*" reject with icmpx admin-prohibited
                oifname "{{v}}*" drop
              }
            }
            """;
        await Command.RunCheckedAsync("nft", ["-f", "-"], ruleset + "\n", ct);
    }

    public async Task RemoveTableAsync(CancellationToken ct) =>
        await Command.RunAsync("nft", ["delete", "table", "inet", TableName], ct: ct);

    /// <summary>Names of this daemon's network namespaces that exist on the host.</summary>
    public async Task<IReadOnlyList<string>> ListNamespacesAsync(CancellationToken ct)
    {
        var r = await Command.RunAsync("ip", ["netns", "list"], ct: ct);
        var list = new List<string>();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            if (name.StartsWith(addressing.NamespacePrefix, StringComparison.Ordinal)) list.Add(name);
        }
        return list;
    }

    /// <summary>Host-side veths of this daemon whose namespace is gone (left by a crash mid-creation).</summary>
    public async Task<IReadOnlyList<string>> ListVethsAsync(CancellationToken ct)
    {
        var r = await Command.RunAsync("ip", ["-o", "link", "show"], ct: ct);
        var list = new List<string>();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(':', 3);
            if (parts.Length < 2) continue;
            var name = parts[1].Trim().Split('@')[0];
            if (name.StartsWith(addressing.VethPrefix, StringComparison.Ordinal)) list.Add(name);
        }
        return list;
    }

    public static async Task DeleteNamespaceAsync(string name, CancellationToken ct) =>
        await Command.RunAsync("ip", ["netns", "del", name], ct: ct);

    public static async Task DeleteLinkAsync(string name, CancellationToken ct) =>
        await Command.RunAsync("ip", ["link", "del", name], ct: ct);
}
