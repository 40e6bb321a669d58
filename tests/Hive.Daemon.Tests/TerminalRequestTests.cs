using System.Text;
using Hive.Daemon.Api;
using Hive.Runtime.Host;

namespace Hive.Daemon.Tests;

/// <summary>The terminal WebSocket's messages: the start message and resizes, refused with the field named.</summary>
public sealed class TerminalRequestTests
{
    private static (ExecSpec Spec, TerminalSize Size) Parse(string json) => TerminalRequest.Parse(Encoding.UTF8.GetBytes(json));

    private static IReadOnlyList<string> Refused(Func<object> parse)
    {
        var e = Assert.Throws<ApiProblem>(() => parse());
        Assert.Equal(400, e.Status);
        return e.Errors!.Select(x => x.Path).ToList();
    }

    [Fact]
    public void Without_a_command_it_is_the_login_shell_at_24_by_80_with_TERM_set()
    {
        var (spec, size) = Parse("{}");
        Assert.Equal(TerminalRequest.DefaultShell, spec.Command);
        Assert.Equal(new TerminalSize(24, 80), size);
        Assert.Equal("xterm-256color", spec.Env!["TERM"]);
    }

    [Fact]
    public void Command_cwd_env_and_size_are_taken_as_exec_takes_them_and_env_may_name_its_own_TERM()
    {
        var (spec, size) = Parse("""{"command":"echo hi","cwd":"/tmp","env":{"TERM":"vt100","A":"b"},"rows":50,"cols":200}""");
        Assert.Equal(["/bin/sh", "-c", "echo hi"], spec.Command);
        Assert.Equal("/tmp", spec.Cwd);
        Assert.Equal("vt100", spec.Env!["TERM"]);
        Assert.Equal("b", spec.Env["A"]);
        Assert.Equal(new TerminalSize(50, 200), size);
    }

    [Theory]
    [InlineData("""{"rows":0}""", "rows")]
    [InlineData("""{"cols":10001}""", "cols")]
    [InlineData("""{"rows":"24"}""", "rows")]
    [InlineData("""{"rows":1.5}""", "rows")]
    [InlineData("""{"stdin":"x"}""", "stdin")]
    [InlineData("""{"timeoutMs":5}""", "timeoutMs")]
    [InlineData("""{"command":["sh","-c","a\u0000b"]}""", "command")]
    [InlineData("""{"cwd":"relative"}""", "cwd")]
    [InlineData("""{"env":{"A=B":"c"}}""", "env.A=B")]
    [InlineData("""{"tty":true}""", "tty")]
    [InlineData("""[]""", "$")]
    [InlineData("""{not json""", "$")]
    public void A_bad_start_message_is_refused_naming_the_field(string json, string path) =>
        Assert.Contains(path, Refused(() => Parse(json)));

    [Fact]
    public void A_resize_is_type_resize_with_both_dimensions_in_range()
    {
        Assert.Equal(new TerminalSize(40, 120), TerminalRequest.ParseResize("""{"type":"resize","rows":40,"cols":120}"""u8));
        Assert.Contains("cols", Refused(() => TerminalRequest.ParseResize("""{"type":"resize","rows":40}"""u8)));
        Assert.Contains("rows", Refused(() => TerminalRequest.ParseResize("""{"type":"resize","rows":-1,"cols":5}"""u8)));
        Assert.Contains("rows", Refused(() => TerminalRequest.ParseResize("""{"type":"resize","rows":70000,"cols":5}"""u8)));
        Assert.Contains("type", Refused(() => TerminalRequest.ParseResize("""{"type":"signal","signal":9}"""u8)));
        Assert.Contains("type", Refused(() => TerminalRequest.ParseResize("echo hi"u8)));
    }

    [Fact]
    public void The_init_frames_carry_the_size_before_the_request_and_a_resize_as_two_16_bit_numbers()
    {
        var frame = InitFrames.EncodeTerminalRequest(new ExecSpec(["sh"], "/w", null, null, null, 1000, 1000), new TerminalSize(30, 100));
        Assert.Equal((byte)'T', frame[0]);
        Assert.Equal("30\u0000100\u00001000\u00001000\u0000/w\u00001\u0000sh\u0000", Encoding.UTF8.GetString(frame, InitFrames.HeaderSize, frame.Length - InitFrames.HeaderSize));
        Assert.Equal(new byte[] { (byte)'W', 4, 0, 0, 0, 30, 0, 100, 0 }, InitFrames.EncodeWindowSize(new TerminalSize(30, 100)));
    }
}
