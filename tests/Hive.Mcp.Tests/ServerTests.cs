using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Hive.Mcp.Tests;

/// <summary>
/// The real hive-mcp process (the JIT build next to these tests) over streamable HTTP on loopback: the MCP wiring
/// that unit tests of the tool classes cannot see — schemas, annotations, sessions, and argument errors.
/// </summary>
public sealed class ServerTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private Process _server = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private string _url = "";

    public async Task InitializeAsync()
    {
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            _url = $"http://127.0.0.1:{((IPEndPoint)l.LocalEndpoint).Port}/";
        }
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "hive-mcp"))
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in new[] { "--listen", new Uri(_url).Authority, "--cwd", _dir.Path }) psi.ArgumentList.Add(a);
        _server = Process.Start(psi)!;
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, new Uri(_url).Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_server.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    public async Task DisposeAsync()
    {
        _server.Kill();
        await _server.WaitForExitAsync();
        _server.Dispose();
        _http.Dispose();
        _dir.Dispose();
    }

    private async Task<(string Session, JsonObject Result)> Initialize()
    {
        var (headers, init) = await Post(null, new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 0, ["method"] = "initialize",
            ["params"] = new JsonObject
            {
                ["protocolVersion"] = "2025-06-18", ["capabilities"] = new JsonObject(),
                ["clientInfo"] = new JsonObject { ["name"] = "test", ["version"] = "1" },
            },
        });
        var session = headers.GetValues("Mcp-Session-Id").Single();
        await Post(session, new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/initialized" });
        return (session, init!);
    }

    private async Task<JsonObject> Call(string session, string tool, JsonObject args)
    {
        var (_, r) = await Post(session, new JsonObject
        {
            ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "tools/call", ["params"] = new JsonObject { ["name"] = tool, ["arguments"] = args },
        });
        return r!["result"]!.AsObject();
    }

    private async Task<(System.Net.Http.Headers.HttpResponseHeaders Headers, JsonObject? Message)> Post(string? session, JsonObject message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new StringContent(message.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (session is not null) request.Headers.Add("Mcp-Session-Id", session);
        using var r = await _http.SendAsync(request);
        Assert.True(r.IsSuccessStatusCode, $"{(int)r.StatusCode}");
        var body = await r.Content.ReadAsStringAsync();
        var data = body.Split('\n').FirstOrDefault(l => l.StartsWith("data: ", StringComparison.Ordinal));
        return (r.Headers, data is null ? null : JsonNode.Parse(data[6..])!.AsObject());
    }

    [Fact]
    public async Task Lists_the_seven_tools_with_schemas_and_annotations()
    {
        var (session, init) = await Initialize();
        Assert.Equal("hive", (string?)init["result"]?["serverInfo"]?["name"]);
        var (_, list) = await Post(session, new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 2, ["method"] = "tools/list" });
        var tools = list!["result"]!["tools"]!.AsArray().Select(t => t!.AsObject()).ToDictionary(t => (string)t["name"]!);
        Assert.Equal(["bash", "edit", "glob", "grep", "ls", "read", "write"], tools.Keys.Order());
        Assert.Equal(["command"], tools["bash"]["inputSchema"]!["required"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["path", "oldString", "newString"], tools["edit"]["inputSchema"]!["required"]!.AsArray().Select(n => (string)n!));
        Assert.True((bool)tools["grep"]["annotations"]!["readOnlyHint"]!);
        Assert.True((bool)tools["bash"]["annotations"]!["destructiveHint"]!);
        Assert.False((bool)tools["edit"]["annotations"]!["idempotentHint"]!);
    }

    [Fact]
    public async Task Sessions_keep_their_own_working_directory()
    {
        Directory.CreateDirectory(Path.Combine(_dir.Path, "sub"));
        var (a, _) = await Initialize();
        var (b, _) = await Initialize();
        await Call(a, "bash", new JsonObject { ["command"] = "cd sub" });
        Assert.Equal(Path.Combine(_dir.Path, "sub"), (string?)(await Call(a, "bash", new JsonObject { ["command"] = "pwd" }))["structuredContent"]?["cwd"]);
        Assert.Equal(_dir.Path, (string?)(await Call(b, "bash", new JsonObject { ["command"] = "pwd" }))["structuredContent"]?["cwd"]);
        // The file tools resolve relative paths in the same directory.
        await Call(a, "write", new JsonObject { ["path"] = "note.txt", ["content"] = "x" });
        Assert.True(File.Exists(Path.Combine(_dir.Path, "sub", "note.txt")));
    }

    [Fact]
    public async Task Missing_or_mistyped_arguments_are_errors_that_name_the_argument()
    {
        var (session, _) = await Initialize();
        var missing = await Call(session, "bash", new JsonObject { ["timeout"] = 5 });
        Assert.True((bool)missing["isError"]!);
        Assert.Equal("invalid arguments for bash: command is required", (string)missing["content"]![0]!["text"]!);
        var mistyped = await Call(session, "read", new JsonObject { ["path"] = "/etc/hostname", ["offset"] = "x" });
        Assert.True((bool)mistyped["isError"]!);
        Assert.Equal("invalid arguments for read: offset must be an integer, not a string", (string)mistyped["content"]![0]!["text"]!);
        var list = await Call(session, "ls", new JsonObject { ["ignore"] = new JsonArray("a", 1) });
        Assert.Equal("invalid arguments for ls: ignore must be an array of strings, but holds an integer", (string)list["content"]![0]!["text"]!);
        var failing = await Call(session, "read", new JsonObject { ["path"] = "/no/such/file" });
        Assert.Equal("read: /no/such/file: No such file or directory", (string)failing["content"]![0]!["text"]!);
    }
}
