using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hive.Host.Outbox;

/// <summary>Tuning of <see cref="OutboxPusher"/>; the defaults suit a real cluster.</summary>
public sealed record OutboxPusherOptions
{
    public int MaxEvents { get; init; } = 1000;

    /// <summary>About this many bytes of events and bodies per push (at least one event).</summary>
    public long MaxBytes { get; init; } = 4 * 1024 * 1024;

    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an empty outbox waits for a commit before looking again.</summary>
    public TimeSpan Idle { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Sends the outbox's events to the controller (<c>POST {controller}/v1/cluster/events</c>), oldest first, one batch at
/// a time, and deletes them when the controller acknowledged them (it answers after storing them). While the controller
/// is away or fails, the same batch is sent again with exponential backoff: the controller stores a batch once however
/// often it comes, so a lost answer costs a resend, never a duplicate. The handler is injected (the mTLS client of
/// cluster mode, a plain one in tests).
/// </summary>
public sealed class OutboxPusher : IAsyncDisposable
{
    private readonly EventOutbox _outbox;
    private readonly Uri _endpoint;
    private readonly string _host;
    private readonly HttpClient _client;
    private readonly ILogger _log;
    private readonly OutboxPusherOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private long _acked;
    private long _failures;

    /// <param name="controller">The controller's cluster URL (<c>cluster.controller</c>), e.g. https://hive-controller:7443.</param>
    /// <param name="host">This host's name (<c>cluster.name</c>).</param>
    public OutboxPusher(EventOutbox outbox, Uri controller, string host, HttpMessageHandler handler, ILogger? log = null,
        OutboxPusherOptions? options = null, bool disposeHandler = true)
    {
        _outbox = outbox;
        _endpoint = new Uri(controller, "/v1/cluster/events");
        _host = host;
        _options = options ?? new OutboxPusherOptions();
        _client = new HttpClient(handler, disposeHandler) { Timeout = _options.RequestTimeout };
        _log = log ?? NullLogger.Instance;
    }

    /// <summary>The last seq the controller acknowledged in this run.</summary>
    public long Acked => Interlocked.Read(ref _acked);

    /// <summary>Pushes that failed (the controller away, an error answer) in this run.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    private async Task RunAsync(CancellationToken ct)
    {
        var backoff = _options.MinBackoff;
        while (!ct.IsCancellationRequested)
        {
            var signal = _outbox.CommitSignal;
            IReadOnlyList<OutboxEvent> batch;
            try
            {
                batch = _outbox.Read(_options.MaxEvents, _options.MaxBytes);
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                _log.LogError(e, "the event outbox could not be read");
                await Delay(_options.MaxBackoff, ct);
                continue;
            }
            if (batch.Count == 0)
            {
                await Task.WhenAny(signal, Task.Delay(_options.Idle, ct));
                continue;
            }
            if (await PushAsync(batch, ct) is { } acked)
            {
                if (acked > 0) _outbox.Acknowledge(acked);
                Interlocked.Exchange(ref _acked, acked);
                if (acked >= batch[^1].Seq)
                {
                    backoff = _options.MinBackoff;
                    continue;
                }
                _log.LogWarning("the controller acknowledged events up to {Acked} of a batch up to {Last}; sending again", acked, batch[^1].Seq);
            }
            Interlocked.Increment(ref _failures);
            await Delay(backoff, ct);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
        }
    }

    /// <summary>The acknowledged seq, or null when the push failed.</summary>
    private async Task<long?> PushAsync(IReadOnlyList<OutboxEvent> batch, CancellationToken ct)
    {
        try
        {
            using var content = new ByteArrayContent(OutboxWire.Batch(_host, _outbox.Stream, batch));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await _client.PostAsync(_endpoint, content, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                // 400 would mean this host sends what the controller cannot take: kept and retried (never dropped), and said loudly.
                var level = (int)response.StatusCode is >= 400 and < 500 ? LogLevel.Error : LogLevel.Warning;
                _log.Log(level, "the controller refused events {First}-{Last}: {Status} {Body}", batch[0].Seq, batch[^1].Seq, (int)response.StatusCode,
                    System.Text.Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 500))));
                return null;
            }
            return OutboxWire.Acked(body);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or IOException && !ct.IsCancellationRequested)
        {
            _log.LogDebug("pushing events {First}-{Last} failed: {Error}", batch[0].Seq, batch[^1].Seq, e.Message);
            return null;
        }
    }

    private static async Task Delay(TimeSpan t, CancellationToken ct)
    {
        try
        {
            await Task.Delay(t, ct);
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException) { }
        _client.Dispose();
        _stop.Dispose();
    }
}
