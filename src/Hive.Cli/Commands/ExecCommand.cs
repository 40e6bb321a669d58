using System.CommandLine;
using HiveClient;

namespace Hive.Cli.Commands;

/// <summary><c>hive exec NAME -- CMD...</c>: run a command in a sandbox, streaming its output.</summary>
internal static class ExecCommand
{
    public static Argument<string[]> CommandArgument() => new("command")
    {
        Description = "The command and its arguments; put them after -- so their options are not read as hive's.",
        Arity = ArgumentArity.OneOrMore,
    };

    public static Command Build(CliContext ctx)
    {
        var name = SandboxCommands.NameArgument();
        var command = CommandArgument();
        var cwd = new Option<string?>("--cwd", "-w") { Description = "Working directory inside the sandbox.", HelpName = "DIR" };
        var env = new Option<string[]>("--env", "-e") { Description = "Set an environment variable for the command; repeatable.", HelpName = "KEY=VALUE" };
        var timeout = new Option<int?>("--timeout") { Description = "Kill the command after this many milliseconds.", HelpName = "MS" };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Pass standard input to the command (with -t: every keystroke, as typed)." };
        var tty = new Option<bool>("--tty", "-t") { Description = "Run the command under a terminal in the sandbox, like docker exec -t (-it for an interactive program)." };
        var cmd = new Command("exec", "Run a command in a sandbox; its output streams as it comes, standard input is passed when redirected, and hive exits with the command's exit code. " +
            "With -it, the command gets a terminal: raw keys, window size and Ctrl-C go to it.")
        {
            name, command, cwd, env, timeout, interactive, tty,
        };
        cmd.SetAction(async (p, ct) =>
        {
            if (p.GetValue(tty))
            {
                if (p.GetValue(timeout) is not null) throw new CliException("--timeout does not apply to a terminal (-t): stop it with Ctrl-C or exit.", HiveCli.Usage);
                var options = new TerminalOptions { Command = p.GetValue(command)!, Cwd = p.GetValue(cwd), Env = ParseEnv(p.GetValue(env)) };
                var sandbox = await ctx.Connection.GetSandboxAsync(p.GetValue(name)!, ct);
                return await TerminalCommand.RunAsync(ctx, sandbox, options, forwardInput: p.GetValue(interactive), ct);
            }
            var request = new ExecRequest
            {
                Command = p.GetValue(command)!,
                Cwd = p.GetValue(cwd),
                Env = ParseEnv(p.GetValue(env)),
                TimeoutMs = p.GetValue(timeout),
                Stdin = ctx.InputRedirected ? await ctx.In.ReadToEndAsync(ct) : null,
            };
            var sb = await ctx.Connection.GetSandboxAsync(p.GetValue(name)!, ct);
            return await StreamAsync(ctx, sb, request, ct);
        });
        return cmd;
    }

    internal static Dictionary<string, string>? ParseEnv(string[]? pairs)
    {
        if (pairs is not { Length: > 0 }) return null;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new CliException($"--env expects KEY=VALUE, got '{pair}'.", HiveCli.Usage);
            env[pair[..eq]] = pair[(eq + 1)..];
        }
        return env;
    }

    /// <summary>Streams a command's output to our stdout/stderr and returns its exit code.</summary>
    internal static async Task<int> StreamAsync(CliContext ctx, Sandbox sandbox, ExecRequest request, CancellationToken ct)
    {
        await foreach (var frame in sandbox.ExecStreamAsync(request, ct))
        {
            switch (frame.Kind)
            {
                case ExecFrameKind.Stdout:
                    ctx.Out.Write(frame.Data);
                    ctx.Out.Flush();
                    break;
                case ExecFrameKind.Stderr:
                    ctx.Err.Write(frame.Data);
                    ctx.Err.Flush();
                    break;
                case ExecFrameKind.Exit:
                    if (frame.TimedOut) ctx.Err.WriteLine($"hive: the command timed out after {frame.DurationMs} ms and was killed.");
                    return frame.ExitCode ?? 1;
            }
        }
        throw new CliException("the command's exit status never arrived.");
    }
}
