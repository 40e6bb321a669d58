using System.CommandLine;
using System.Diagnostics;

namespace Hive.Cli.Commands;

/// <summary><c>hive inspector</c> (alias <c>hive ui</c>): a one-time login link to the Inspector, opened in a browser when there is one.</summary>
internal static class InspectorCommand
{
    public static Command Build(CliContext ctx)
    {
        var noOpen = new Option<bool>("--no-open") { Description = "Only print the link; do not start a browser." };
        var cmd = new Command("inspector", "Print a one-time link (valid once, for 5 minutes) that logs a browser in to the Inspector, the daemon's web UI; open it when a display is present.")
        {
            noOpen,
        };
        cmd.Aliases.Add("ui");
        cmd.SetAction(async (p, ct) =>
        {
            var login = await ctx.Connection.CreateInspectorLoginAsync(ct);
            var url = login.Url.AbsoluteUri;
            ctx.Out.WriteLine(url);
            ctx.Err.WriteLine($"Open the link above to log in to the Inspector; it works once, until {login.ExpiresAt.ToLocalTime():HH:mm:ss}.");
            if (!p.GetValue(noOpen) && HasDisplay()) TryOpen(ctx, url);
            return 0;
        });
        return cmd;
    }

    private static bool HasDisplay() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY"));

    private static void TryOpen(CliContext ctx, string url)
    {
        try
        {
            var psi = new ProcessStartInfo("xdg-open") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(url);
            using var _ = Process.Start(psi);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            ctx.Err.WriteLine($"(could not start a browser with xdg-open: {e.Message})");
        }
    }
}
