namespace Hive.Core;

/// <summary>Where the daemon keeps its state, and the defaults clients use to find it.</summary>
public static class HiveHome
{
    public const string DefaultHome = "/var/lib/hive";
    public const string DefaultListen = "127.0.0.1:9000";

    public static string Resolve() =>
        Environment.GetEnvironmentVariable("HIVE_HOME") is { Length: > 0 } h ? Path.GetFullPath(h) : DefaultHome;
}
