namespace Hive.Daemon;

/// <summary>Entry point of <c>hive daemon</c>: runs the daemon in the foreground until cancelled or SIGTERM.</summary>
public static class DaemonProgram
{
    public static Task<int> RunAsync(CancellationToken ct) => throw new NotImplementedException();
}
