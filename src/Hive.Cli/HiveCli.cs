using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Hive.Cli.Commands;

namespace Hive.Cli;

/// <summary>The <c>hive</c> command line: the command tree, and how errors become exit codes.</summary>
/// <remarks>Exit codes: 0 ok; the command's own for <c>exec</c> and <c>run</c>; 1 error; 2 usage; 3 <c>status</c> when not running; 130 interrupted.</remarks>
internal static class HiveCli
{
    public const int Usage = 2;

    public static RootCommand Build(CliContext ctx)
    {
        var root = new RootCommand("Hive: governed sandboxes for AI agents. Every file access, outbound request and command is mediated by policy and recorded.");
        foreach (var c in DaemonCommands.Build(ctx)) root.Add(c);
        root.Add(RunCommand.Build(ctx));
        root.Add(SandboxCommands.Build(ctx));
        root.Add(SandboxCommands.BuildConfig(ctx));
        root.Add(ExecCommand.Build(ctx));
        root.Add(TerminalCommand.BuildShell(ctx));
        root.Add(EventsCommand.Build(ctx));
        root.Add(SecretCommands.Build(ctx));
        foreach (var c in ApprovalCommands.Build(ctx)) root.Add(c);
        root.Add(ImageCommands.Build(ctx));
        root.Add(InspectorCommand.Build(ctx));
        root.Add(ClusterCommands.Build(ctx));
        return root;
    }

    private static List<string> CommandPath(ParseResult parse)
    {
        var path = new List<string>();
        for (SymbolResult? r = parse.CommandResult; r is CommandResult c; r = c.Parent)
            path.Insert(0, c.Parent is null ? "hive" : c.Command.Name);
        return path;
    }

    public static async Task<int> RunAsync(string[] args, CliContext ctx, CancellationToken ct)
    {
        var root = Build(ctx);
        var parse = root.Parse(args);
        var config = new InvocationConfiguration
        {
            Output = ctx.Out,
            Error = ctx.Err,
            EnableDefaultExceptionHandler = false,
            // Ctrl+C and SIGTERM cancel the command's token, then the process ends after this grace time:
            // longer for the daemon's shutdown and for `run` removing its sandbox.
            ProcessTerminationTimeout = parse.CommandResult.Command.Name is "daemon" or "run" ? TimeSpan.FromSeconds(35) : TimeSpan.FromSeconds(3),
        };
        if (parse.Action is ParseErrorAction)
        {
            var path = CommandPath(parse);
            var group = parse.CommandResult.Command;
            if (group.Subcommands.Count > 0 && parse.CommandResult.Tokens.Count == 0 && parse.UnmatchedTokens.Count == 0)
            {
                // `hive` or `hive sandbox` alone: show what there is to run.
                await root.Parse([.. path.Skip(1), "--help"]).InvokeAsync(config, ct);
                return Usage;
            }
            var messages = parse.Errors.Select(e => e.Message).Distinct().ToList();
            if (messages.Count > 1) messages.RemoveAll(m => m.StartsWith("Required command was not provided", StringComparison.Ordinal));
            foreach (var message in messages) ctx.Err.WriteLine($"error: {message}");
            ctx.Err.WriteLine($"Run '{string.Join(' ', path)} --help' for usage.");
            return Usage;
        }
        try
        {
            return await parse.InvokeAsync(config, ct);
        }
        catch (OperationCanceledException)
        {
            ctx.Err.WriteLine("interrupted");
            return 130;
        }
        catch (Exception e)
        {
            return Output.Error(ctx, e);
        }
    }
}
