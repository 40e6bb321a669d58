using System.ComponentModel;
using System.Buffers;
using System.Text.Json;
using Hive.Mcp.Tools;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Hive.Mcp;

/// <summary>
/// The MCP face of the tools: names, descriptions and annotations as coding agents expect them. Logic lives in
/// <see cref="BashRunner"/>, <see cref="FileTools"/> and <see cref="SearchTools"/>; failures become error results
/// with the shell's wording, never exceptions the client would only see as "an error occurred".
/// </summary>
[McpServerToolType]
public sealed class McpTools(SessionRegistry sessions, BashRunner bash)
{
    [McpServerTool(Name = "bash", Title = "Run a shell command", Destructive = true, Idempotent = false, ReadOnly = false, OpenWorld = true)]
    [Description("Runs a command with bash inside the sandbox, as the agent user. The working directory persists between calls " +
                 "of the same session (cd works as in a terminal); environment changes do not. Returns stdout, stderr and the exit " +
                 "code. Output past about 30000 characters per stream is truncated (the start and end are kept). " +
                 "Default timeout 120000 ms, at most 600000 ms.")]
    public async Task<CallToolResult> Bash(
        McpServer server,
        [Description("The command to run, e.g. \"ls -la\" or \"cd src && make\"")] string command,
        [Description("Timeout in milliseconds (default 120000, max 600000)")] int? timeout = null,
        [Description("Run in this directory instead of the session's working directory (the session's stays as it was)")] string? cwd = null,
        CancellationToken ct = default)
    {
        try
        {
            var r = await bash.RunAsync(sessions.For(server.SessionId), command, timeout, cwd, ct);
            return new CallToolResult
            {
                Content = [new TextContentBlock { Text = r.ToText() }],
                StructuredContent = Structured(r),
                IsError = r.TimedOut,
            };
        }
        catch (ToolException e)
        {
            return Error(e.Message);
        }
    }

    [McpServerTool(Name = "read", Title = "Read a file", ReadOnly = true, Idempotent = true, Destructive = false, OpenWorld = false)]
    [Description("Reads a text file and returns its lines numbered like `cat -n` (number, tab, line). By default up to 2000 lines " +
                 "from the start; use offset (1-based line number) and limit for longer files. Lines over 2000 characters are cut. " +
                 "Binary files are not shown. Relative paths are resolved against the session's working directory.")]
    public CallToolResult Read(
        McpServer server,
        [Description("The file to read (absolute, or relative to the working directory)")] string path,
        [Description("The line number to start at (1-based)")] int? offset = null,
        [Description("How many lines to return (default 2000)")] int? limit = null) =>
        Run(() => FileTools.Read(Resolve(server, path), offset, limit));

    [McpServerTool(Name = "write", Title = "Write a file", ReadOnly = false, Destructive = true, Idempotent = true, OpenWorld = false)]
    [Description("Writes content to a file, replacing it if it exists and creating it and any missing parent directories if not.")]
    public CallToolResult Write(
        McpServer server,
        [Description("The file to write (absolute, or relative to the working directory)")] string path,
        [Description("The full new content of the file")] string content) =>
        Run(() => FileTools.Write(Resolve(server, path), content));

    [McpServerTool(Name = "edit", Title = "Edit a file", ReadOnly = false, Destructive = true, Idempotent = false, OpenWorld = false)]
    [Description("Replaces an exact string in a file. oldString must match the file exactly (whitespace and indentation included) " +
                 "and occur exactly once, unless replaceAll is true, which replaces every occurrence. An empty oldString creates a " +
                 "file that does not exist yet.")]
    public CallToolResult Edit(
        McpServer server,
        [Description("The file to edit (absolute, or relative to the working directory)")] string path,
        [Description("The exact text to replace")] string oldString,
        [Description("The text to put in its place")] string newString,
        [Description("Replace every occurrence instead of requiring exactly one (default false)")] bool replaceAll = false) =>
        Run(() => FileTools.Edit(Resolve(server, path), oldString, newString, replaceAll));

    [McpServerTool(Name = "glob", Title = "Find files by name", ReadOnly = true, Idempotent = true, Destructive = false, OpenWorld = false)]
    [Description("Finds files whose path matches a glob pattern such as \"**/*.ts\" or \"src/**/*.{c,h}\" (** spans directories, " +
                 "* stays within one). Returns absolute paths, most recently modified first, at most 100.")]
    public CallToolResult Glob(
        McpServer server,
        [Description("The glob pattern, relative to path (or absolute)")] string pattern,
        [Description("The directory to search (default: the working directory)")] string? path = null) =>
        Run(() => SearchTools.Glob(pattern, path is null ? Cwd(server) : Resolve(server, path)));

    [McpServerTool(Name = "grep", Title = "Search file contents", ReadOnly = true, Idempotent = true, Destructive = false, OpenWorld = false)]
    [Description("Searches file contents with a regular expression (.NET/ripgrep syntax), recursively below path. outputMode: " +
                 "\"files_with_matches\" (default; paths, newest first), \"content\" (matching lines as path:line:text, with " +
                 "before/after/context lines) or \"count\". glob filters files (e.g. \"*.py\"). Binary and hidden files are skipped.")]
    public CallToolResult Grep(
        McpServer server,
        [Description("The regular expression to search for")] string pattern,
        [Description("A file or directory to search (default: the working directory)")] string? path = null,
        [Description("Only search files matching this glob, e.g. \"*.js\" or \"src/**/*.{ts,tsx}\"")] string? glob = null,
        [Description("files_with_matches (default), content or count")] string? outputMode = null,
        [Description("Case-insensitive search")] bool ignoreCase = false,
        [Description("Lines of context before and after each match (content mode)")] int? context = null,
        [Description("Lines of context before each match (content mode)")] int? before = null,
        [Description("Lines of context after each match (content mode)")] int? after = null,
        [Description("Show line numbers (content mode, default true)")] bool lineNumbers = true,
        [Description("Let patterns span lines (^ and $ match at line breaks)")] bool multiline = false,
        [Description("Return at most this many lines or entries")] int? headLimit = null) =>
        Run(() => SearchTools.Grep(pattern, path is null ? Cwd(server) : Resolve(server, path), new SearchTools.GrepOptions
        {
            Glob = glob,
            OutputMode = outputMode ?? "files_with_matches",
            IgnoreCase = ignoreCase,
            Before = before ?? context ?? 0,
            After = after ?? context ?? 0,
            LineNumbers = lineNumbers,
            Multiline = multiline,
            HeadLimit = headLimit,
        }));

    [McpServerTool(Name = "ls", Title = "List a directory", ReadOnly = true, Idempotent = true, Destructive = false, OpenWorld = false)]
    [Description("Lists a directory: one entry a line, directories ending in '/', files with their size, links with their target.")]
    public CallToolResult Ls(
        McpServer server,
        [Description("The directory to list (default: the working directory)")] string? path = null,
        [Description("Glob patterns of names to leave out")] string[]? ignore = null) =>
        Run(() => SearchTools.Ls(path is null ? Cwd(server) : Resolve(server, path), ignore));

    private string Cwd(McpServer server) => sessions.For(server.SessionId).Cwd;

    private string Resolve(McpServer server, string path) => ToolPaths.Resolve(path, Cwd(server));

    private static CallToolResult Run(Func<string> tool)
    {
        try
        {
            return new CallToolResult { Content = [new TextContentBlock { Text = tool() }] };
        }
        catch (ToolException e)
        {
            return Error(e.Message);
        }
    }

    /// <summary>What a client (and the daemon's exec.response event) can read without parsing text.</summary>
    private static JsonElement Structured(BashResult r)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("exitCode", r.ExitCode);
            w.WriteString("cwd", r.Cwd);
            w.WriteBoolean("timedOut", r.TimedOut);
            w.WriteBoolean("truncated", r.Truncated);
            w.WriteNumber("durationMs", r.DurationMs);
            w.WriteEndObject();
        }
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    private static CallToolResult Error(string message) =>
        new() { Content = [new TextContentBlock { Text = message }], IsError = true };
}
