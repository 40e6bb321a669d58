using System.Buffers;

namespace Hive.Core.Secrets;

/// <summary>
/// Replaces fixed byte patterns in a stream fed chunk by chunk, including occurrences that straddle chunks. Matching is
/// leftmost-longest and non-overlapping, exactly as if the whole stream were one buffer. Between calls it holds
/// back only a tail that could begin a pattern: at most (longest pattern − 1) bytes. Not thread-safe: one per stream.
/// Its buffers come from the shared array pool; <see cref="Dispose"/> clears what they held (real values) and returns them.
/// </summary>
/// <remarks>
/// Each call copies the chunk once into a reused buffer and searches it once per pattern (vectorised
/// <see cref="MemoryExtensions.IndexOf{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>); a chunk without a match is handed back
/// from that buffer without a second copy. Nothing is allocated once the buffers have grown to the chunk size.
/// </remarks>
public sealed class StreamReplacer : IDisposable
{
    private readonly byte[][] _from; // longest first
    private readonly byte[][] _to;
    private readonly int _keep;      // longest pattern - 1
    private readonly int[] _next;    // per pattern: next match position in the buffer, or int.MaxValue
    private byte[] _buf = [];
    private int _start;              // _buf[_start.._end) is held back from the last call
    private int _end;
    private byte[] _out = [];

    /// <param name="pairs">Pattern → replacement; empty patterns are ignored, the first of duplicates wins.</param>
    public StreamReplacer(IEnumerable<KeyValuePair<byte[], byte[]>> pairs) : this(Compile(pairs)) { }

    /// <summary>A replacer over patterns compiled once (<see cref="Compile"/>) and shared by many streams.</summary>
    public StreamReplacer(Compiled patterns)
    {
        _from = patterns.From;
        _to = patterns.To;
        _keep = _from.Length == 0 ? 0 : _from[0].Length - 1;
        _next = new int[_from.Length];
    }

    /// <summary>Patterns and replacements, deduplicated and longest first; immutable, shareable between replacers.</summary>
    public sealed class Compiled
    {
        internal Compiled(byte[][] from, byte[][] to) { From = from; To = to; }
        internal byte[][] From { get; }
        internal byte[][] To { get; }
        public override string ToString() => $"{From.Length} compiled patterns";
    }

    public static Compiled Compile(IEnumerable<KeyValuePair<byte[], byte[]>> pairs)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = pairs.Where(p => p.Key.Length > 0 && seen.Add(Convert.ToBase64String(p.Key)))
            .OrderByDescending(p => p.Key.Length).ToList();
        return new([.. list.Select(p => p.Key)], [.. list.Select(p => p.Value)]);
    }

    /// <summary>Whether there is anything to replace (else every call hands the input back).</summary>
    public bool IsEmpty => _from.Length == 0;

    /// <summary>Bytes held back now, waiting for the next chunk or <see cref="Flush"/>.</summary>
    public int HeldBack => _end - _start;

    /// <summary>
    /// Feeds <paramref name="input"/>; returns the bytes that are decided, valid until the next call.
    /// </summary>
    public ReadOnlyMemory<byte> Transform(ReadOnlySpan<byte> input) => Run(input, final: false);

    /// <summary>End of stream: everything still held back, replaced. The replacer can then start a new stream.</summary>
    public ReadOnlyMemory<byte> Flush() => Run([], final: true);

    /// <summary>The whole of <paramref name="data"/> replaced (a fresh pass, for small values such as header fields).</summary>
    public byte[] ReplaceAll(ReadOnlySpan<byte> data)
    {
        _start = _end = 0;
        var head = Transform(data).ToArray();
        var tail = Flush();
        return tail.IsEmpty ? head : [.. head, .. tail.Span];
    }

    private ReadOnlyMemory<byte> Run(ReadOnlySpan<byte> input, bool final)
    {
        // Move what was held back to the front, then append the chunk.
        var held = _end - _start;
        var n = held + input.Length;
        if (_buf.Length < n)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(n, Math.Max(4096, _buf.Length * 2)));
            _buf.AsSpan(_start, held).CopyTo(bigger);
            Return(_buf);
            _buf = bigger;
        }
        else if (_start > 0) _buf.AsSpan(_start, held).CopyTo(_buf);
        input.CopyTo(_buf.AsSpan(held));
        var data = _buf.AsSpan(0, n);

        // A match may start only before `decided`: from there on the data is the beginning of some pattern, which the
        // next chunk may complete. Only such a tail is held back, so a stream that pauses (server-sent events) gets
        // everything else at once.
        var decided = final ? n : UndecidedTail(data);
        for (var i = 0; i < _from.Length; i++) _next[i] = Find(data, i, 0);

        var cursor = 0;
        var written = 0;
        while (true)
        {
            var best = -1;
            var at = int.MaxValue;
            for (var i = 0; i < _from.Length; i++)
                if (_next[i] < at) { at = _next[i]; best = i; } // strict: the longest wins a tie (sorted longest first)
            if (best < 0 || at >= decided) break;
            var gap = at - cursor;
            var replacement = _to[best];
            EnsureOut(written + gap + replacement.Length);
            data.Slice(cursor, gap).CopyTo(_out.AsSpan(written));
            written += gap;
            replacement.CopyTo(_out.AsSpan(written));
            written += replacement.Length;
            cursor = at + _from[best].Length;
            for (var i = 0; i < _from.Length; i++)
                if (_next[i] < cursor) _next[i] = Find(data, i, cursor);
        }

        var emitEnd = Math.Max(cursor, decided);
        _start = emitEnd;
        _end = n;
        if (final) _start = _end = 0;
        if (written == 0 && cursor == 0) return _buf.AsMemory(0, emitEnd);
        var rest = emitEnd - cursor;
        EnsureOut(written + rest);
        data.Slice(cursor, rest).CopyTo(_out.AsSpan(written));
        return _out.AsMemory(0, written + rest);
    }

    /// <summary>The first position of the last (longest pattern − 1) bytes from which the data is a proper prefix of a pattern; else the end.</summary>
    private int UndecidedTail(ReadOnlySpan<byte> data)
    {
        for (var p = Math.Max(0, data.Length - _keep); p < data.Length; p++)
        {
            var tail = data[p..];
            foreach (var pattern in _from)
                if (pattern.Length > tail.Length && pattern[0] == tail[0] && pattern.AsSpan().StartsWith(tail)) return p;
        }
        return data.Length;
    }

    private int Find(ReadOnlySpan<byte> data, int pattern, int from)
    {
        var at = data[from..].IndexOf(_from[pattern]);
        return at < 0 ? int.MaxValue : from + at;
    }

    private void EnsureOut(int size)
    {
        if (_out.Length >= size) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(size, Math.Max(4096, _out.Length * 2)));
        _out.AsSpan().CopyTo(bigger);
        Return(_out);
        _out = bigger;
    }

    /// <summary>Clears the buffers (they held the stream's bytes, real values included) and gives them back to the pool.</summary>
    public void Dispose()
    {
        Return(_buf);
        Return(_out);
        _buf = _out = [];
        _start = _end = 0;
    }

    private static void Return(byte[] buffer)
    {
        if (buffer.Length == 0) return;
        Array.Clear(buffer);
        ArrayPool<byte>.Shared.Return(buffer);
    }

    public override string ToString() => $"stream replacer: {_from.Length} patterns, {HeldBack} bytes held back";
}
