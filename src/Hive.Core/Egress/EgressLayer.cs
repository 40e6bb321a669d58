namespace Hive.Core.Egress;

/// <summary>How much of a flow the proxy has seen when it asks for a decision.</summary>
public enum EgressLayer
{
    /// <summary>A TCP flow that is neither TLS nor HTTP: only rules without methods/paths can match it.</summary>
    Tcp,
    /// <summary>A TLS ClientHello (SNI) before interception: the answer may be <see cref="EgressVerdict.NeedsHttp"/>.</summary>
    Tls,
    /// <summary>One HTTP request (plain, or inside intercepted TLS): method and path are known.</summary>
    Http,
}
