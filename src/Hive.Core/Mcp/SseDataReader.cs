using System.Text;

namespace Hive.Core.Mcp;

/// <summary>
/// Splits a server-sent-events byte stream, fed in arbitrary chunks, into the data of each event (its <c>data:</c>
/// lines joined by '\n'). Memory is bounded: an event whose data grows past the limit is skipped, not buffered.
/// </summary>
public sealed class SseDataReader(int maxEventBytes = 8 * 1024 * 1024)
{
    private readonly List<byte> _line = [];
    private readonly List<byte> _data = [];
    private bool _hasData;
    private bool _overflow;
    private bool _lastWasCr;

    /// <summary>Feeds bytes; calls <paramref name="onEvent"/> with the data of every event they complete.</summary>
    public void Feed(ReadOnlySpan<byte> bytes, Action<ReadOnlyMemory<byte>> onEvent)
    {
        foreach (var b in bytes)
        {
            if (b == '\n' && _lastWasCr)
            {
                _lastWasCr = false; // the \n of a \r\n pair: the line already ended
                continue;
            }
            _lastWasCr = b == '\r';
            if (b is (byte)'\n' or (byte)'\r')
            {
                EndLine(onEvent);
                continue;
            }
            if (_line.Count < maxEventBytes) _line.Add(b);
            else _overflow = true;
        }
    }

    private void EndLine(Action<ReadOnlyMemory<byte>> onEvent)
    {
        if (_line.Count == 0)
        {
            // A blank line dispatches the event.
            if (_hasData && !_overflow) onEvent(_data.ToArray());
            _data.Clear();
            _hasData = false;
            _overflow = false;
            return;
        }
        var line = _line.ToArray();
        _line.Clear();
        var span = line.AsSpan();
        if (!span.StartsWith("data"u8)) return; // event:, id:, retry: and comments do not matter here
        var value = span[4..];
        if (value.Length > 0 && value[0] != ':') return; // a field named "dataX"
        if (value.Length > 0) value = value[1..];
        if (value.Length > 0 && value[0] == ' ') value = value[1..];
        if (_hasData) _data.Add((byte)'\n');
        if (_data.Count + value.Length > maxEventBytes) _overflow = true;
        else foreach (var b in value) _data.Add(b);
        _hasData = true;
    }

    public static string Text(ReadOnlyMemory<byte> data) => Encoding.UTF8.GetString(data.Span);
}
