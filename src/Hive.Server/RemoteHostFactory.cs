using Hive.Daemon.Cluster;
using Hive.Host.Abstractions.Cluster;

namespace Hive.Server;

/// <summary>How the controller reaches a registered host: a remote <see cref="ISandboxHost"/> over mTLS on its advertise URL.</summary>
internal static class RemoteHostFactory
{
    public static Func<RegisteredHost, ISandboxHost> Create(ClusterTls tls) => host =>
        // TODO(cluster/remote merge): new Hive.Daemon.Cluster.Remote.RemoteSandboxHost(host.Advertise, tls.CreateClientHandler(ClusterRole.Host))
        throw new HostException(HostErrorKind.Unavailable, "Remote hosts not built in",
            $"this build cannot reach host \"{host.Name}\" at {host.Advertise}: the remote host client is not wired in (role controller)");
}
