using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Hive.EndToEnd.Infrastructure;
using HiveClient;

namespace Hive.EndToEnd;

/// <summary>
/// The interactive terminal (docs/api.md, "Interactive terminal"): a real pseudo-terminal that hive-init allocates in a
/// real sandbox, reached over the daemon's WebSocket route, with its semantics, its clean-up and its auth.
/// </summary>
[Collection("daemon")]
public sealed class TerminalTests(SharedDaemon fixture)
{
    private HiveConnection Hive => fixture.Hive;
    private DaemonProcess D => fixture.Daemon;

    /// <summary>Collects a terminal's output and waits for text in it.</summary>
    private sealed class Screen
    {
        private readonly SandboxTerminal terminal;
        private readonly StringBuilder _text = new();
        private readonly Task _reading;

        public Screen(SandboxTerminal terminal)
        {
            this.terminal = terminal;
            _reading = Task.Run(async () =>
            {
                await foreach (var chunk in terminal.ReadOutputAsync()) lock (_text) _text.Append(Encoding.UTF8.GetString(chunk.Span));
            });
        }

        public string Text { get { lock (_text) return _text.ToString(); } }

        public async Task WaitForAsync(string text, int timeoutMs = 10_000)
        {
            var deadline = Environment.TickCount64 + timeoutMs;
            while (!Text.Contains(text, StringComparison.Ordinal))
            {
                if (Environment.TickCount64 > deadline) throw new TimeoutException($"\"{text}\" never appeared; the terminal showed:\n{Text}");
                await Task.Delay(20);
            }
        }

        public async Task<int> ExitAsync()
        {
            var code = await terminal.ExitCode.WaitAsync(TimeSpan.FromSeconds(15));
            await _reading.WaitAsync(TimeSpan.FromSeconds(5));
            return code;
        }
    }

    private async Task<Sandbox> SandboxAsync(string prefix) =>
        await Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName(prefix), SharedDaemon.Minimal());

    private static async Task<(SandboxTerminal Terminal, Screen Screen)> OpenAsync(Sandbox sb, string? command, int rows = 24, int cols = 80)
    {
        var t = await sb.OpenTerminalAsync(new TerminalOptions { Command = command is null ? null : new ExecCommand(command), Rows = rows, Cols = cols });
        return (t, new Screen(t));
    }

    private static async Task<string> PsAsync(Sandbox sb) => (await sb.ExecAsync(["ps", "-o", "pid,args"])).Stdout;

    private static async Task WaitGoneAsync(Sandbox sb, string marker, int timeoutMs = 5000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while ((await PsAsync(sb)).Contains(marker, StringComparison.Ordinal))
        {
            if (Environment.TickCount64 > deadline) Assert.Fail($"{marker} still runs after the terminal closed:\n{await PsAsync(sb)}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task The_command_runs_on_a_terminal_of_the_requested_size_with_TERM_set()
    {
        var sb = await SandboxAsync("tty");
        var (t, screen) = await OpenAsync(sb, "tty; [ -t 0 ] && [ -t 1 ] && echo IS-A-TTY; echo term=$TERM; stty size; id -u", rows: 33, cols: 111);
        await using var _ = t;
        Assert.Equal(0, await screen.ExitAsync());
        Assert.Matches(@"/dev/pts/\d+", screen.Text);
        Assert.Contains("IS-A-TTY", screen.Text);
        Assert.Contains("term=xterm-256color", screen.Text);
        Assert.Contains("33 111", screen.Text);
        Assert.Contains("\r\n", screen.Text); // the line discipline's output processing, as on any terminal
    }

    [Fact]
    public async Task A_resize_changes_stty_size_and_sends_SIGWINCH()
    {
        var sb = await SandboxAsync("winch");
        var (t, screen) = await OpenAsync(sb, "trap 'echo WINCH $(stty size)' WINCH; echo ready; while :; do sleep 0.05; done");
        await using var _ = t;
        await screen.WaitForAsync("ready");
        await t.ResizeAsync(40, 132);
        await screen.WaitForAsync("WINCH 40 132");
        await t.ResizeAsync(10, 20);
        await screen.WaitForAsync("WINCH 10 20");
        await t.WriteAsync("\u0003"); // Ctrl-C: SIGINT for the whole foreground group, the loop included
        Assert.Equal(130, await screen.ExitAsync());
    }

    [Fact]
    public async Task Ctrl_C_kills_the_foreground_job_and_the_interactive_shell_goes_on()
    {
        var sb = await SandboxAsync("ctrlc");
        var (t, screen) = await OpenAsync(sb, "PS1='$ ' exec sh -i");
        await using var _ = t;
        await t.WriteAsync("sleep 4321; echo after-sleep $?\n");
        await WaitRunningAsync(sb, "sleep 4321");
        await t.WriteAsync("\u0003");
        await WaitGoneAsync(sb, "sleep 4321");
        await t.WriteAsync("echo alive $((40+2))\n");
        await screen.WaitForAsync("alive 42");
        await t.WriteAsync("exit 7\n");
        Assert.Equal(7, await screen.ExitAsync());
        Assert.DoesNotContain("after-sleep 0", screen.Text);
    }

    private static async Task WaitRunningAsync(Sandbox sb, string marker)
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (!(await PsAsync(sb)).Contains(marker, StringComparison.Ordinal))
        {
            if (Environment.TickCount64 > deadline) Assert.Fail($"{marker} never started:\n{await PsAsync(sb)}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Ctrl_D_is_end_of_file_for_the_reader()
    {
        var sb = await SandboxAsync("eof");
        var (t, screen) = await OpenAsync(sb, "cat; echo cat-ended; exit 0");
        await using var _ = t;
        await t.WriteAsync("hello pty\n");
        await screen.WaitForAsync("hello pty\r\nhello pty"); // echoed by the terminal, then written by cat
        await t.WriteAsync("\u0004");
        await screen.WaitForAsync("cat-ended");
        Assert.Equal(0, await screen.ExitAsync());
    }

    [Fact]
    public async Task The_exit_status_is_the_commands_and_a_missing_command_is_127()
    {
        var sb = await SandboxAsync("exit");
        var (t, screen) = await OpenAsync(sb, "echo bye; exit 42");
        await using (t) Assert.Equal(42, await screen.ExitAsync());
        Assert.Contains("bye", screen.Text);

        await using var missing = await sb.OpenTerminalAsync(new TerminalOptions { Command = new[] { "/no/such/program" } });
        var missingScreen = new Screen(missing);
        Assert.Equal(127, await missingScreen.ExitAsync());
        Assert.Contains("cannot run /no/such/program", missingScreen.Text);
    }

    [Fact]
    public async Task The_default_command_is_a_login_shell()
    {
        var sb = await SandboxAsync("shell");
        var (t, screen) = await OpenAsync(sb, null);
        await using var _ = t;
        await t.WriteAsync("echo shell-$((6*7)); exit 3\n");
        await screen.WaitForAsync("shell-42");
        Assert.Equal(3, await screen.ExitAsync());
    }

    [Fact]
    public async Task Closing_the_terminal_kills_its_whole_session_background_jobs_included()
    {
        var sb = await SandboxAsync("hangup");
        var (t, screen) = await OpenAsync(sb, "PS1='$ ' exec sh -i");
        // A job-control shell puts each job in a process group of its own: all of them must go.
        await t.WriteAsync("sleep 4343 &\n");
        await t.WriteAsync("trap '' HUP; sleep 4344\n");
        await WaitRunningAsync(sb, "sleep 4343");
        await WaitRunningAsync(sb, "sleep 4344");
        await t.DisposeAsync();
        await WaitGoneAsync(sb, "sleep 4343");
        await WaitGoneAsync(sb, "sleep 4344");
        var events = await sb.GetEventsAsync(types: "exec.response");
        Assert.Contains(events, e => e.Get<bool>("cancelled"));
        _ = screen;
    }

    [Fact]
    public async Task Twenty_terminals_run_at_once()
    {
        var sb = await SandboxAsync("twenty");
        var opened = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => OpenAsync(sb, $"read line; echo got-$line-{i}; exit {i}")));
        try
        {
            // All twenty wait for a line at the same time before any gets one.
            await WaitCountAsync(sb, "read line", 0);
            for (var i = 0; i < 20; i++) await opened[i].Terminal.WriteAsync($"x{i}\n");
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(i, await opened[i].Screen.ExitAsync());
                Assert.Contains($"got-x{i}-{i}", opened[i].Screen.Text);
            }
        }
        finally
        {
            foreach (var (terminal, _) in opened) await terminal.DisposeAsync();
        }
    }

    // `read` is a shell builtin: count the twenty shells instead.
    private static async Task WaitCountAsync(Sandbox sb, string _, int __)
    {
        var deadline = Environment.TickCount64 + 20_000;
        while (true)
        {
            var shells = (await PsAsync(sb)).Split('\n').Count(l => l.Contains("read line; echo got", StringComparison.Ordinal));
            if (shells == 20) return;
            if (Environment.TickCount64 > deadline) Assert.Fail($"only {shells} of 20 terminals run:\n{await PsAsync(sb)}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_terminal_is_recorded_as_exec_request_and_exec_response()
    {
        var sb = await SandboxAsync("events");
        var (t, screen) = await OpenAsync(sb, "exit 9");
        await using (t) Assert.Equal(9, await screen.ExitAsync());
        var events = await sb.GetEventsAsync(types: "exec.*");
        var request = Assert.Single(events, e => e.Type == "exec.request");
        Assert.True(request.Get<bool>("terminal"));
        Assert.Equal(["/bin/sh", "-c", "exit 9"], request.Get<List<string>>("command"));
        var response = Assert.Single(events, e => e.Type == "exec.response");
        Assert.Equal(request.Id, response.Get<long>("requestId"));
        Assert.Equal(9, response.Get<int>("exitCode"));
    }

    [Fact]
    public async Task A_bad_start_message_is_refused_naming_the_field_and_runs_nothing()
    {
        var sb = await SandboxAsync("badstart");
        await using var t = await sb.OpenTerminalAsync(new TerminalOptions { Command = "echo should-not-run", Rows = 0 });
        var e = await Assert.ThrowsAsync<HiveValidationException>(() => t.ExitCode.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains(e.Errors, x => x.Path == "rows");
        Assert.Empty(await sb.GetEventsAsync(types: "exec.*"));
    }

    // ---------- auth ----------

    private Uri TerminalUri(string sandbox, string query = "") => new($"ws://127.0.0.1:{D.Port}/v1/sandboxes/{sandbox}/terminal{query}");

    private static async Task<int> HandshakeStatusAsync(Uri uri, Action<ClientWebSocketOptions> setup)
    {
        using var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        setup(ws.Options);
        try
        {
            await ws.ConnectAsync(uri, CancellationToken.None);
            return (int)ws.HttpStatusCode;
        }
        catch (WebSocketException)
        {
            return (int)ws.HttpStatusCode;
        }
    }

    private async Task<(string Cookie, string Csrf)> LoginAsync()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(D.Url) };
        using var mint = new HttpRequestMessage(HttpMethod.Post, "/v1/login-codes");
        mint.Headers.Authorization = new AuthenticationHeaderValue("Bearer", D.Token);
        using var minted = await http.SendAsync(mint);
        var path = (string)JsonNode.Parse(await minted.Content.ReadAsStringAsync())!["path"]!;
        using var login = await http.GetAsync(path);
        var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        using var req = new HttpRequestMessage(HttpMethod.Get, "/v1/session");
        req.Headers.Add("Cookie", cookie);
        using var s = await http.SendAsync(req);
        return (cookie, (string)JsonNode.Parse(await s.Content.ReadAsStringAsync())!["csrfToken"]!);
    }

    [Fact]
    public async Task No_terminal_opens_without_the_token_or_with_a_wrong_one()
    {
        var sb = await SandboxAsync("noauth");
        Assert.Equal(401, await HandshakeStatusAsync(TerminalUri(sb.Name), _ => { }));
        Assert.Equal(401, await HandshakeStatusAsync(TerminalUri(sb.Name), o => o.SetRequestHeader("Authorization", "Bearer " + new string('0', 64))));
        Assert.Equal(401, await HandshakeStatusAsync(TerminalUri(sb.Name), o => o.SetRequestHeader("Cookie", "hive_session=forged")));
        Assert.Equal(101, await HandshakeStatusAsync(TerminalUri(sb.Name), o => o.SetRequestHeader("Authorization", "Bearer " + D.Token)));
        Assert.Empty(await sb.GetEventsAsync(types: "exec.*"));
    }

    [Fact]
    public async Task With_the_session_cookie_a_terminal_needs_the_inspectors_own_origin_and_the_csrf_token()
    {
        var sb = await SandboxAsync("session");
        var (cookie, csrf) = await LoginAsync();
        var own = $"http://127.0.0.1:{D.Port}";
        void With(ClientWebSocketOptions o, string? origin)
        {
            o.SetRequestHeader("Cookie", cookie);
            if (origin is not null) o.SetRequestHeader("Origin", origin);
        }
        var csrfQuery = "?csrf=" + csrf;
        Assert.Equal(403, await HandshakeStatusAsync(TerminalUri(sb.Name, csrfQuery), o => With(o, null)));
        // Another port on the same host is the same site for SameSite: only the Origin check keeps its pages out.
        Assert.Equal(403, await HandshakeStatusAsync(TerminalUri(sb.Name, csrfQuery), o => With(o, "http://127.0.0.1:3000")));
        Assert.Equal(403, await HandshakeStatusAsync(TerminalUri(sb.Name, csrfQuery), o => With(o, "http://evil.example")));
        Assert.Equal(403, await HandshakeStatusAsync(TerminalUri(sb.Name, csrfQuery), o => With(o, "null")));
        Assert.Equal(403, await HandshakeStatusAsync(TerminalUri(sb.Name), o => With(o, own)));
        Assert.Equal(403, await HandshakeStatusAsync(TerminalUri(sb.Name, "?csrf=" + new string('0', csrf.Length)), o => With(o, own)));
        Assert.Empty(await sb.GetEventsAsync(types: "exec.*"));
        Assert.Equal(101, await HandshakeStatusAsync(TerminalUri(sb.Name, csrfQuery), o => With(o, own)));
    }

    [Fact]
    public async Task The_route_answers_a_plain_request_with_a_problem_and_an_unknown_sandbox_with_404()
    {
        using var http = new HttpClient { BaseAddress = new Uri(D.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", D.Token);
        var sb = await SandboxAsync("plain");
        using var plain = await http.GetAsync($"/v1/sandboxes/{sb.Name}/terminal");
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        Assert.Contains("WebSocket", await plain.Content.ReadAsStringAsync());
        Assert.Equal(404, await HandshakeStatusAsync(TerminalUri("no-such-sandbox"), o => o.SetRequestHeader("Authorization", "Bearer " + D.Token)));
    }

    // ---------- CLI ----------

    /// <summary>Runs a shell line under `script`, which gives it a real pty as its terminal, with input piped in.</summary>
    private async Task<ProcResult> UnderPtyAsync(string hiveArgs, string input)
    {
        var env = D.Env;
        var line = $"printf '{input}' | (sleep 1; cat) | script -qefc \"stty cols 91 rows 17 2>/dev/null; {Repo.Hive} {hiveArgs}\" /dev/null";
        return await Proc.RunAsync("/bin/sh", ["-c", line], env, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Hive_exec_it_gives_the_command_a_terminal_of_the_local_size_and_its_exit_code()
    {
        var sb = await SandboxAsync("cliexec");
        var r = await UnderPtyAsync($"exec -it {sb.Name} -- sh -c 'tty; stty size; read x; echo got-\\$x; exit 5'", "hello\\n");
        Assert.True(r.ExitCode == 5, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Matches(@"/dev/pts/\d+", r.Stdout);
        Assert.Contains("17 91", r.Stdout);
        Assert.True(r.Stdout.Contains("got-hello"), r.Stdout);
    }

    [Fact]
    public async Task Hive_shell_runs_a_shell_and_exits_with_its_status()
    {
        var sb = await SandboxAsync("clishell");
        var r = await UnderPtyAsync($"shell {sb.Name}", "echo in-shell-$((2+3))\\nexit 4\\n");
        Assert.True(r.ExitCode == 4, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("in-shell-5", r.Stdout);
    }

    [Fact]
    public async Task Hive_exec_t_without_a_terminal_on_stdin_passes_the_input_and_ends_it_with_ctrl_d()
    {
        var sb = await SandboxAsync("clipipe");
        var r = await Proc.RunAsync("/bin/sh", ["-c", $"printf 'line one\\n' | {Repo.Hive} exec -it {sb.Name} -- sh -c 'cat; echo eof-seen; exit 6'"], D.Env, TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 6, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("line one", r.Stdout);
        Assert.Contains("eof-seen", r.Stdout);
    }
}
