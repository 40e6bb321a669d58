namespace HiveClient;

/// <summary>
/// Entry point of the SDK: <c>await Hive.GetOrCreateSandboxAsync("name", config)</c> on the connection
/// <see cref="Default"/> (from the environment), as docs/sdks.md describes.
/// </summary>
/// <remarks>
/// The namespace is <c>HiveClient</c>, not <c>Hive.Client</c>, on purpose: if any namespace named <c>Hive</c>
/// were visible, C# would bind <c>Hive.</c> to that namespace and <c>Hive.GetOrCreateSandboxAsync(...)</c> would
/// not compile. With <c>using HiveClient;</c> the name <c>Hive</c> is this class.
/// </remarks>
public static class Hive
{
    private static readonly Lock Gate = new();
    private static HiveConnection? _default;

    /// <summary>
    /// The connection the static methods use; created on first use by <see cref="HiveConnection.FromEnvironment()"/>.
    /// Set it to talk to another daemon (the previous connection is not disposed).
    /// </summary>
    public static HiveConnection Default
    {
        get
        {
            lock (Gate) return _default ??= HiveConnection.FromEnvironment();
        }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            lock (Gate) _default = value;
        }
    }

    /// <inheritdoc cref="HiveConnection.GetOrCreateSandboxAsync"/>
    public static Task<Sandbox> GetOrCreateSandboxAsync(string name, SandboxConfig? config = null, CancellationToken ct = default) =>
        Default.GetOrCreateSandboxAsync(name, config, ct);

    /// <inheritdoc cref="HiveConnection.GetSandboxAsync"/>
    public static Task<Sandbox> GetSandboxAsync(string name, CancellationToken ct = default) => Default.GetSandboxAsync(name, ct);

    /// <inheritdoc cref="HiveConnection.ListSandboxesAsync"/>
    public static Task<IReadOnlyList<Sandbox>> ListSandboxesAsync(CancellationToken ct = default) => Default.ListSandboxesAsync(ct);

    /// <inheritdoc cref="HiveConnection.HealthAsync"/>
    public static Task<HealthInfo> HealthAsync(CancellationToken ct = default) => Default.HealthAsync(ct);

    /// <inheritdoc cref="HiveConnection.DeleteSandboxAsync"/>
    public static Task DeleteSandboxAsync(string name, CancellationToken ct = default) => Default.DeleteSandboxAsync(name, ct);

    /// <inheritdoc cref="HiveConnection.GetEventsStream"/>
    public static IAsyncEnumerable<SandboxEvent> GetEventsStream(string? types = null, long? after = null, CancellationToken ct = default) =>
        Default.GetEventsStream(types, after, ct);

    /// <summary>Secrets on the default daemon (<see cref="HiveConnection.Secrets"/>).</summary>
    public static SecretClient Secrets => Default.Secrets;
}
