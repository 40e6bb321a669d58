using System.Text;
using System.Text.Json.Nodes;
using Hive.Core.Mcp;

namespace Hive.Core.Tests.Mcp;

public sealed class ToolCallsTests
{
    private static ReadOnlyMemory<byte> Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Tools_call_requests_are_found_in_single_messages_and_batches()
    {
        var one = ToolCalls.FromRequest(Bytes("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"bash","arguments":{"command":"ls"}}}"""));
        var call = Assert.Single(one);
        Assert.Equal("7", call.IdKey);
        Assert.Equal("bash", call.Tool);
        Assert.Equal("ls", (string?)call.Arguments!["command"]);

        var batch = ToolCalls.FromRequest(Bytes("""
            [{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"read","arguments":{"path":"/x"}}},
             {"jsonrpc":"2.0","id":2,"method":"tools/list"},
             {"jsonrpc":"2.0","method":"notifications/initialized"},
             {"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"ls"}}]
            """));
        Assert.Equal(["\"a\"", "3"], batch.Select(c => c.IdKey));
        Assert.Null(batch[1].Arguments);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"method\":\"tools/call\"}")] // a notification: no id
    [InlineData("{\"id\":1,\"method\":\"tools/list\"}")]
    [InlineData("[1,2,\"x\"]")]
    [InlineData("{\"id\":1,\"method\":5}")]
    public void Anything_else_is_no_tool_call(string body) => Assert.Empty(ToolCalls.FromRequest(Bytes(body)));

    [Fact]
    public void Deeply_nested_json_is_refused_not_a_crash() =>
        Assert.Empty(ToolCalls.FromRequest(Bytes(new string('[', 10_000) + new string(']', 10_000))));

    [Fact]
    public void Responses_give_error_state_and_bash_exit_code()
    {
        var ok = Assert.Single(ToolCalls.FromResponse("""{"jsonrpc":"2.0","id":7,"result":{"content":[],"structuredContent":{"exitCode":3},"isError":false}}"""u8));
        Assert.Equal(new ToolOutcome("7", false, 3, null), ok);
        var toolError = Assert.Single(ToolCalls.FromResponse("""{"jsonrpc":"2.0","id":"a","result":{"content":[{"type":"text","text":"x"}],"isError":true}}"""u8));
        Assert.Equal(new ToolOutcome("\"a\"", true, null, null), toolError);
        var rpcError = Assert.Single(ToolCalls.FromResponse("""{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Unknown tool"}}"""u8));
        Assert.Equal(new ToolOutcome("1", true, null, "Unknown tool"), rpcError);
        Assert.Empty(ToolCalls.FromResponse("""{"jsonrpc":"2.0","method":"notifications/progress","params":{}}"""u8));
        Assert.Empty(ToolCalls.FromResponse("{"u8));
    }

    [Fact]
    public void The_command_shown_is_bashs_command_line_or_the_tool_and_its_main_argument()
    {
        Assert.Equal(["bash", "-c", "make test"], ToolCalls.Command("bash", new JsonObject { ["command"] = "make test" }));
        Assert.Equal(["read", "/w/a"], ToolCalls.Command("read", new JsonObject { ["path"] = "/w/a", ["offset"] = 3 }));
        Assert.Equal(["glob", "**/*.cs"], ToolCalls.Command("glob", new JsonObject { ["pattern"] = "**/*.cs" }));
        Assert.Equal(["ls"], ToolCalls.Command("ls", null));
        Assert.Equal(["bash", "-c", ""], ToolCalls.Command("bash", new JsonObject { ["command"] = 5 }));
    }
}
