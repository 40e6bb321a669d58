using System.Text;
using Hive.Core.Http;

namespace Hive.Core.Tests.Http;

public sealed class JsonTextTests
{
    // One line per case: the body (as written, escapes and all) and the path the error must name (null: accepted).
    [Theory]
    [InlineData("""{ "command": "ls" }""", null)]
    [InlineData("""{ "command": ["sh", "-c", "echo \ud83d\ude00"] }""", null)]
    [InlineData("""{ "command": "\ud800" }""", "command")]
    [InlineData("""{ "command": "ok\udc00" }""", "command")]
    [InlineData("""{ "command": ["a", "b", "\ud800x"] }""", "command[2]")]
    [InlineData("""{ "env": { "A": "\udfff" } }""", "env.A")]
    [InlineData("""{ "egress": [ { "host": "x" }, { "host": "\ud801" } ] }""", "egress[1].host")]
    [InlineData("""{ "\ud800": 1 }""", "$")]
    [InlineData("""[ "\ud800" ]""", "[0]")]
    [InlineData("""{ "a": 1 } trailing""", "$")]
    [InlineData("""{ "a": """, "$")]
    [InlineData("""{ "timeoutMs": "soon" }""", null)] // well-formed: the route's parser names the field
    public void Names_the_first_string_that_is_not_valid_unicode(string body, string? path)
    {
        var problem = JsonText.Check(Encoding.UTF8.GetBytes(body));
        Assert.Equal(path, problem?.Path);
    }

    [Theory]
    [InlineData(new byte[] { 0xff, 0xfe }, "value")]        // not UTF-8 at all
    [InlineData(new byte[] { 0xc3 }, "value")]              // a sequence cut short
    [InlineData(new byte[] { 0xed, 0xa0, 0x80 }, "value")]  // a surrogate encoded in UTF-8
    [InlineData(new byte[] { 0xc0, 0xaf }, "value")]        // an overlong '/'
    public void Names_a_string_of_invalid_utf8(byte[] inside, string path)
    {
        var body = Encoding.UTF8.GetBytes("""{ "value": " """.TrimEnd()).Concat(inside).Concat(Encoding.UTF8.GetBytes("\" }")).ToArray();
        Assert.Equal(path, JsonText.Check(body)?.Path);
    }

    [Fact]
    public void Refuses_nesting_deeper_than_the_parsers_allow()
    {
        var deep = new string('[', JsonText.MaxDepth + 1) + new string(']', JsonText.MaxDepth + 1);
        Assert.Equal("$", JsonText.Check(Encoding.UTF8.GetBytes(deep))?.Path);
    }
}
