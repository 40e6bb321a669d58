namespace Hive.EndToEnd.Infrastructure;

/// <summary>A daemon of its own with the real hive/base (its MCP server) for the sandbox.url tests.</summary>
public sealed class IngressDaemon : BaseDaemon
{
    /// <summary>An HTTP client that sends the daemon's bearer token, as an MCP client configured for sandbox.url would.</summary>
    public HttpClient Authorized()
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", Daemon.Token);
        return http;
    }
}

[CollectionDefinition("ingress")]
public sealed class IngressCollection : ICollectionFixture<IngressDaemon>;
