using System.CommandLine;
using System.Security.Cryptography;
using HiveClient;

namespace Hive.Cli.Commands;

/// <summary><c>hive run -- CMD...</c>: an ephemeral sandbox that runs one command, shows its events, and goes.</summary>
internal static class RunCommand
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public static Command Build(CliContext ctx)
    {
        var command = ExecCommand.CommandArgument();
        var allow = SandboxCommands.AllowOption();
        var image = SandboxCommands.ImageOption();
        var keep = new Option<bool>("--keep") { Description = "Keep the sandbox afterwards (its name is printed) instead of removing it." };
        var cmd = new Command("run", "Run a command in a new ephemeral sandbox, print the sandbox's events (to stderr), then remove it. Exits with the command's exit code.")
        {
            command, allow, image, keep,
        };
        cmd.SetAction(async (p, ct) =>
        {
            var config = new SandboxConfig { Image = p.GetValue(image) };
            foreach (var host in p.GetValue(allow) ?? []) (config.Egress ??= []).Add(EgressRule.Allow(host));
            var name = "run-" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 8);

            var sb = await ctx.Connection.GetOrCreateSandboxAsync(name, config, ct);
            if (!sb.Created) throw new CliException($"a sandbox named {name} already existed; run again.");
            try
            {
                await WaitStartedAsync(sb, ct);
                var request = new ExecRequest
                {
                    Command = p.GetValue(command)!,
                    Stdin = ctx.InputRedirected ? await ctx.In.ReadToEndAsync(ct) : null,
                };
                var exit = await ExecCommand.StreamAsync(ctx, sb, request, ct);

                var events = await sb.GetEventsAsync(ct: ct);
                ctx.Err.WriteLine($"--- events of {name} ---");
                foreach (var e in events) ctx.Err.WriteLine(EventFormat.Short(e));
                return exit;
            }
            finally
            {
                if (p.GetValue(keep)) ctx.Err.WriteLine($"Kept sandbox {name}; remove it with `hive sandbox rm {name}`.");
                else await RemoveQuietlyAsync(ctx, sb);
            }
        });
        return cmd;
    }

    /// <summary>Waits while the sandbox is <c>creating</c>; fails when it <c>failed</c>.</summary>
    private static async Task WaitStartedAsync(Sandbox sb, CancellationToken ct)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (sb.Status == "creating" && waited.Elapsed < StartTimeout)
        {
            await Task.Delay(100, ct);
            await sb.RefreshAsync(ct);
        }
        if (sb.Status == "failed") throw new CliException($"sandbox {sb.Name} failed to start; see the daemon log and `hive events {sb.Name}`.");
    }

    private static async Task RemoveQuietlyAsync(CliContext ctx, Sandbox sb)
    {
        // Also after Ctrl+C: the removal gets its own time.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await sb.DeleteAsync(cts.Token);
        }
        catch (Exception e) when (e is HiveException or OperationCanceledException)
        {
            ctx.Err.WriteLine($"warning: could not remove sandbox {sb.Name}: {e.Message}. Remove it with `hive sandbox rm {sb.Name}`.");
        }
    }
}
