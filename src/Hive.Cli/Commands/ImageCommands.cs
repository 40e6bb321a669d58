using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Hive.Core;
using Hive.Runtime.Images;
using Spectre.Console;

namespace Hive.Cli.Commands;

/// <summary><c>hive image build|import|ls|rm</c>: images under $HIVE_HOME/images, handled locally (not through the daemon).</summary>
internal static class ImageCommands
{
    public static readonly string[] Known = ["hive/base", "hive/minimal"];

    public static Command Build(CliContext ctx)
    {
        var image = new Command("image", "Build, import, list and remove the root file systems sandboxes boot from (run on this host, as root).");
        image.Add(BuildBuild(ctx));
        image.Add(BuildImport(ctx));
        image.Add(BuildList(ctx));
        image.Add(BuildRemove(ctx));
        return image;
    }

    private static ImageStore Store() => new(Path.Combine(HiveHome.Resolve(), "images"));

    private static void RequireRoot(string what)
    {
        if (!Native.IsRoot)
            throw new CliException($"{what} needs root: it writes to {Path.Combine(HiveHome.Resolve(), "images")} and builds root file systems. Run it with sudo.");
    }

    private static Command BuildBuild(CliContext ctx)
    {
        var name = new Argument<string>("name")
        {
            Description = "hive/base (Debian with bash, coreutils, curl, git, python3 and the MCP server) or hive/minimal.",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => "hive/base",
        };
        name.AcceptOnlyFromAmong(Known);
        var force = new Option<bool>("--force") { Description = "Build again even when the image exists." };
        var cmd = new Command("build", "Build a known image from Debian packages, with progress; later starts reuse it.") { name, force };
        cmd.SetAction(async (p, ct) =>
        {
            RequireRoot("Building an image");
            var n = p.GetValue(name)!;
            var store = Store();
            var clock = Stopwatch.StartNew();
            var info = await WithProgressAsync(ctx, n, "building", report => store.BuildAsync(n, p.GetValue(force), report, ct));
            ctx.Out.WriteLine($"Image {info.Name} is ready ({Output.Size(info.SizeBytes)}, {clock.Elapsed.TotalSeconds:0.0} s).");
            return 0;
        });
        return cmd;
    }

    private static Command BuildImport(CliContext ctx)
    {
        var name = new Argument<string>("name") { Description = "Name for the imported image, e.g. acme/agent (used as a sandbox's image)." };
        var archive = new Argument<string>("archive") { Description = "A `docker save` archive or an OCI image layout, as a .tar file." };
        var cmd = new Command("import", "Import an image built elsewhere: `docker save IMAGE -o image.tar`, then `hive image import NAME image.tar`.") { name, archive };
        cmd.SetAction(async (p, ct) =>
        {
            RequireRoot("Importing an image");
            var n = p.GetValue(name)!;
            var path = p.GetValue(archive)!;
            if (!ImageNames.TryNormalize(n, out _, out var invalid)) throw new CliException(invalid);
            if (!File.Exists(path)) throw new CliException($"{path}: no such file.");
            var store = Store();
            var clock = Stopwatch.StartNew();
            ImageInfo info;
            try
            {
                info = await WithProgressAsync(ctx, n, "importing", report => store.ImportAsync(n, path, report, ct));
            }
            catch (ImageImportException e)
            {
                throw new CliException($"cannot import {path}: {e.Message} Nothing was imported.");
            }
            var ports = info.ExposedPorts.Count > 0 ? $", ports {string.Join(", ", info.ExposedPorts)}" : "";
            ctx.Out.WriteLine($"Image {info.Name} is ready ({Output.Size(info.SizeBytes)}{ports}, {clock.Elapsed.TotalSeconds:0.0} s).");
            return 0;
        });
        return cmd;
    }

    /// <summary>Runs a long image operation with a progress bar on a terminal, one line per stage otherwise.</summary>
    private static async Task<ImageInfo> WithProgressAsync(CliContext ctx, string n, string verb, Func<IProgress<ImageProgress>, Task<ImageInfo>> run)
    {
        if (ctx.Ansi.Profile.Capabilities.Interactive)
        {
            return await ctx.Ansi.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask(Markup.Escape($"{verb} {n}"), maxValue: 1.0);
                    var report = new InlineProgress<ImageProgress>(r =>
                    {
                        task.Description = Markup.Escape(Describe(n, r));
                        task.Value = Math.Clamp(r.Fraction, 0, 1);
                    });
                    var done = await run(report);
                    task.Value = task.MaxValue;
                    task.Description = Markup.Escape($"{n}: done");
                    return done;
                });
        }
        // Not a terminal: one line per stage, no redraws.
        string? stage = null;
        var lines = new InlineProgress<ImageProgress>(r =>
        {
            if (r.Stage == stage) return;
            stage = r.Stage;
            ctx.Out.WriteLine($"{r.Fraction,4:P0}  {Describe(n, r)}");
        });
        return await run(lines);
    }

    private static string Describe(string name, ImageProgress r)
    {
        var detail = r.Detail is { Length: > 0 } d ? ": " + (d.Length > 60 ? d[..57] + "..." : d) : "";
        return $"{name}: {r.Stage}{detail}";
    }

    private static Command BuildList(CliContext ctx)
    {
        var json = SandboxCommands.JsonOption("Print a JSON array of images.");
        var cmd = new Command("ls", "List built images.") { json };
        cmd.Aliases.Add("list");
        cmd.SetAction(p =>
        {
            IReadOnlyList<ImageInfo> images;
            try { images = Store().List(); }
            catch (UnauthorizedAccessException) { RequireRoot("Listing images"); throw; }

            if (p.GetValue(json))
            {
                var array = new JsonArray();
                foreach (var i in images)
                    array.Add(new JsonObject { ["name"] = i.Name, ["sizeBytes"] = i.SizeBytes, ["createdAt"] = i.CreatedAt, ["rootFs"] = i.RootFs });
                Output.Json(ctx, array);
                return 0;
            }
            if (images.Count == 0)
            {
                ctx.Out.WriteLine("No images. Build the default one with `hive image build`.");
                return 0;
            }
            Output.Table(ctx, ["NAME", "SIZE", "CREATED"], images.Select(i => new[] { i.Name, Output.Size(i.SizeBytes), Output.Ago(i.CreatedAt) }));
            return 0;
        });
        return cmd;
    }

    private static Command BuildRemove(CliContext ctx)
    {
        var name = new Argument<string>("name") { Description = "Image to remove, e.g. hive/base." };
        var cmd = new Command("rm", "Remove a built image from this host.") { name };
        cmd.Aliases.Add("remove");
        cmd.SetAction(p =>
        {
            RequireRoot("Removing an image");
            var n = p.GetValue(name)!;
            if (!Store().Remove(n)) throw new CliException($"no image named {n}; see `hive image ls`.");
            ctx.Out.WriteLine($"Removed image {n}.");
            return 0;
        });
        return cmd;
    }

    /// <summary>Reports synchronously on the caller's thread, in order (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
