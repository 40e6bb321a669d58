using System.CommandLine;
using HiveClient;
using Spectre.Console;

namespace Hive.Cli.Commands;

/// <summary><c>hive secret set|ls|rm|rotate|activity</c>. Values are read from stdin or a hidden prompt, never from arguments.</summary>
internal static class SecretCommands
{
    private static readonly string[] Catalogue = ["anthropic", "openai", "github", "google", "groq", "mistral", "xai", "openrouter"];

    public static Command Build(CliContext ctx)
    {
        var secret = new Command("secret", "Store credentials the agent can use but never read: the sandbox sees a stand-in, the egress proxy swaps in the real value on the secret's hosts.");
        secret.Add(BuildSet(ctx));
        secret.Add(BuildList(ctx));
        secret.Add(BuildRemove(ctx));
        secret.Add(BuildRotate(ctx));
        secret.Add(BuildActivity(ctx));
        return secret;
    }

    private static Argument<string[]> ScopeAndName(string what) => new("name")
    {
        Description = $"[SANDBOX] NAME: the secret{what}; with SANDBOX first, the secret scoped to that sandbox.",
        Arity = new ArgumentArity(1, 2),
        HelpName = "SANDBOX] [NAME",
    };

    private static Option<bool> GlobalOption(string description) => new("--global", "-g") { Description = description };

    /// <summary>(sandbox or null, name) from one or two positional words.</summary>
    private static (string? Sandbox, string Name) Split(string[] words, bool global)
    {
        if (words.Length == 2)
        {
            if (global) throw new CliException("give either -g or a SANDBOX, not both", HiveCli.Usage);
            return (words[0], words[1]);
        }
        return (null, words[0]);
    }

    private static Command BuildSet(CliContext ctx)
    {
        var args = ScopeAndName(": a provider from the catalogue (" + string.Join(", ", Catalogue) + ") or your own name with --host");
        var global = GlobalOption("Bind into every sandbox created from now on (its provider's env vars get the stand-in).");
        var host = new Option<string[]>("--host") { Description = "A host the secret may be sent to (exact name or *.domain); repeatable. Makes it a custom secret.", HelpName = "HOST" };
        var header = new Option<string?>("--header") { Description = "Send the value in this header (e.g. X-Api-Key) instead of Authorization: Bearer.", HelpName = "NAME" };
        var scheme = new Option<string?>("--scheme") { Description = "How the value is sent: bearer (default), basic, query (with --param), header (with --header).", HelpName = "bearer|basic|query|header" };
        scheme.AcceptOnlyFromAmong("bearer", "basic", "query", "header");
        var param = new Option<string?>("--param") { Description = "The query parameter that carries the value (--scheme query).", HelpName = "NAME" };
        var prefix = new Option<string?>("--prefix") { Description = "Text put before the value when it is injected (e.g. 'Token ').", HelpName = "TEXT" };
        var user = new Option<string?>("--user") { Description = "The Basic user name (--scheme basic); without it the value is user:password or the user with an empty password.", HelpName = "USER" };
        var provider = new Option<string?>("--provider") { Description = "Use a catalogue provider's hosts and scheme under another NAME (e.g. anthropic-prod).", HelpName = "PROVIDER" };
        var json = SandboxCommands.JsonOption("Print the stored secret (masked) as JSON.");
        var cmd = new Command("set", "Store a secret; the value comes from standard input when piped, else from a hidden prompt.")
        {
            args, global, host, header, scheme, param, prefix, user, provider, json,
        };
        cmd.SetAction(async (p, ct) =>
        {
            var (sandbox, name) = Split(p.GetValue(args)!, p.GetValue(global));
            var hosts = p.GetValue(host) ?? [];
            var options = new SecretCreateOptions { Name = name, Value = null, Global = p.GetValue(global), Sandbox = sandbox };
            if (hosts.Length > 0)
            {
                if (p.GetValue(provider) is not null) throw new CliException("give either --provider or --host, not both: a provider fixes its hosts", HiveCli.Usage);
                options.Hosts = [.. hosts];
                options.Auth = Auth(p.GetValue(scheme), p.GetValue(header), p.GetValue(param), p.GetValue(prefix), p.GetValue(user));
            }
            else
            {
                var chosen = p.GetValue(provider) ?? (Catalogue.Contains(name.ToLowerInvariant()) ? name.ToLowerInvariant() : null);
                options.Provider = chosen ?? throw new CliException(
                    $"{name} is not a provider from the catalogue ({string.Join(", ", Catalogue)}): give --host HOST (and --header NAME or --scheme) " +
                    "for your own service, or --provider PROVIDER to store a provider's key under this name", HiveCli.Usage);
                if (p.GetValue(header) is not null || p.GetValue(scheme) is not null || p.GetValue(param) is not null || p.GetValue(user) is not null || p.GetValue(prefix) is not null)
                    throw new CliException($"--header, --scheme, --param, --user and --prefix describe a custom secret; {chosen} fixes its own scheme", HiveCli.Usage);
            }
            options.Value = ReadValue(ctx, name);
            var info = await ctx.Connection.Secrets.CreateAsync(options, ct);
            if (p.GetValue(json)) { Output.Json(ctx, info); return 0; }
            var scope = info.IsGlobal ? "bound into every sandbox created from now on"
                : info.Sandbox is { } s ? $"bound into sandbox {s} now"
                : $"bind it with \"secrets\": {{ \"ENV_VAR\": \"{info.Name}\" }} in a sandbox config";
            ctx.Out.WriteLine($"Stored secret {info.Name} ({info.Masked}) for {string.Join(", ", info.Hosts)}; {scope}.");
            return 0;
        });
        return cmd;
    }

    private static HiveClient.SecretAuth Auth(string? scheme, string? header, string? param, string? prefix, string? user)
    {
        scheme ??= header is not null ? "header" : param is not null ? "query" : user is not null ? "basic" : "bearer";
        var auth = scheme switch
        {
            "header" => HiveClient.SecretAuth.Header(header ?? throw new CliException("--scheme header needs --header NAME", HiveCli.Usage)),
            "query" => HiveClient.SecretAuth.Query(param ?? header ?? throw new CliException("--scheme query needs --param NAME (the query parameter)", HiveCli.Usage)),
            "basic" => HiveClient.SecretAuth.Basic(user),
            _ => HiveClient.SecretAuth.Bearer(),
        };
        if (header is not null && scheme is not ("header" or "query")) throw new CliException($"--header goes with --scheme header, not {scheme}", HiveCli.Usage);
        if (user is not null && scheme != "basic") throw new CliException("--user goes with --scheme basic", HiveCli.Usage);
        auth.Prefix = prefix;
        return auth;
    }

    /// <summary>Piped: all of standard input, without the trailing newline. A terminal: a prompt that does not echo.</summary>
    private static string ReadValue(CliContext ctx, string name)
    {
        string value;
        if (ctx.InputRedirected)
        {
            value = ctx.In.ReadToEnd().TrimEnd('\r', '\n');
            if (value.Length == 0) throw new CliException($"standard input was empty: pipe the value of {name} in, e.g. echo \"$KEY\" | hive secret set {name}");
        }
        else
        {
            value = AnsiConsole.Prompt(new TextPrompt<string>($"Value for {Markup.Escape(name)}:").Secret());
        }
        return value.Trim();
    }

    private static Command BuildList(CliContext ctx)
    {
        var json = SandboxCommands.JsonOption("Print a JSON array (values masked).");
        var cmd = new Command("ls", "List secrets: scope, hosts, scheme and a masked value.") { json };
        cmd.Aliases.Add("list");
        cmd.SetAction(async (p, ct) =>
        {
            var list = await ctx.Connection.Secrets.ListAsync(ct);
            if (p.GetValue(json)) { Output.Json(ctx, list); return 0; }
            if (list.Count == 0)
            {
                ctx.Out.WriteLine("No secrets. Store one with `echo \"$KEY\" | hive secret set -g anthropic`.");
                return 0;
            }
            Output.Table(ctx, ["NAME", "SCOPE", "PROVIDER", "HOSTS", "AUTH", "VALUE", "CREATED", "ROTATED"],
                list.Select(s => new[]
                {
                    s.Name, s.ScopeText, s.Provider ?? "-", string.Join(",", s.Hosts), s.Auth?.ToString() ?? "", s.Masked ?? "(unreadable)",
                    Output.Ago(s.CreatedAt), s.RotatedAt is { } r ? Output.Ago(r) : "-",
                }));
            return 0;
        });
        return cmd;
    }

    private static Command BuildRemove(CliContext ctx)
    {
        var args = ScopeAndName(" to delete");
        var global = GlobalOption("The secret not scoped to a sandbox (the default when there is one).");
        var cmd = new Command("rm", "Delete a secret: sandboxes' requests carrying its stand-in are refused from the next one on.") { args, global };
        cmd.Aliases.Add("remove");
        cmd.SetAction(async (p, ct) =>
        {
            var (sandbox, name) = Split(p.GetValue(args)!, p.GetValue(global));
            await ctx.Connection.Secrets.DeleteAsync(name, sandbox, ct);
            ctx.Out.WriteLine($"Deleted secret {name}{(sandbox is null ? "" : $" of sandbox {sandbox}")}; its stand-ins are revoked.");
            return 0;
        });
        return cmd;
    }

    private static Command BuildRotate(CliContext ctx)
    {
        var args = ScopeAndName(" to give a new value");
        var json = SandboxCommands.JsonOption("Print the secret (masked) as JSON.");
        var cmd = new Command("rotate", "Replace a secret's value (from stdin or a hidden prompt); sandboxes use it on their next request, no restart.") { args, json };
        cmd.SetAction(async (p, ct) =>
        {
            var (sandbox, name) = Split(p.GetValue(args)!, false);
            var info = await ctx.Connection.Secrets.RotateAsync(name, ReadValue(ctx, name), sandbox, ct);
            if (p.GetValue(json)) { Output.Json(ctx, info); return 0; }
            ctx.Out.WriteLine($"Rotated secret {info.Name} ({info.Masked}); the next request uses the new value.");
            return 0;
        });
        return cmd;
    }

    private static Command BuildActivity(CliContext ctx)
    {
        var name = new Argument<string>("name") { Description = "The secret." };
        var status = new Option<string?>("--status") { Description = "Only requests with this status class (4xx) or status (403).", HelpName = "4xx|403" };
        var limit = new Option<int?>("--limit") { Description = "At most N entries (default 100, at most 1000).", HelpName = "N" };
        var sandbox = new Option<string?>("--sandbox") { Description = "Only requests from this sandbox.", HelpName = "SANDBOX" };
        var before = new Option<long?>("--before") { Description = "Entries older than this activity id (the next page).", HelpName = "ID" };
        var json = SandboxCommands.JsonOption("Print a JSON array.");
        var cmd = new Command("activity", "Requests that used a secret (or carried its stand-in where it was refused), newest first.") { name, status, limit, sandbox, before, json };
        cmd.SetAction(async (p, ct) =>
        {
            var list = await ctx.Connection.Secrets.ActivityAsync(p.GetValue(name)!, new SecretActivityOptions
            {
                Status = p.GetValue(status), Limit = p.GetValue(limit), Sandbox = p.GetValue(sandbox), Before = p.GetValue(before),
            }, ct);
            if (p.GetValue(json)) { Output.Json(ctx, list); return 0; }
            if (list.Count == 0) { ctx.Out.WriteLine("No activity."); return 0; }
            Output.Table(ctx, ["ID", "TIME", "SANDBOX", "KIND", "METHOD", "HOST", "PATH", "STATUS", "UPSTREAM", "MS", "ERROR"],
                list.Select(a => new[]
                {
                    a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Output.Time(a.Ts), a.Sandbox, a.Kind, a.Method ?? "", a.Host ?? "", a.Path ?? "",
                    a.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", a.UpstreamStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                    a.DurationMs.ToString(System.Globalization.CultureInfo.InvariantCulture), a.Error ?? "",
                }));
            return 0;
        });
        return cmd;
    }
}
