using System.Text;

namespace HiveClient;

/// <summary>One dispatched server-sent event.</summary>
internal readonly record struct SseFrame(string Event, string Data, string? Id);

/// <summary>
/// A reader of <c>text/event-stream</c> per the HTML standard: <c>field: value</c> lines, one leading space
/// dropped, <c>data</c> lines joined with <c>\n</c>, <c>:</c> comments ignored, a blank line dispatches,
/// CR, LF and CRLF line ends.
/// </summary>
internal sealed class SseReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 4096);

    /// <summary>The id of the last event seen (the SSE "last event ID" buffer).</summary>
    public string? LastEventId { get; private set; }

    /// <summary>Reconnection time the server asked for, if any.</summary>
    public TimeSpan? Retry { get; private set; }

    /// <summary>The next event, or null at the end of the stream (an unfinished event is dropped, per the standard).</summary>
    public async ValueTask<SseFrame?> ReadAsync(CancellationToken ct)
    {
        string? eventType = null;
        var data = new StringBuilder();
        var hasData = false;
        while (true)
        {
            var line = await _reader.ReadLineAsync(ct).ConfigureAwait(false);
            if (line is null) return null;
            if (line.Length == 0)
            {
                if (hasData) return new SseFrame(eventType ?? "message", data.ToString(), LastEventId);
                eventType = null;
                continue;
            }
            if (line[0] == ':') continue;

            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.Length > 0 && value[0] == ' ') value = value[1..];
            switch (field)
            {
                case "event": eventType = value; break;
                case "data":
                    if (hasData) data.Append('\n');
                    data.Append(value);
                    hasData = true;
                    break;
                case "id":
                    if (!value.Contains('\0')) LastEventId = value;
                    break;
                case "retry":
                    if (int.TryParse(value, out var ms) && ms >= 0) Retry = TimeSpan.FromMilliseconds(ms);
                    break;
            }
        }
    }

    public void Dispose() => _reader.Dispose();
}
