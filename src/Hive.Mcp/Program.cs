using Hive.Mcp;
using Hive.Mcp.Tools;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

// hive-mcp: the default MCP server of hive/base sandboxes, on 0.0.0.0:8080 (streamable HTTP, stateful sessions).
// Usage: hive-mcp [--listen ADDRESS:PORT] [--cwd DIR] | --version
if (args is ["--version"])
{
    Console.WriteLine("hive-mcp 0.1.0");
    return 0;
}
var listen = Arg("--listen") ?? Environment.GetEnvironmentVariable("HIVE_MCP_LISTEN") ?? "0.0.0.0:8080";
var cwd = Arg("--cwd") ?? Environment.GetEnvironmentVariable("HIVE_MCP_CWD") ?? Directory.GetCurrentDirectory();
if (!Directory.Exists(cwd)) cwd = Environment.GetEnvironmentVariable("HOME") is { } home && Directory.Exists(home) ? home : "/";

var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls($"http://{listen}");
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss "; });
builder.Logging.SetMinimumLevel(LogLevel.Warning);

var sessions = new SessionRegistry(cwd);
builder.Services.AddSingleton(sessions);
builder.Services.AddSingleton(new BashRunner(new BashOptions()));
builder.Services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "hive", Title = "Hive sandbox", Version = "0.1.0" })
    .WithHttpTransport(o =>
    {
        // Stateful: bash keeps a working directory per Mcp-Session-Id (sessions idle for 2 h, the default, end).
        o.SessionMode = HttpServerSessionMode.Stateful;
    })
    .WithTools<McpTools>()
    .WithRequestFilters(f => f.AddCallToolFilter(next => async (request, ct) =>
    {
        // A missing or mistyped argument: say which, instead of the SDK's bare "an error occurred invoking".
        if (request.MatchedPrimitive is McpServerTool tool &&
            ArgumentCheck.Problem(tool.ProtocolTool.InputSchema, request.Params?.Arguments) is { } problem)
        {
            return Invalid(request.Params?.Name, problem);
        }
        try
        {
            return await next(request, ct);
        }
        catch (Exception e) when (e is ArgumentException or System.Text.Json.JsonException or FormatException or InvalidCastException)
        {
            return Invalid(request.Params?.Name, (e.InnerException ?? e).Message);
        }
    }));

var app = builder.Build();
app.MapMcp("/");
await app.RunAsync();
return 0;

static CallToolResult Invalid(string? tool, string message) =>
    new() { Content = [new TextContentBlock { Text = $"invalid arguments for {tool}: {message}" }], IsError = true };

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
