using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace HiveClient;

/// <summary>What <see cref="Sandbox.OpenTerminalAsync(TerminalOptions?, CancellationToken)"/> starts.</summary>
public sealed class TerminalOptions
{
    /// <summary>The command; null: the sandbox's login shell (bash when the image has it, else sh).</summary>
    public ExecCommand? Command { get; set; }

    /// <summary>Working directory inside the sandbox.</summary>
    public string? Cwd { get; set; }

    /// <summary>Extra environment variables (TERM defaults to xterm-256color).</summary>
    public Dictionary<string, string>? Env { get; set; }

    public int Rows { get; set; } = 24;
    public int Cols { get; set; } = 80;
}

/// <summary>
/// An interactive terminal in a sandbox: a command under a pseudo-terminal that hive-init allocates. Write keystrokes,
/// read the output, resize; <see cref="ExitCode"/> completes when the command exits. Disposing it before then kills
/// the command and everything it started on the terminal.
/// </summary>
public sealed class SandboxTerminal : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Channel<byte[]> _output = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly Task _receiving;

    private SandboxTerminal(ClientWebSocket socket)
    {
        _socket = socket;
        _receiving = ReceiveAsync();
    }

    /// <summary>The command's exit status; faults with a <see cref="HiveException"/> when the daemon refused or lost it.</summary>
    public Task<int> ExitCode => _exit.Task;

    internal static async Task<SandboxTerminal> OpenAsync(ClientWebSocket socket, TerminalOptions options, CancellationToken ct)
    {
        var start = new JsonObject { ["rows"] = options.Rows, ["cols"] = options.Cols };
        if (options.Command is { } c)
            start["command"] = c.Shell is { } shell ? shell : new JsonArray([.. c.Argv!.Select(a => (JsonNode)a)]);
        if (options.Cwd is not null) start["cwd"] = options.Cwd;
        if (options.Env is not null) start["env"] = new JsonObject(options.Env.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        await socket.SendAsync(Encoding.UTF8.GetBytes(start.ToJsonString()), WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
        return new SandboxTerminal(socket);
    }

    /// <summary>Sends keystrokes as typed (e.g. "\u0003" is Ctrl-C, "\u0004" Ctrl-D at the start of a line).</summary>
    public Task WriteAsync(string keys, CancellationToken ct = default) => WriteAsync(Encoding.UTF8.GetBytes(keys), ct);

    public async Task WriteAsync(ReadOnlyMemory<byte> keys, CancellationToken ct = default)
    {
        if (keys.IsEmpty) return;
        await SendAsync(keys, WebSocketMessageType.Binary, ct).ConfigureAwait(false);
    }

    /// <summary>A new window size: the command gets SIGWINCH.</summary>
    public Task ResizeAsync(int rows, int cols, CancellationToken ct = default)
    {
        var message = new JsonObject { ["type"] = "resize", ["rows"] = rows, ["cols"] = cols }.ToJsonString();
        return SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, ct);
    }

    /// <summary>The terminal's output as it comes, until the command exits.</summary>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadOutputAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var chunk in _output.Reader.ReadAllAsync(ct).ConfigureAwait(false)) yield return chunk;
    }

    /// <summary>All output until the exit, as text (tests, scripts).</summary>
    public async Task<string> ReadAllTextAsync(CancellationToken ct = default)
    {
        var all = new MemoryStream();
        await foreach (var chunk in ReadOutputAsync(ct).ConfigureAwait(false)) all.Write(chunk.Span);
        return Encoding.UTF8.GetString(all.GetBuffer(), 0, (int)all.Length);
    }

    private async Task SendAsync(ReadOnlyMemory<byte> data, WebSocketMessageType type, CancellationToken ct)
    {
        await _sending.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(data, type, true, ct).ConfigureAwait(false);
        }
        catch (WebSocketException e)
        {
            throw new HiveUnavailableException($"The terminal's connection is gone: {e.Message}", e);
        }
        finally
        {
            _sending.Release();
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        var text = new MemoryStream();
        try
        {
            while (true)
            {
                var r = await _socket.ReceiveAsync(buffer, CancellationToken.None).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close) break;
                if (r.MessageType == WebSocketMessageType.Binary)
                {
                    _output.Writer.TryWrite(buffer.AsSpan(0, r.Count).ToArray());
                    continue;
                }
                text.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage) continue;
                var message = JsonNode.Parse(text.ToArray()) as JsonObject;
                text.SetLength(0);
                switch (message?["type"]?.GetValue<string>())
                {
                    case "exit":
                        _exit.TrySetResult(message["exitCode"]!.GetValue<int>());
                        break;
                    case "error":
                        var problem = JsonSerializer.Deserialize(message, HiveJsonContext.Default.Problem);
                        _exit.TrySetException(HiveException.FromProblem(problem?.Status ?? 500, problem, null));
                        break;
                }
            }
            _exit.TrySetException(new HiveUnavailableException("The daemon closed the terminal before the command's exit status (the sandbox stopped, or the daemon did)."));
        }
        catch (Exception e) when (e is WebSocketException or JsonException or InvalidOperationException or ObjectDisposedException)
        {
            _exit.TrySetException(new HiveUnavailableException($"Lost the terminal's connection: {e.Message}", e));
        }
        finally
        {
            _output.Writer.TryComplete();
            if (_socket.State == WebSocketState.CloseReceived)
            {
                try { await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false); }
                catch (WebSocketException) { }
            }
        }
    }

    /// <summary>Closes the terminal; a command still running is killed with its whole session.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "closed", timeout.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        }
        _socket.Abort();
        try { await _receiving.ConfigureAwait(false); } catch (Exception) { }
        _exit.TrySetException(new HiveUnavailableException("The terminal was closed before the command exited."));
        _ = _exit.Task.Exception; // observed
        _socket.Dispose();
        _sending.Dispose();
    }
}
