using Hive.Egress;
using Hive.Egress.Tls;
using Hive.Files.Owner;
using Hive.Host;
using Hive.Host.Settings;
using Hive.Runtime.Host;
using Hive.Runtime.Images;
using Hive.Runtime.Network;
using Hive.Server.Settings;
using Microsoft.Extensions.Logging;

namespace Hive.Server;

/// <summary>
/// The machine side roles <c>all</c> and <c>host</c> share: the egress CA, the runc runtime and its networks, the egress
/// proxy and DNS, the FUSE file systems, usage sampling, the slot table, and the <see cref="LocalSandboxHost"/> over
/// them. Disposing releases them in the reverse order of their making.
/// </summary>
internal sealed class LocalHostComposition : IAsyncDisposable
{
    private LocalHostComposition(CertificateAuthority ca, SandboxRuntime runtime, FsEventPump fsEvents, EgressService egress, UsageSampler usage,
        SlotTable slots, DefaultMcpServer mcp, LocalSandboxHost host)
    {
        Ca = ca;
        Runtime = runtime;
        FsEvents = fsEvents;
        Egress = egress;
        Usage = usage;
        Slots = slots;
        Mcp = mcp;
        Host = host;
    }

    public CertificateAuthority Ca { get; }
    public SandboxRuntime Runtime { get; }
    public FsEventPump FsEvents { get; }
    public EgressService Egress { get; }
    public UsageSampler Usage { get; }
    public SlotTable Slots { get; }
    public DefaultMcpServer Mcp { get; }
    public LocalSandboxHost Host { get; }

    /// <param name="hostEvents">Where the host's events go: the bus (role all) or the outbox (role host).</param>
    /// <param name="daemonPorts">This process's own ports, which the proxy never dials for a sandbox.</param>
    /// <param name="slotSeed">Slots a first start after the upgrade takes from the store (role all); null: none.</param>
    public static async Task<LocalHostComposition> StartAsync(DaemonSettings settings, IHostEventSink hostEvents, IReadOnlyList<int> daemonPorts,
        IReadOnlyDictionary<string, int>? slotSeed, ILoggerFactory loggers, CancellationToken ct)
    {
        var paths = new HostPaths(settings.Home);
        var addressing = new SlotAddressing(settings.Subnet, settings.Tag);
        var runtime = new SandboxRuntime(paths, new Runc(paths.RuncRoot), new NetworkSetup(addressing, settings.Tag), SandboxInit.Locate());
        var ca = CertificateAuthority.LoadOrCreate(Path.Combine(settings.Home, "ca"));
        var fsEvents = new FsEventPump(hostEvents);
        EgressService egress;
        try
        {
            var upstream = settings.Upstream;
            egress = await EgressService.StartAsync(new EgressOptions(upstream.Hosts, upstream.AllowPrivate, upstream.CaBundle,
                    NeverDial: [addressing.Subnet], DaemonPorts: [.. daemonPorts]),
                ca, hostEvents, loggers, ct);
        }
        catch
        {
            await fsEvents.DisposeAsync();
            ca.Dispose();
            throw;
        }
        var usage = new UsageSampler(runtime.ReadUsage, settings.Usage, TimeProvider.System);
        var slots = new SlotTable(Path.Combine(settings.Home, "slots.json"), addressing.Capacity, slotSeed);
        var mcp = DefaultMcpServer.Locate();
        var log = loggers.CreateLogger("hive");
        var host = new LocalSandboxHost(runtime, new ImageStore(paths.Images), egress,
            new SandboxFileSystems(paths, fsEvents, FuseIoUring.Enable(settings.Files, log), log), ca.CertificatePem,
            mcp, usage, slots, FilesDeadline.FromEnvironment());
        return new LocalHostComposition(ca, runtime, fsEvents, egress, usage, slots, mcp, host);
    }

    /// <summary>How many sandboxes this machine's subnet holds.</summary>
    public int Capacity => Runtime.Network.Addressing.Capacity;

    public async ValueTask DisposeAsync()
    {
        Host.Dispose();
        await Egress.DisposeAsync();
        await FsEvents.DisposeAsync();
        Ca.Dispose();
    }
}
