namespace Hive.Host.Abstractions;

/// <summary>
/// Where <c>sandbox.url</c> requests go: <paramref name="Address"/> (absolute, ending in '/') through
/// <paramref name="Client"/>, owned by the host (a plain connection on this machine, mutual TLS to a remote host).
/// </summary>
public sealed record IngressTarget(Uri Address, HttpMessageInvoker Client);
