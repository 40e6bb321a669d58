using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Hive.Runtime.Host;

/// <summary>
/// The frames hive-init speaks on its socket (see src/Hive.Init/hive-init.c): a type byte, a little-endian
/// 32-bit length and the payload.
/// </summary>
public static class InitFrames
{
    public const int HeaderSize = 5;
    public const byte Request = (byte)'R';
    public const byte TerminalRequest = (byte)'T';
    public const byte WindowSize = (byte)'W';
    public const byte Stdin = (byte)'I';
    public const byte StdinEnd = (byte)'E';
    public const byte Stdout = (byte)'1';
    public const byte Stderr = (byte)'2';
    public const byte Exit = (byte)'X';

    /// <summary>Largest payload of an output frame (hive-init's read size) and of a stdin frame we send (it buffers a megabyte at most).</summary>
    public const int MaxPayload = 64 * 1024;

    /// <summary>The request frame: uid, gid, cwd, argc, argv..., then KEY=VALUE env, each NUL-terminated.</summary>
    public static byte[] EncodeRequest(ExecSpec spec) => Encode(Request, [], spec);

    /// <summary>The terminal request frame: rows, cols, then the fields of <see cref="EncodeRequest"/>.</summary>
    public static byte[] EncodeTerminalRequest(ExecSpec spec, TerminalSize size) =>
        Encode(TerminalRequest, [size.Rows.ToString(CultureInfo.InvariantCulture), size.Cols.ToString(CultureInfo.InvariantCulture)], spec);

    /// <summary>A window size frame: rows and cols, each a little-endian 16-bit number.</summary>
    public static byte[] EncodeWindowSize(TerminalSize size)
    {
        var frame = new byte[HeaderSize + 4];
        WriteHeader(frame, WindowSize, 4);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(HeaderSize), (ushort)size.Rows);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(HeaderSize + 2), (ushort)size.Cols);
        return frame;
    }

    private static byte[] Encode(byte type, string[] prefix, ExecSpec spec)
    {
        if (spec.Command.Count == 0) throw new ArgumentException("the command is empty", nameof(spec));
        var fields = new List<string>(prefix)
        {
            spec.Uid.ToString(CultureInfo.InvariantCulture), spec.Gid.ToString(CultureInfo.InvariantCulture),
            spec.Cwd ?? "", spec.Command.Count.ToString(CultureInfo.InvariantCulture),
        };
        fields.AddRange(spec.Command);
        if (spec.Env is not null)
            foreach (var (k, v) in spec.Env)
            {
                if (k.Length == 0 || k.Contains('=')) throw new ArgumentException($"env: \"{k}\" is not a variable name", nameof(spec));
                fields.Add($"{k}={v}");
            }
        var length = 0;
        foreach (var f in fields)
        {
            if (f.Contains('\0')) throw new ArgumentException("command, cwd and env must not contain NUL characters", nameof(spec));
            length += Encoding.UTF8.GetByteCount(f) + 1;
        }
        var frame = new byte[HeaderSize + length];
        WriteHeader(frame, type, length);
        var at = HeaderSize;
        foreach (var f in fields)
        {
            at += Encoding.UTF8.GetBytes(f, frame.AsSpan(at));
            frame[at++] = 0;
        }
        return frame;
    }

    public static void WriteHeader(Span<byte> destination, byte type, int length)
    {
        destination[0] = type;
        BinaryPrimitives.WriteInt32LittleEndian(destination[1..], length);
    }

    public static (byte Type, int Length) ReadHeader(ReadOnlySpan<byte> header) =>
        (header[0], BinaryPrimitives.ReadInt32LittleEndian(header[1..]));
}
