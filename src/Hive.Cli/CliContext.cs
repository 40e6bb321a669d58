using HiveClient;
using Spectre.Console;

namespace Hive.Cli;

/// <summary>What a command talks to: its streams and the daemon. Tests give their own.</summary>
internal sealed class CliContext
{
    private HiveConnection? _connection;
    private IAnsiConsole? _ansi;

    public TextWriter Out { get; init; } = Console.Out;
    public TextWriter Err { get; init; } = Console.Error;
    public TextReader In { get; init; } = Console.In;
    public bool InputRedirected { get; init; } = Console.IsInputRedirected;

    /// <summary>Makes the daemon connection on first use (HIVE_URL, HIVE_LISTEN, HIVE_TOKEN, $HIVE_HOME/token).</summary>
    public Func<HiveConnection> Connect { get; init; } = HiveConnection.FromEnvironment;

    public HiveConnection Connection => _connection ??= Connect();

    /// <summary>
    /// Spectre console over <see cref="Out"/>, for tables and progress: colours and redraws only on a terminal;
    /// otherwise plain text with no wrapping, for scripts.
    /// </summary>
    public IAnsiConsole Ansi => _ansi ??= CreateAnsi();

    private IAnsiConsole CreateAnsi()
    {
        var terminal = ReferenceEquals(Out, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Out),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal) console.Profile.Width = 4096;
        return console;
    }
}

/// <summary>A failure to report as <c>error: message</c> with an exit code.</summary>
internal sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
