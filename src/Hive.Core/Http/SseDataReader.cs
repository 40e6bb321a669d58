using System.Buffers;
using System.Text;

namespace Hive.Core.Http;

/// <summary>
/// Splits a server-sent-events byte stream, fed in arbitrary chunks, into the data of each event (its <c>data:</c>
/// lines joined by '\n'). Memory is bounded: an event whose data grows past the limit is skipped, not buffered.
/// </summary>
public sealed class SseDataReader(int maxEventBytes = 8 * 1024 * 1024)
{
    private readonly ArrayBufferWriter<byte> _line = new(256);
    private readonly ArrayBufferWriter<byte> _data = new(1024);
    private bool _hasData;
    private bool _overflow;
    private bool _lastWasCr;

    /// <summary>Feeds bytes; calls <paramref name="onEvent"/> with the data of every event they complete.</summary>
    public void Feed(ReadOnlySpan<byte> bytes, Action<ReadOnlyMemory<byte>> onEvent)
    {
        while (!bytes.IsEmpty)
        {
            if (_lastWasCr && bytes[0] == '\n')
            {
                bytes = bytes[1..]; // the \n of a \r\n pair: the line already ended
                _lastWasCr = false;
                continue;
            }
            var end = bytes.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                Append(_line, bytes);
                _lastWasCr = false;
                return;
            }
            Append(_line, bytes[..end]);
            _lastWasCr = bytes[end] == '\r';
            bytes = bytes[(end + 1)..];
            EndLine(onEvent);
        }
    }

    private void Append(ArrayBufferWriter<byte> buffer, ReadOnlySpan<byte> bytes)
    {
        if (buffer.WrittenCount + bytes.Length > maxEventBytes)
        {
            _overflow = true;
            return;
        }
        buffer.Write(bytes);
    }

    private void EndLine(Action<ReadOnlyMemory<byte>> onEvent)
    {
        var line = _line.WrittenSpan;
        if (line.IsEmpty)
        {
            // A blank line dispatches the event.
            if (_hasData && !_overflow) onEvent(_data.WrittenMemory);
            _data.Clear();
            _hasData = false;
            _overflow = false;
            return;
        }
        if (line.StartsWith("data"u8))
        {
            var value = line[4..];
            if (value.IsEmpty || value[0] == ':') // not a field named "dataX"
            {
                if (!value.IsEmpty) value = value[1..];
                if (!value.IsEmpty && value[0] == ' ') value = value[1..];
                if (_hasData) Append(_data, "\n"u8);
                Append(_data, value);
                _hasData = true;
            }
        }
        // event:, id:, retry: and comments do not matter here.
        _line.Clear();
    }

    public static string Text(ReadOnlyMemory<byte> data) => Encoding.UTF8.GetString(data.Span);
}
