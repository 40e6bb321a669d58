using Hive.Daemon.Cluster;
using Hive.Daemon.Cluster.Remote;
using Hive.Host.Abstractions.Cluster;

namespace Hive.Server;

/// <summary>How the controller reaches a registered host: a remote <see cref="ISandboxHost"/> over mTLS on its advertise URL.</summary>
internal static class RemoteHostFactory
{
    public static Func<RegisteredHost, ISandboxHost> Create(ClusterTls tls) => host =>
        new RemoteSandboxHost(host.Name, host.Advertise, tls.CreateClientHandler(ClusterRole.Host));
}
