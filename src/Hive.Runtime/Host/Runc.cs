using System.Text.Json;

namespace Hive.Runtime.Host;

/// <summary>State of one container as runc reports it.</summary>
public sealed record ContainerState(string Id, string Status, int Pid, string Bundle);

/// <summary>The runc command line, with a root directory private to this daemon.</summary>
public sealed class Runc(string stateRoot, string binary = "runc")
{
    public string Binary => binary;
    public string StateRoot => stateRoot;

    public IEnumerable<string> Args(params string[] rest) => ["--root", stateRoot, .. rest];

    /// <summary>
    /// Creates the container: namespaces, mounts and cgroups are set up and its init waits to be started.
    /// The init inherits runc's stdio, so runc must not get pipes to this daemon (they would tie the
    /// container to our lifetime): a shell redirects them to the sandbox's log file, where runc's own
    /// errors land too.
    /// </summary>
    public async Task CreateAsync(string id, string bundle, string logPath, CancellationToken ct)
    {
        Directory.CreateDirectory(stateRoot);
        var offset = File.Exists(logPath) ? new FileInfo(logPath).Length : 0;
        string[] args = ["-c", "exec \"$0\" \"$@\" </dev/null >>\"$HIVE_CONTAINER_LOG\" 2>&1",
            binary, .. Args("create", "--bundle", bundle, "--pid-file", Path.Combine(bundle, "init.pid"), id)];
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["HIVE_CONTAINER_LOG"] = logPath;
        using var p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("could not start runc");
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
            throw new HostCommandException($"runc create {id} failed (exit {p.ExitCode}): {ReadFrom(logPath, offset)}");
    }

    /// <summary>
    /// Lets a created container's init run. This is what `runc start` does, without a Go process start (a fifth
    /// of creating a sandbox): the created init blocks writing one byte to the container's exec.fifo; reading
    /// it releases the init and removing the fifo marks the container running. Without a fifo (another runtime,
    /// another layout) `runc start` does it.
    /// </summary>
    public async Task StartAsync(string id, CancellationToken ct)
    {
        var fifo = Path.Combine(stateRoot, id, "exec.fifo");
        if (!File.Exists(fifo))
        {
            await Command.RunCheckedAsync(binary, Args("start", id), ct: ct);
            return;
        }
        await ExecFifo.ReleaseAsync(fifo, TimeSpan.FromSeconds(10), ct);
        File.Delete(fifo);
    }

    private static string ReadFrom(string path, long offset)
    {
        using var f = File.OpenRead(path);
        f.Seek(offset, SeekOrigin.Begin);
        return new StreamReader(f).ReadToEnd().Trim();
    }

    /// <summary>Whether runc keeps state for this container (without starting runc).</summary>
    public bool HasState(string id) => Directory.Exists(Path.Combine(stateRoot, id));

    public async Task<IReadOnlyList<ContainerState>> ListAsync(CancellationToken ct)
    {
        if (!Directory.Exists(stateRoot)) return [];
        var r = await Command.RunCheckedAsync(binary, Args("list", "--format", "json"), ct: ct);
        var text = r.Stdout.Trim();
        if (text is "" or "null") return [];
        var list = new List<ContainerState>();
        foreach (var e in JsonDocument.Parse(text).RootElement.EnumerateArray()) list.Add(Parse(e));
        return list;
    }

    public async Task KillAsync(string id, string signal, CancellationToken ct) =>
        await Command.RunAsync(binary, Args("kill", "--all", id, signal), ct: ct);

    public async Task DeleteAsync(string id, CancellationToken ct) =>
        await Command.RunAsync(binary, Args("delete", "--force", id), ct: ct);

    public async Task UpdateAsync(string id, string resourcesJson, CancellationToken ct) =>
        await Command.RunCheckedAsync(binary, Args("update", "--resources", "-", id), resourcesJson, ct);

    private static ContainerState Parse(JsonElement e) => new(
        e.GetProperty("id").GetString() ?? "",
        e.GetProperty("status").GetString() ?? "unknown",
        e.TryGetProperty("pid", out var pid) ? pid.GetInt32() : 0,
        e.TryGetProperty("bundle", out var b) ? b.GetString() ?? "" : "");
}
