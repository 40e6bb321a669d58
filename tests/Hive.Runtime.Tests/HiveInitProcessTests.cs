using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Hive.Runtime.Host;

namespace Hive.Runtime.Tests;

/// <summary>
/// hive-init compiled from src/Hive.Init and run on the host as root (as runc runs it, minus the container),
/// driven by the daemon's own client. The container-level checks (PID 1, no access for the agent) are in the
/// end-to-end tests.
/// </summary>
public sealed class HiveInitFixture : IAsyncLifetime
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("hive-init-").FullName;
    public string Binary => Path.Combine(Dir, "hive-init");
    public string Socket => Path.Combine(Dir, "ctl.sock");
    public Process? Init { get; private set; }

    public async Task InitializeAsync()
    {
        Root.Require();
        var source = Path.Combine(RepoRoot(), "src", "Hive.Init", "hive-init.c");
        var cc = Process.Start(new ProcessStartInfo("clang", ["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", Binary, source]) { RedirectStandardError = true })
                 ?? throw new InvalidOperationException("clang did not start");
        var errors = await cc.StandardError.ReadToEndAsync();
        await cc.WaitForExitAsync();
        Assert.True(cc.ExitCode == 0, $"hive-init did not compile (clang and libc6-dev are needed: make deps): {errors}");
        Init = Start("sleep", "1000");
        await WaitForSocketAsync(Socket);
    }

    /// <summary>hive-init serving <see cref="Socket"/>, its main command run as nobody; the test's own env var is in its environment.</summary>
    public Process Start(params string[] command)
    {
        var psi = new ProcessStartInfo(Binary, ["--socket", Socket, "--uid", "65534", "--gid", "65534", "--", .. command])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/",
        };
        psi.Environment["HIVE_INIT_TEST"] = "from-init";
        psi.Environment["PATH"] = "/usr/bin:/bin";
        return Process.Start(psi) ?? throw new InvalidOperationException("hive-init did not start");
    }

    public static async Task WaitForSocketAsync(string path)
    {
        for (var i = 0; i < 500 && !File.Exists(path); i++) await Task.Delay(10);
        Assert.True(File.Exists(path), $"hive-init did not create {path}");
    }

    public async Task DisposeAsync()
    {
        if (Init is { HasExited: false })
        {
            // Passed on to its command (sleep), after which it exits: nothing of ours is left running.
            Libc.Kill(Init.Id, Libc.SIGTERM);
            try { await Init.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)); }
            catch (TimeoutException) { Init.Kill(); }
        }
        Directory.Delete(Dir, true);
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Hive.sln"))) return d.FullName;
        throw new InvalidOperationException("Hive.sln not found above " + AppContext.BaseDirectory);
    }
}

public sealed class HiveInitProcessTests(HiveInitFixture init) : IClassFixture<HiveInitFixture>
{
    private sealed record Result(int Code, bool TimedOut, string Stdout, string Stderr, List<(ExecStream, string)> Chunks, byte[] StdoutBytes);

    private async Task<Result> Run(IReadOnlyList<string> command, string? cwd = "/tmp", IReadOnlyDictionary<string, string>? env = null,
        string? stdin = null, TimeSpan? timeout = null, int uid = 65534, CancellationToken ct = default)
    {
        var chunks = new List<(ExecStream, string)>();
        var stdout = new MemoryStream();
        var stderr = new StringBuilder();
        var outcome = await InitExec.RunAsync(init.Socket, new ExecSpec(command, cwd, env, stdin, timeout, uid, uid), (kind, data, _) =>
        {
            var text = Encoding.UTF8.GetString(data.Span);
            chunks.Add((kind, text));
            if (kind == ExecStream.Stdout) stdout.Write(data.Span); else stderr.Append(text);
            return ValueTask.CompletedTask;
        }, ct);
        return new Result(outcome.ExitCode, outcome.TimedOut, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString(), chunks, stdout.ToArray());
    }

    [Fact]
    public async Task Streams_come_back_in_order_with_the_exit_code()
    {
        var r = await Run(["sh", "-c", "echo a; sleep 0.05; echo b >&2; sleep 0.05; echo c; exit 3"]);
        Assert.Equal(3, r.Code);
        Assert.Equal([(ExecStream.Stdout, "a\n"), (ExecStream.Stderr, "b\n"), (ExecStream.Stdout, "c\n")], r.Chunks);
    }

    [Theory]
    [InlineData(65534)]
    [InlineData(0)]
    public async Task Commands_run_as_the_requested_user_without_any_capability(int uid)
    {
        var r = await Run(["sh", "-c", "id -u; id -g; id -G; grep -E '^Cap' /proc/self/status"], uid: uid);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([uid.ToString(), uid.ToString(), uid.ToString()], lines[..3]);
        foreach (var cap in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
            Assert.Contains($"{cap}:\t0000000000000000", lines);
    }

    [Fact]
    public async Task Environment_is_the_inits_with_the_request_on_top_and_path_search_uses_it()
    {
        var r = await Run(["sh", "-c", "echo $HIVE_INIT_TEST $MINE; echo $PATH"], env: new Dictionary<string, string> { ["MINE"] = "mine" });
        Assert.Equal("from-init mine\n/usr/bin:/bin\n", r.Stdout);
        var overridden = await Run(["sh", "-c", "echo $HIVE_INIT_TEST"], env: new Dictionary<string, string> { ["HIVE_INIT_TEST"] = "request" });
        Assert.Equal("request\n", overridden.Stdout);
        var noPath = await Run(["sh", "-c", "true"], env: new Dictionary<string, string> { ["PATH"] = "/nonexistent" });
        Assert.Equal(127, noPath.Code);
    }

    [Fact]
    public async Task Working_directory_is_used_and_a_missing_one_or_command_is_reported_like_a_shell()
    {
        Assert.Equal("/usr\n", (await Run(["pwd"], cwd: "/usr")).Stdout);
        var noDir = await Run(["pwd"], cwd: "/nonexistent-dir");
        Assert.Equal(126, noDir.Code);
        Assert.Contains("cannot enter /nonexistent-dir", noDir.Stderr);
        var noCommand = await Run(["no-such-command-xyz"]);
        Assert.Equal(127, noCommand.Code);
        Assert.Contains("cannot run no-such-command-xyz: No such file or directory", noCommand.Stderr);
        var plain = Path.Combine("/tmp", $"hive-init-plain-{Guid.NewGuid():N}");
        File.WriteAllText(plain, "not a program\n");
        File.SetUnixFileMode(plain, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var notExecutable = await Run([plain]);
        File.Delete(plain);
        Assert.Equal(126, notExecutable.Code);
        Assert.Contains("Permission denied", notExecutable.Stderr);
    }

    [Fact]
    public async Task Large_input_reaches_the_command_whole_while_it_writes_output()
    {
        // 3 MiB through a command that echoes as it reads: input and output flow at once, beyond every buffer.
        var input = string.Concat(Enumerable.Range(0, 3 * 1024 * 1024 / 64).Select(i => $"{i:D63}\n"));
        var r = await Run(["cat"], stdin: input);
        Assert.Equal(0, r.Code);
        Assert.Equal(input.Length, r.Stdout.Length);
        Assert.Equal(input, r.Stdout);
    }

    [Fact]
    public async Task Output_bytes_are_passed_as_they_are()
    {
        var r = await Run(["sh", "-c", "printf '\\000\\001\\377\\n'"]);
        Assert.Equal(new byte[] { 0, 1, 255, 10 }, r.StdoutBytes);
    }

    [Fact]
    public async Task Timeout_kills_the_whole_process_group()
    {
        var pidFile = Path.Combine("/tmp", $"hive-init-bg-{Guid.NewGuid():N}");
        var r = await Run(["sh", "-c", $"sleep 60 & echo $! > {pidFile}; wait"], timeout: TimeSpan.FromMilliseconds(500));
        Assert.True(r.TimedOut);
        Assert.Equal(ExecRunner.TimeoutExitCode, r.Code);
        var pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim());
        File.Delete(pidFile);
        await AssertGoneAsync(pid);
    }

    [Fact]
    public async Task Hanging_up_kills_the_command()
    {
        var pidFile = Path.Combine("/tmp", $"hive-init-hup-{Guid.NewGuid():N}");
        using var cts = new CancellationTokenSource();
        var running = Run(["sh", "-c", $"echo $$ > {pidFile}; exec sleep 60"], ct: cts.Token);
        for (var i = 0; i < 300 && !File.Exists(pidFile); i++) await Task.Delay(10);
        await Task.Delay(50);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        var pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim());
        File.Delete(pidFile);
        await AssertGoneAsync(pid);
    }

    [Fact]
    public async Task Concurrent_commands_each_get_their_own_output()
    {
        var runs = Enumerable.Range(0, 20).Select(i => Run(["sh", "-c", $"echo {i}; exit {i}"])).ToList();
        var results = await Task.WhenAll(runs);
        for (var i = 0; i < results.Length; i++) Assert.Equal(($"{i}\n", i), (results[i].Stdout, results[i].Code));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'R', 3, 0, 0, 0, (byte)'x', 0, 0 })] // too few fields
    [InlineData(new byte[] { (byte)'R', 12, 0, 0, 0, (byte)'1', 0, (byte)'1', 0, 0, (byte)'9', 0, (byte)'t', (byte)'r', (byte)'u', (byte)'e', 0 })] // argc beyond the fields
    [InlineData(new byte[] { (byte)'R', 4, 0, 0, 0, (byte)'a', (byte)'b', (byte)'c', (byte)'d' })] // no terminating NUL
    [InlineData(new byte[] { (byte)'R', 14, 0, 0, 0, (byte)'-', (byte)'1', 0, (byte)'1', 0, 0, (byte)'1', 0, (byte)'t', (byte)'r', (byte)'u', (byte)'e', 0, 0 })] // negative uid
    public async Task Malformed_requests_run_nothing(byte[] frame)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(init.Socket));
        await socket.SendAsync(frame);
        var reply = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer)) > 0) reply.Write(buffer, 0, n);
        var text = Encoding.ASCII.GetString(reply.ToArray());
        Assert.Contains("malformed request", text);
        Assert.EndsWith("X\u0004\0\0\0}\0\0\0", text); // exit status 125
    }

    [Fact]
    public async Task Oversized_request_is_refused_without_reading_it()
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(init.Socket));
        await socket.SendAsync(new byte[] { (byte)'R', 0, 0, 0, 0x7f });
        Assert.Equal(0, await socket.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Init_passes_termination_on_to_its_command_and_exits_with_its_status()
    {
        var dir = Directory.CreateTempSubdirectory("hive-init-term-").FullName;
        var socket = Path.Combine(dir, "ctl.sock");
        var psi = new ProcessStartInfo(init.Binary, ["--socket", socket, "--uid", "65534", "--gid", "65534", "--", "sleep", "60"]) { RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        try
        {
            await HiveInitFixture.WaitForSocketAsync(socket);
            Assert.Equal(0, Libc.Kill(p.Id, Libc.SIGTERM));
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(128 + Libc.SIGTERM, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill();
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("--socket /tmp/x.sock --uid 1 --gid 1")]
    [InlineData("--socket /tmp/x.sock --uid -1 --gid 1 -- true")]
    [InlineData("--bogus x -- true")]
    public async Task Bad_arguments_print_usage_and_exit_125(string args)
    {
        using var p = Process.Start(new ProcessStartInfo(init.Binary, args.Split(' ', StringSplitOptions.RemoveEmptyEntries)) { RedirectStandardError = true })!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(125, p.ExitCode);
        Assert.Contains("usage: hive-init", err);
    }

    /// <summary>Gone, or a zombie waiting for whoever adopted it: either way no longer running.</summary>
    private static async Task AssertGoneAsync(int pid)
    {
        for (var i = 0; i < 500; i++)
        {
            if (!File.Exists($"/proc/{pid}/stat") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal)) return;
            await Task.Delay(10);
        }
        Assert.Fail($"process {pid} still runs");
    }
}
