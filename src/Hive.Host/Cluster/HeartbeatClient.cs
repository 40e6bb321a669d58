using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hive.Host.Abstractions.Cluster;
using Microsoft.Extensions.Logging;

namespace Hive.Host.Cluster;

/// <summary>The controller's answer to a heartbeat: the sandboxes this host runs that the controller has not placed on it.</summary>
public sealed record HeartbeatReply(IReadOnlyList<string> Unknown);

/// <summary>
/// Tells the controller (<c>cluster.controller</c>) every <paramref name="interval"/> that this host is alive:
/// <c>PUT /v1/cluster/hosts/{name}</c> with its advertise URL, capacity, labels, running sandboxes and version. The
/// handler (mTLS, from ClusterTls) is the caller's. A failure is logged once and retried at the next tick: the controller
/// marks the host lost only after three missed heartbeats.
/// </summary>
public sealed class HeartbeatClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _path;
    private readonly Func<CancellationToken, Task<HostHeartbeat>> _describe;
    private readonly TimeSpan _interval;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private bool _failing;

    public HeartbeatClient(Uri controller, string name, Func<CancellationToken, Task<HostHeartbeat>> describe, HttpMessageHandler handler, TimeSpan interval,
        ILogger log, TimeProvider? time = null)
    {
        _http = new HttpClient(handler, disposeHandler: false)
        {
            BaseAddress = controller,
            Timeout = interval < TimeSpan.FromSeconds(2) ? TimeSpan.FromSeconds(2) : interval * 2,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        _path = $"/v1/cluster/hosts/{Uri.EscapeDataString(name)}";
        _describe = describe;
        _interval = interval;
        _log = log;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Sends one heartbeat; throws <see cref="HttpRequestException"/> when the controller refuses or cannot be reached.</summary>
    public async Task<HeartbeatReply> SendAsync(CancellationToken ct)
    {
        var beat = await _describe(ct);
        using var content = new StringContent(beat.ToJson(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _http.PutAsync(_path, content, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"the controller answered {(int)response.StatusCode}: {body}", null, response.StatusCode);
        using var doc = JsonDocument.Parse(body);
        var unknown = doc.RootElement.TryGetProperty("unknown", out var u) && u.ValueKind == JsonValueKind.Array
            ? u.EnumerateArray().Select(x => x.GetString() ?? "").Where(x => x.Length > 0).ToList()
            : [];
        return new HeartbeatReply(unknown);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            do
            {
                try
                {
                    var reply = await SendAsync(ct);
                    if (_failing) _log.LogInformation("heartbeats reach the controller {Controller} again", _http.BaseAddress);
                    _failing = false;
                    if (reply.Unknown.Count > 0)
                        _log.LogWarning("the controller has no record of sandboxes running here: {Names} (deleted or moved while this host was away)", string.Join(", ", reply.Unknown));
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
                {
                    if (!_failing) _log.LogWarning("heartbeat to the controller {Controller} failed: {Error}; retrying every {Seconds} s", _http.BaseAddress, e.Message, _interval.TotalSeconds);
                    _failing = true;
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) { }
    }

    public void Dispose() => _http.Dispose();
}
