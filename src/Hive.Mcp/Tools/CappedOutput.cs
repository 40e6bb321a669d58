using System.Text;

namespace Hive.Mcp.Tools;

/// <summary>
/// Keeps the first <c>head</c> and the last <c>tail</c> bytes of a stream of any length in fixed memory:
/// a command that prints 10 MB costs 30 KB here, and the model still sees how the output began and ended.
/// </summary>
public sealed class CappedOutput(int head, int tail)
{
    private readonly byte[] _head = new byte[head];
    private readonly byte[] _tail = new byte[tail];
    private int _headLength;
    private long _tailWritten; // bytes ever written to the ring
    // A pump abandoned after its command exited may still append while the result is read.
    private readonly Lock _gate = new();

    public long TotalBytes { get; private set; }
    public bool Truncated => TotalBytes > head + tail;

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_gate) AppendLocked(data);
    }

    private void AppendLocked(ReadOnlySpan<byte> data)
    {
        TotalBytes += data.Length;
        var toHead = Math.Min(data.Length, head - _headLength);
        if (toHead > 0)
        {
            data[..toHead].CopyTo(_head.AsSpan(_headLength));
            _headLength += toHead;
            data = data[toHead..];
        }
        if (tail == 0 || data.IsEmpty) return;
        if (data.Length >= tail) data = data[^tail..]; // only the last `tail` bytes can survive
        var at = (int)(_tailWritten % tail);
        var first = Math.Min(data.Length, tail - at);
        data[..first].CopyTo(_tail.AsSpan(at));
        data[first..].CopyTo(_tail);
        _tailWritten += data.Length;
    }

    /// <summary>The text kept, with a note in place of what was dropped.</summary>
    public string ToText(string what)
    {
        lock (_gate) return ToTextLocked(what);
    }

    private string ToTextLocked(string what)
    {
        var tailLength = (int)Math.Min(_tailWritten, tail);
        var tailBytes = new byte[tailLength];
        var start = (int)((_tailWritten - tailLength) % Math.Max(tail, 1));
        for (var i = 0; i < tailLength; i++) tailBytes[i] = _tail[(start + i) % tail];
        var headText = Encoding.UTF8.GetString(_head, 0, _headLength);
        if (!Truncated) return headText + Encoding.UTF8.GetString(tailBytes);
        var dropped = TotalBytes - _headLength - tailLength;
        return $"{headText}\n\n[... {what} truncated: {dropped} of {TotalBytes} bytes not shown (first {_headLength} and last {tailLength} bytes kept); " +
               $"redirect the output to a file and read or grep it in parts ...]\n\n{Encoding.UTF8.GetString(tailBytes)}";
    }
}
