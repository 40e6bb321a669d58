namespace Hive.Host.Abstractions;

/// <summary>A terminal's window size in character cells (what TIOCSWINSZ takes).</summary>
public readonly record struct TerminalSize(int Rows, int Cols)
{
    public const int Max = 10000;
    public static readonly TerminalSize Default = new(24, 80);
    public bool IsValid => Rows is >= 1 and <= Max && Cols is >= 1 and <= Max;
}

/// <summary>What a terminal's user sends: keystrokes (bytes, as typed) or a new window size.</summary>
public readonly record struct TerminalInput(ReadOnlyMemory<byte> Keys, TerminalSize? Resize)
{
    public static TerminalInput Typed(ReadOnlyMemory<byte> keys) => new(keys, null);
    public static TerminalInput Resized(TerminalSize size) => new(default, size);
}
