namespace Hive.Host.Abstractions.Wire;

/// <summary>
/// The host API (controller → host, HTTP/2 over mutual TLS): one route per <see cref="ISandboxHost"/> operation, all
/// under <c>/v1/host/</c>. Bodies are JSON (<see cref="WireJson"/>) except the streams: exec and terminal speak
/// <see cref="Frames"/> both ways on one full-duplex request, file reads answer raw bytes, file writes send a
/// header frame then raw bytes.
/// </summary>
public static class HostRoutes
{
    public const string Prefix = "/v1/host";
    public const string Startup = Prefix + "/startup";
    public const string Check = Prefix + "/check";
    public const string Shutdown = Prefix + "/shutdown";
    public const string Approvals = Prefix + "/approvals";
    public const string ApprovalsWatch = Prefix + "/approvals-watch";
    public const string Sandbox = Prefix + "/sandboxes/{name}";

    /// <summary>Operations on one sandbox: <c>POST /v1/host/sandboxes/{name}/{op}</c>.</summary>
    public static class Ops
    {
        public const string Start = "start", Running = "running", Stop = "stop", Destroy = "destroy", Apply = "apply",
            Exec = "exec", Terminal = "terminal", ReadFile = "files/read", WriteFile = "files/write", DeleteFile = "files/delete",
            IngressReady = "ingress-ready", Secrets = "secrets", Usage = "usage";
    }

    public const string Ingress = "ingress";

    public static string For(string sandbox, string op) => $"{Prefix}/sandboxes/{Uri.EscapeDataString(sandbox)}/{op}";

    public static string Approval(string id, string? op = null) => $"{Approvals}/{Uri.EscapeDataString(id)}{(op is null ? "" : "/" + op)}";
}
