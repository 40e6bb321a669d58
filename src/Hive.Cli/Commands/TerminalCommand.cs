using System.CommandLine;
using System.Runtime.InteropServices;
using HiveClient;

namespace Hive.Cli.Commands;

/// <summary><c>hive shell NAME</c>, and <c>hive exec -it</c>: a command under a terminal in the sandbox, like <c>docker exec -it</c>.</summary>
internal static class TerminalCommand
{
    public static Command BuildShell(CliContext ctx)
    {
        var name = SandboxCommands.NameArgument();
        var cwd = new Option<string?>("--cwd", "-w") { Description = "Working directory inside the sandbox.", HelpName = "DIR" };
        var env = new Option<string[]>("--env", "-e") { Description = "Set an environment variable for the shell; repeatable.", HelpName = "KEY=VALUE" };
        var cmd = new Command("shell", "Open an interactive shell in a sandbox (bash when the image has it, else sh); hive exits with the shell's exit code.")
        {
            name, cwd, env,
        };
        cmd.SetAction(async (p, ct) =>
        {
            var options = new TerminalOptions { Cwd = p.GetValue(cwd), Env = ExecCommand.ParseEnv(p.GetValue(env)) };
            var sb = await ctx.Connection.GetSandboxAsync(p.GetValue(name)!, ct);
            return await RunAsync(ctx, sb, options, forwardInput: true, ct);
        });
        return cmd;
    }

    /// <summary>
    /// Runs the terminal: our terminal in raw mode (when stdin is one), its size and changes forwarded, output copied to
    /// stdout as it comes. Without a terminal on stdin, the input is passed as it is and its end sent as Ctrl-D.
    /// </summary>
    public static async Task<int> RunAsync(CliContext ctx, Sandbox sandbox, TerminalOptions options, bool forwardInput, CancellationToken ct)
    {
        if (LocalTerminal.Size() is { } size) (options.Rows, options.Cols) = size;
        await using var terminal = await sandbox.OpenTerminalAsync(options, ct);
        using var raw = forwardInput ? LocalTerminal.EnterRaw() : null;
        using var resized = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, signal =>
        {
            if (LocalTerminal.Size() is { } s) _ = terminal.ResizeAsync(s.Rows, s.Cols, CancellationToken.None).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        });
        if (forwardInput)
        {
            var interactive = LocalTerminal.IsTerminal(0);
            // Keystrokes go out in order: one writer at a time, fed by the reading thread.
            var keys = System.Threading.Channels.Channel.CreateUnbounded<byte[]>(new() { SingleReader = true });
            LocalTerminal.ReadInput(k => keys.Writer.TryWrite(k), () =>
            {
                if (!interactive) keys.Writer.TryWrite([4]); // EOF of a pipe: Ctrl-D, as a person would type it
                keys.Writer.TryComplete();
            });
            _ = Task.Run(async () =>
            {
                try { await foreach (var k in keys.Reader.ReadAllAsync(ct)) await terminal.WriteAsync(k, ct); }
                catch (Exception e) when (e is HiveException or OperationCanceledException) { }
            }, CancellationToken.None);
        }
        using var stdout = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(1, ownsHandle: false), FileAccess.Write, 1);
        await foreach (var chunk in terminal.ReadOutputAsync(ct))
        {
            await stdout.WriteAsync(chunk, ct);
            await stdout.FlushAsync(ct);
        }
        return await terminal.ExitCode;
    }
}
