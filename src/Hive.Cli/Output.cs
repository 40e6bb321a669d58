using System.Globalization;
using System.Text.Json.Nodes;
using HiveClient;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Hive.Cli;

/// <summary>How the CLI prints: JSON, tables, errors and times.</summary>
internal static class Output
{
    public static void Json<T>(CliContext ctx, T value) => ctx.Out.WriteLine(HiveJson.Serialize(value, indented: true));

    public static void Json(CliContext ctx, JsonNode node) => ctx.Out.WriteLine(HiveJson.Serialize(node, indented: true));

    /// <summary>A borderless table like <c>docker ps</c>; cells are plain text (no markup).</summary>
    public static void Table(CliContext ctx, string[] headers, IEnumerable<string[]> rows)
    {
        var table = new Table().Border(TableBorder.None).HideRowSeparators();
        foreach (var h in headers) table.AddColumn(new TableColumn(new Text(h, new Style(decoration: Decoration.Bold))).PadLeft(0).PadRight(3));
        foreach (var row in rows) table.AddRow(row.Select(c => (IRenderable)new Text(c)).ToArray());
        ctx.Ansi.Write(table);
    }

    /// <summary>Prints <c>error: detail</c> and each field error; returns the exit code.</summary>
    public static int Error(CliContext ctx, Exception e)
    {
        switch (e)
        {
            case HiveException h:
                ctx.Err.WriteLine($"error: {h.Message}");
                foreach (var f in h.Errors) ctx.Err.WriteLine($"  {f.Path}: {f.Message}");
                return 1;
            case CliException c:
                ctx.Err.WriteLine($"error: {c.Message}");
                return c.ExitCode;
            default:
                ctx.Err.WriteLine($"error: {e.Message}");
                return 1;
        }
    }

    public static string Time(DateTimeOffset t) => t.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>"3 minutes ago" style, for tables.</summary>
    public static string Ago(DateTimeOffset t, DateTimeOffset? now = null)
    {
        if (t == default) return "";
        var d = (now ?? DateTimeOffset.UtcNow) - t;
        static string N(double v, string unit) { var n = (int)Math.Floor(v); return $"{n} {unit}{(n == 1 ? "" : "s")} ago"; }
        return d.TotalSeconds < 60 ? "just now"
            : d.TotalMinutes < 60 ? N(d.TotalMinutes, "minute")
            : d.TotalHours < 48 ? N(d.TotalHours, "hour")
            : N(d.TotalDays, "day");
    }

    public static string Size(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double v = bytes;
        var i = 0;
        while (v >= 1024 && i < units.Length - 1) { v /= 1024; i++; }
        return i == 0 ? $"{bytes} B" : v.ToString(v < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " " + units[i];
    }

    /// <summary>Reads a file, or standard input for <c>-</c>.</summary>
    public static string ReadFileArg(CliContext ctx, string path)
    {
        if (path == "-") return ctx.In.ReadToEnd();
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {path}: {e.Message}"); }
    }

    /// <summary>Parses a config file the way the daemon would (unknown fields rejected).</summary>
    public static SandboxConfig ReadConfigFile(CliContext ctx, string path)
    {
        var text = ReadFileArg(ctx, path);
        try { return SandboxConfig.FromJson(text); }
        catch (System.Text.Json.JsonException e) { throw new CliException($"{(path == "-" ? "stdin" : path)} is not a valid sandbox config: {e.Message}"); }
    }
}
