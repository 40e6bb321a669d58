using System.CommandLine;
using HiveClient;

namespace Hive.Cli.Commands;

/// <summary><c>hive sandbox create|ls|inspect|rm</c> and <c>hive config</c>.</summary>
internal static class SandboxCommands
{
    public static Command Build(CliContext ctx)
    {
        var sandbox = new Command("sandbox", "Create, list, inspect and remove sandboxes.");
        sandbox.Add(BuildCreate(ctx));
        sandbox.Add(BuildList(ctx));
        sandbox.Add(BuildInspect(ctx));
        sandbox.Add(BuildRemove(ctx));
        return sandbox;
    }

    public static Argument<string> NameArgument(string description = "Name of the sandbox.") => new("name") { Description = description };

    public static Option<bool> JsonOption(string description = "Print JSON instead of text.") => new("--json") { Description = description };

    public static Option<string[]> AllowOption() => new("--allow")
    {
        Description = "Allow outbound traffic to HOST (exact name, *.domain, *, IP or CIDR); repeatable. Without any, all egress is denied.",
        HelpName = "HOST",
    };

    public static Option<string?> ImageOption() => new("--image") { Description = "Image to boot from (default: the daemon's, hive/base).", HelpName = "IMAGE" };

    private static Command BuildCreate(CliContext ctx)
    {
        var name = NameArgument();
        var file = new Option<string?>("--file", "-f") { Description = "Sandbox config JSON (see docs/configuration.md); - reads standard input.", HelpName = "FILE" };
        var allow = AllowOption();
        var mount = new Option<string[]>("--mount") { Description = "Add a local mount at PATH inside the sandbox (its volume is <name>-<slug>); repeatable.", HelpName = "PATH" };
        var image = ImageOption();
        var json = JsonOption("Print the sandbox as JSON.");
        var cmd = new Command("create", "Create a sandbox, or get it if it exists (an existing sandbox keeps its config).") { name, file, allow, mount, image, json };
        cmd.SetAction(async (p, ct) =>
        {
            var config = p.GetValue(file) is { } f ? Output.ReadConfigFile(ctx, f) : new SandboxConfig();
            if (p.GetValue(image) is { } i) config.Image = i;
            foreach (var host in p.GetValue(allow) ?? []) (config.Egress ??= []).Add(EgressRule.Allow(host));
            foreach (var m in p.GetValue(mount) ?? []) (config.Fs ??= []).Add(new FsMount(m));

            var sb = await ctx.Connection.GetOrCreateSandboxAsync(p.GetValue(name)!, config, ct);
            if (p.GetValue(json))
            {
                Output.Json(ctx, sb.Info);
                return 0;
            }
            ctx.Out.WriteLine(sb.Created ? $"Created sandbox {sb.Name}." : $"Sandbox {sb.Name} already exists; its config was kept (change it with `hive config {sb.Name} --apply FILE`).");
            ctx.Out.WriteLine($"  name:   {sb.Name}");
            ctx.Out.WriteLine($"  status: {sb.Status}");
            ctx.Out.WriteLine($"  url:    {sb.Url}");
            return 0;
        });
        return cmd;
    }

    private static Command BuildList(CliContext ctx)
    {
        var json = JsonOption("Print a JSON array of sandboxes.");
        var cmd = new Command("ls", "List sandboxes.") { json };
        cmd.Aliases.Add("list");
        cmd.SetAction(async (p, ct) =>
        {
            var list = await ctx.Connection.ListSandboxesAsync(ct);
            if (p.GetValue(json))
            {
                Output.Json(ctx, list.Select(s => s.Info).ToList());
                return 0;
            }
            if (list.Count == 0)
            {
                ctx.Out.WriteLine("No sandboxes. Create one with `hive sandbox create NAME`.");
                return 0;
            }
            Output.Table(ctx, ["NAME", "STATUS", "IMAGE", "CREATED", "URL"],
                list.Select(s => new[] { s.Name, s.Status, s.Image ?? s.Config.Image ?? "", Output.Ago(s.CreatedAt), s.Url }));
            return 0;
        });
        return cmd;
    }

    private static Command BuildInspect(CliContext ctx)
    {
        var name = NameArgument();
        var cmd = new Command("inspect", "Print a sandbox (status, config, url) as JSON.") { name };
        cmd.SetAction(async (p, ct) =>
        {
            var sb = await ctx.Connection.GetSandboxAsync(p.GetValue(name)!, ct);
            Output.Json(ctx, sb.Info);
            return 0;
        });
        return cmd;
    }

    private static Command BuildRemove(CliContext ctx)
    {
        var names = new Argument<string[]>("name") { Description = "Sandboxes to stop and remove (their volumes stay).", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("rm", "Stop and remove sandboxes; their volumes stay.") { names };
        cmd.Aliases.Add("remove");
        cmd.SetAction(async (p, ct) =>
        {
            foreach (var n in p.GetValue(names) ?? [])
            {
                await ctx.Connection.DeleteSandboxAsync(n, ct);
                ctx.Out.WriteLine($"Removed sandbox {n}.");
            }
            return 0;
        });
        return cmd;
    }

    public static Command BuildConfig(CliContext ctx)
    {
        var name = NameArgument();
        var apply = new Option<string?>("--apply") { Description = "Apply the whole config in FILE (- for standard input), atomically; prints the changes and warnings.", HelpName = "FILE" };
        var json = JsonOption("With --apply, print the result { applied, config, changes, warnings } as JSON.");
        var cmd = new Command("config", "Print a sandbox's config as JSON (override values redacted), or apply a new one.") { name, apply, json };
        cmd.SetAction(async (p, ct) =>
        {
            var sb = await ctx.Connection.GetSandboxAsync(p.GetValue(name)!, ct);
            if (p.GetValue(apply) is not { } file)
            {
                Output.Json(ctx, await sb.GetConfigAsync(ct));
                return 0;
            }
            var result = await sb.ApplyConfigAsync(Output.ReadConfigFile(ctx, file), ct);
            if (p.GetValue(json))
            {
                Output.Json(ctx, result);
                return result.Applied ? 0 : 1;
            }
            foreach (var w in result.Warnings) ctx.Err.WriteLine($"warning: {w}");
            if (!result.Applied)
            {
                ctx.Err.WriteLine($"error: the config of {sb.Name} was not applied.");
                return 1;
            }
            if (result.Changes.Count == 0) ctx.Out.WriteLine($"No changes to {sb.Name}.");
            else
            {
                ctx.Out.WriteLine($"Applied {result.Changes.Count} change{(result.Changes.Count == 1 ? "" : "s")} to {sb.Name}:");
                foreach (var c in result.Changes) ctx.Out.WriteLine($"  {c}");
            }
            return 0;
        });
        return cmd;
    }
}
