using System.Text;

namespace Hive.Daemon.Api;

/// <summary>
/// What the non-streaming exec answer keeps of one output stream: its first <see cref="Limit"/> bytes, and how many
/// there were. Any amount of output costs at most the limit.
/// </summary>
public sealed class ExecCapture(int limit)
{
    public const int DefaultLimit = 1024 * 1024;

    private readonly MemoryStream _kept = new();

    public int Limit { get; } = limit;
    public long TotalBytes { get; private set; }
    public bool Truncated => TotalBytes > _kept.Length;

    public void Append(ReadOnlySpan<byte> data)
    {
        TotalBytes += data.Length;
        var room = Limit - (int)_kept.Length;
        if (room > 0) _kept.Write(data[..Math.Min(room, data.Length)]);
    }

    /// <summary>The kept bytes as text; a character cut at the limit is dropped rather than shown as U+FFFD.</summary>
    public string Text()
    {
        var bytes = _kept.GetBuffer().AsSpan(0, (int)_kept.Length);
        if (Truncated) bytes = bytes[..Utf8Boundary(bytes)];
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>The length of <paramref name="bytes"/> without a trailing incomplete UTF-8 sequence.</summary>
    public static int Utf8Boundary(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.Length;
        // Step back over at most 3 continuation bytes to the lead byte, and drop it if its sequence is incomplete.
        for (var i = end - 1; i >= 0 && i >= end - 4; i--)
        {
            var b = bytes[i];
            if ((b & 0xC0) == 0x80) continue;
            var need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return end - i < need ? i : end;
        }
        return end;
    }
}
