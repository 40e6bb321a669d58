using System.Text.Json.Nodes;

namespace Hive.Host.Abstractions.Approvals;

/// <summary>
/// One request (or raw flow) the proxy holds for a person: what it is, which rule asked, until when it waits.
/// Identical requests held at the same time share one (<see cref="Waiters"/> counts them) and one answer.
/// </summary>
public sealed class HeldRequest
{
    private readonly TaskCompletionSource<ApprovalOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state; // 0 waiting, 1 being decided (a config apply in progress), 2 done
    private int _waiters;

    public HeldRequest(string id, string sandbox, string kind, string host, int port, string method, string? path, int? rule,
        DateTimeOffset created, DateTimeOffset expiresAt)
    {
        Id = id;
        Sandbox = sandbox;
        Kind = kind;
        Host = host;
        Port = port;
        Method = method;
        Path = path;
        Rule = rule;
        Created = created;
        ExpiresAt = expiresAt;
    }

    /// <summary><c>apr_</c> and 16 lower-case hex digits.</summary>
    public string Id { get; }
    public string Sandbox { get; }
    /// <summary><c>http</c> or <c>https</c> (a request, after TLS interception), <c>tcp</c> or <c>tls</c> (a raw flow).</summary>
    public string Kind { get; }
    public string Host { get; }
    public int Port { get; }
    /// <summary>The HTTP method, or <c>TCP</c> / <c>TLS</c> for a raw flow.</summary>
    public string Method { get; }
    /// <summary>The normalised path of a request; null for a raw flow.</summary>
    public string? Path { get; }
    /// <summary>The index of the ask rule that matched; null when none did and <c>egressDefault</c> is ask.</summary>
    public int? Rule { get; }
    public DateTimeOffset Created { get; }
    public DateTimeOffset ExpiresAt { get; }
    public int Waiters => Volatile.Read(ref _waiters);
    public bool IsRequest => Method is not ("TCP" or "TLS");

    /// <summary>The key identical requests share: same sandbox, scheme, destination, method and path.</summary>
    public string Key => MakeKey(Sandbox, Kind, Host, Port, Method, Path);

    internal static string MakeKey(string sandbox, string kind, string host, int port, string method, string? path) =>
        string.Join('\n', sandbox, kind, host, port, method, path ?? "");

    internal Task<ApprovalOutcome> Outcome => _outcome.Task;
    internal bool IsDone => Volatile.Read(ref _state) == 2;

    internal void Join() => Interlocked.Increment(ref _waiters);
    internal int Leave() => Interlocked.Decrement(ref _waiters);

    /// <summary>Reserves the request for one decider: a timeout cannot land while its config apply runs.</summary>
    internal bool TryClaim() => Interlocked.CompareExchange(ref _state, 1, 0) == 0;
    internal void Unclaim() => Interlocked.CompareExchange(ref _state, 0, 1);

    /// <summary>Answers every waiter; false when it was answered already (or is claimed by someone else, unless <paramref name="claimed"/>).</summary>
    internal bool TryComplete(ApprovalOutcome outcome, bool claimed)
    {
        if (Interlocked.CompareExchange(ref _state, 2, claimed ? 1 : 0) != (claimed ? 1 : 0)) return false;
        _outcome.TrySetResult(outcome);
        return true;
    }

    /// <summary>The egress.approval event's data (the event has its own id and sandbox: the approval's id is <c>approval</c>).</summary>
    public JsonObject EventData()
    {
        var data = new JsonObject { ["approval"] = Id };
        AddRequest(data);
        data["expiresAt"] = ExpiresAt.ToString("O");
        return data;
    }

    /// <summary>The JSON form the API and its SSE stream use.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["id"] = Id, ["sandbox"] = Sandbox };
        AddRequest(json);
        json["waiters"] = Waiters;
        json["createdAt"] = Created.ToString("O");
        json["expiresAt"] = ExpiresAt.ToString("O");
        return json;
    }

    /// <summary>What is held, the same in the event and in the API.</summary>
    private void AddRequest(JsonObject o)
    {
        o["kind"] = Kind;
        o["host"] = Host;
        o["port"] = Port;
        o["method"] = Method;
        o["path"] = Path;
        o["rule"] = Rule;
    }
}

/// <summary>What happened to a held request.</summary>
/// <param name="Decision"><c>allow</c>, <c>deny</c>, <c>timeout</c> or <c>failed</c> (daemon stopping, sandbox removed).</param>
/// <param name="By">Who decided: <c>token</c>, <c>inspector:…</c>; null for a timeout or failure.</param>
/// <param name="Reason">For people: why it ended so.</param>
public sealed record ApprovalOutcome(string Decision, string? By, string Reason)
{
    public bool Allowed => Decision == "allow";
}
