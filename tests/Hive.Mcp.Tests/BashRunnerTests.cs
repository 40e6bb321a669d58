using System.Diagnostics;
using Hive.Mcp.Tools;

namespace Hive.Mcp.Tests;

public sealed class BashRunnerTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly BashRunner _bash = new(new BashOptions());

    public void Dispose() => _dir.Dispose();

    private ShellSession Session() => new(_dir.Path);

    [Fact]
    public async Task The_working_directory_persists_between_calls_of_a_session_only()
    {
        Directory.CreateDirectory(Path.Combine(_dir.Path, "sub", "deeper"));
        var session = Session();
        var first = await _bash.RunAsync(session, "cd sub && echo moved", null, null, default);
        Assert.Equal(0, first.ExitCode);
        Assert.Equal(Path.Combine(_dir.Path, "sub"), first.Cwd);
        var second = await _bash.RunAsync(session, "pwd; cd deeper", null, null, default);
        Assert.Equal(Path.Combine(_dir.Path, "sub") + "\n", second.Stdout);
        Assert.Equal(Path.Combine(_dir.Path, "sub", "deeper"), session.Cwd);
        // A cd before `exit` still counts; another session is not affected.
        await _bash.RunAsync(session, "cd .. && exit 3", null, null, default);
        Assert.Equal(Path.Combine(_dir.Path, "sub"), session.Cwd);
        var other = await _bash.RunAsync(Session(), "pwd", null, null, default);
        Assert.Equal(_dir.Path + "\n", other.Stdout);
    }

    [Fact]
    public async Task Exit_code_stdout_and_stderr_come_back_separately()
    {
        var r = await _bash.RunAsync(Session(), "echo out; echo err >&2; exit 7", null, null, default);
        Assert.Equal(7, r.ExitCode);
        Assert.Equal("out\n", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
        Assert.False(r.TimedOut);
        Assert.Equal("out\n[stderr]\nerr\n[exit code 7]", r.ToText());
    }

    [Fact]
    public async Task A_command_past_its_timeout_is_killed_and_says_so()
    {
        var clock = Stopwatch.StartNew();
        var r = await _bash.RunAsync(Session(), "echo started; sleep 30; echo never", 500, null, default);
        Assert.True(r.TimedOut);
        Assert.Equal(124, r.ExitCode);
        Assert.Equal("started\n", r.Stdout);
        Assert.Contains("timed out", r.ToText());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Timeouts_are_checked_and_capped()
    {
        await Assert.ThrowsAsync<ToolException>(() => _bash.RunAsync(Session(), "true", 0, null, default));
        var r = await _bash.RunAsync(Session(), "true", 10_000_000, null, default);
        Assert.Contains("lowered to the maximum, 600000 ms", r.Note);
    }

    [Fact]
    public async Task Ten_megabytes_of_output_are_truncated_with_a_note_not_kept()
    {
        var r = await _bash.RunAsync(Session(), "head -c 10485760 /dev/zero | tr '\\0' 'a'; echo; echo THE-END", null, null, default);
        Assert.Equal(0, r.ExitCode);
        Assert.True(r.Truncated);
        Assert.True(r.Stdout.Length < 31_000, $"{r.Stdout.Length} characters returned");
        Assert.Contains("stdout truncated", r.Stdout);
        Assert.Contains("of 10485769 bytes not shown", r.Stdout);
        Assert.EndsWith("THE-END\n", r.Stdout);
    }

    [Fact]
    public async Task A_background_job_holding_the_output_open_does_not_hang_the_call()
    {
        var clock = Stopwatch.StartNew();
        var r = await _bash.RunAsync(Session(), "sleep 20 & echo launched", 60_000, null, default);
        Assert.Equal("launched\n", r.Stdout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("background process", r.Note);
    }

    [Fact]
    public async Task The_cwd_argument_runs_elsewhere_once_and_must_exist()
    {
        var session = Session();
        var r = await _bash.RunAsync(session, "pwd", null, "/tmp", default);
        Assert.Equal("/tmp\n", r.Stdout);
        Assert.Equal(_dir.Path, session.Cwd);
        var e = await Assert.ThrowsAsync<ToolException>(() => _bash.RunAsync(session, "pwd", null, "/no/such/dir", default));
        Assert.Equal("bash: cd: /no/such/dir: No such file or directory", e.Message);
    }

    [Fact]
    public async Task A_removed_working_directory_falls_back_to_the_initial_one_with_a_note()
    {
        var gone = Path.Combine(_dir.Path, "gone");
        Directory.CreateDirectory(gone);
        var session = Session();
        await _bash.RunAsync(session, "cd gone", null, null, default);
        Directory.Delete(gone);
        var r = await _bash.RunAsync(session, "pwd", null, null, default);
        Assert.Equal(_dir.Path + "\n", r.Stdout);
        Assert.Contains("no longer exists", r.Note);
    }

    [Fact]
    public async Task An_empty_command_is_refused()
    {
        var e = await Assert.ThrowsAsync<ToolException>(() => _bash.RunAsync(Session(), " ", null, null, default));
        Assert.Equal("command is required", e.Message);
    }
}
