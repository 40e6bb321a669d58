using System.Text.Json.Nodes;

namespace Hive.Host.Abstractions.Approvals;

/// <summary>
/// The requests a host's proxy holds for a person, as the approvals API sees them: list, follow, claim and decide.
/// The proxy's side (holding, timing out, failing closed) belongs to the host.
/// </summary>
public interface IApprovalQueue
{
    /// <summary>Held requests still waiting, oldest first.</summary>
    IReadOnlyList<HeldRequest> Pending();

    /// <summary>A request still waiting; null when unknown or already answered.</summary>
    HeldRequest? Find(string id);

    /// <summary>How a recently answered request ended (to tell a second decision 409 from an unknown id's 404).</summary>
    ApprovalOutcome? Decided(string id);

    /// <summary>Reserves the request for one decider (false when someone else has it or it ended).</summary>
    bool TryClaim(HeldRequest held);
    void Unclaim(HeldRequest held);

    /// <summary>Answers a claimed request (and every identical one waiting with it); <paramref name="details"/> go into the event.</summary>
    void Decide(HeldRequest held, ApprovalOutcome outcome, JsonObject details);

    /// <summary>Follows changes (new held requests, decisions) from now on; dispose to stop.</summary>
    ApprovalWatch Watch();
}
