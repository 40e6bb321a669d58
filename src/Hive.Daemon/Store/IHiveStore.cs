using Hive.Core.Config;
using Hive.Core.Llm;
using Hive.Core.Secrets;

namespace Hive.Daemon.Store;

/// <summary>
/// The daemon's state: sandboxes, secrets (sealed values, stand-ins, activity), the event log and a few settings (meta).
/// Two implementations keep the same contract (tests/Hive.Daemon.Tests/Store): <see cref="SqliteStore"/>, the embedded
/// default, and <see cref="PostgresStore"/> for a controller that outgrows one machine. Every write is durable when the
/// call returns; event ids are assigned by the caller (the event writer), increasing.
/// </summary>
public interface IHiveStore : IDisposable
{
    /// <summary>Events deleted per transaction: a writer waits for one batch at most, never for a whole pruning pass.</summary>
    public const int PruneBatchSize = 2000;

    /// <summary>What the store is, for logs: "sqlite /var/lib/hive/hive.db" or a Postgres URL without its password.</summary>
    string Description { get; }

    /// <summary>The schema version the store is at (its migrations run when it opens).</summary>
    int SchemaVersion { get; }

    IReadOnlyList<SandboxRecord> ListSandboxes();
    SandboxRecord? FindSandbox(string name);

    /// <summary>Inserts a new sandbox (not placed). Returns null when the name exists; throws when <paramref name="capacity"/> sandboxes exist already.</summary>
    SandboxRecord? InsertSandbox(string name, SandboxConfig config, DateTimeOffset createdAt, int capacity);

    void UpdateSandbox(string name, string status, string? error = null, SandboxConfig? config = null);

    /// <summary>Stores a sandbox's new config and nothing else: its status belongs to the lifecycle.</summary>
    void UpdateSandboxConfig(string name, SandboxConfig config);

    void DeleteSandbox(string name);

    /// <summary>
    /// Records when sandboxes were last used (read back as <see cref="SandboxRecord.LastActive"/>), keeping the later of
    /// the stored and the given time: every controller reports what it served, and the leader's TTL reads them all.
    /// Names that no longer exist are ignored.
    /// </summary>
    void RecordActivity(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastActive);

    /// <summary>Places a sandbox on <paramref name="host"/> (null: unplaced), whatever its placement was.</summary>
    void SetSandboxHost(string name, string? host);

    /// <summary>
    /// Places a sandbox on <paramref name="host"/> only if its placement is still <paramref name="expected"/>: of two
    /// controllers placing one sandbox at once, one wins. False when the placement had changed or the sandbox is gone.
    /// </summary>
    bool PlaceSandbox(string name, string host, string? expected);

    /// <summary>The sandboxes placed on <paramref name="host"/>, oldest first.</summary>
    IReadOnlyList<SandboxRecord> ListSandboxesOnHost(string host);

    /// <summary>How many sandboxes each host has placed on it (hosts with none are absent).</summary>
    IReadOnlyDictionary<string, int> CountSandboxesByHost();

    /// <summary>Inserts or replaces a host's row (its heartbeat).</summary>
    void UpsertHost(HostRecord host);

    IReadOnlyList<HostRecord> ListHosts();

    HostRecord? FindHost(string name) => ListHosts().FirstOrDefault(h => h.Name == name);

    /// <summary>
    /// Sets a host's status; true when it changed (false when it already had it or is unknown). With
    /// <paramref name="seenBefore"/>, only if its last heartbeat is older: a heartbeat arriving meanwhile wins.
    /// </summary>
    bool SetHostStatus(string name, string status, DateTimeOffset? seenBefore = null);

    /// <summary>The highest event id stored (0 when none): where the event writer continues.</summary>
    long LastEventId();

    /// <summary>The lowest stored event id (0 when none).</summary>
    long FirstEventId();

    /// <summary>
    /// Stores a batch of events (ids already assigned, increasing) in one transaction; secret.* events also become activity rows.
    /// Host events (<see cref="StoredEvent.Origin"/>) are stored once per outbox and seq, with the ids they name translated and
    /// their outbox's mark raised in the same transaction (<see cref="Hive.Daemon.Events.EventBatchIds"/>). In a
    /// <see cref="SharedEventLog"/> the ids are assigned here, under a lock, following the last stored one. Returns the
    /// events as stored, in order (the batch itself when nothing changed).
    /// </summary>
    IReadOnlyList<StoredEvent> InsertEvents(IReadOnlyList<StoredEvent> batch);

    /// <summary>
    /// True when several controllers may write the log (PostgreSQL): ids are then assigned by <see cref="InsertEvents"/> and
    /// the writer's own ids are provisional. False: one writer, whose ids are final (SQLite).
    /// </summary>
    bool SharedEventLog => false;

    /// <summary>
    /// Calls <paramref name="stored"/> with the last id a writer stored whenever one commits (with <see cref="long.MaxValue"/>
    /// once after each (re)connection: whatever was missed), until disposed; null when the log has one writer.
    /// </summary>
    IDisposable? WatchEvents(Action<long> stored) => null;

    /// <summary>The highest seq stored from a host's outbox (0 when none): what the controller acknowledges.</summary>
    long HostEventMark(string source);

    /// <summary>Events after <paramref name="after"/> in id order, at most <paramref name="limit"/>; with <paramref name="types"/>, only those types.</summary>
    IReadOnlyList<StoredEvent> ReadEvents(string? sandbox, long after, int limit, IReadOnlyCollection<string>? types = null);

    /// <summary>The last <paramref name="limit"/> events before <paramref name="before"/> (exclusive), oldest first.</summary>
    IReadOnlyList<StoredEvent> ReadEventsBefore(string? sandbox, long before, int limit, IReadOnlyCollection<string>? types = null);

    /// <summary>
    /// Deletes the oldest events while they are older than <paramref name="maxAge"/> or the log uses more than
    /// <paramref name="maxBytes"/> (then down to 90% of it), in batches of <see cref="PruneBatchSize"/>, so that writers
    /// never wait for a whole pass; model-call bodies go with their request's event. The newest event is always kept. Returns how many events were deleted.
    /// </summary>
    long PruneEvents(DateTimeOffset now, TimeSpan? maxAge, long? maxBytes, CancellationToken ct = default);

    /// <summary>Bytes the event log and its indexes use (what <see cref="PruneEvents"/> holds under its limit).</summary>
    long UsedBytes();

    /// <summary>Stores one model call's bodies (already redacted and bounded by the proxy); a second store for the same request replaces it.</summary>
    void InsertLlmBodies(string sandbox, long requestId, LlmBodies bodies);

    /// <summary>The bodies of <paramref name="sandbox"/>'s call <paramref name="requestId"/>; null when none are stored (pruned, or another sandbox's).</summary>
    LlmBodies? FindLlmBodies(string sandbox, long requestId);

    string? GetMeta(string key);
    void SetMeta(string key, string value);

    IReadOnlyList<SecretRecord> ListSecrets();

    /// <summary>Secrets named <paramref name="name"/> in every scope.</summary>
    IReadOnlyList<SecretRecord> FindSecrets(string name);

    SecretRecord? FindSecret(string scope, string name) => FindSecrets(name).FirstOrDefault(s => s.Scope == scope);

    /// <summary>Inserts or replaces a secret (keeping its creation time). True when it was created.</summary>
    bool UpsertSecret(SecretRecord s);

    bool RotateSecret(string scope, string name, byte[] sealedValue, DateTimeOffset at);

    /// <summary>Deletes a secret. A global one stops being bound by scope: its stand-ins stay, revoked.</summary>
    bool DeleteSecret(string scope, string name);

    IReadOnlyList<StandInRecord> ListStandIns(string sandbox);

    /// <summary>Stores a stand-in unless the sandbox already has one for the secret; returns the one in force.</summary>
    string EnsureStandIn(string sandbox, string secret, string standIn, bool auto);

    /// <summary>Removes a sandbox's stand-ins and the secrets scoped to it.</summary>
    void DeleteSandboxSecrets(string sandbox);

    /// <summary>Activity of a secret name, newest first; ids below <paramref name="before"/> when given.</summary>
    IReadOnlyList<SecretActivityRecord> ReadActivity(string secret, string? sandbox, ActivityStatusFilter? status, long? before, int limit);
}

