using Hive.Host.Abstractions.Approvals;

namespace Hive.Host.Abstractions.Wire;

/// <summary>Held requests on the wire. A copy on the controller's side is a snapshot: deciding it goes to its host.</summary>
public static class ApprovalWire
{
    public static WireHeld Write(HeldRequest h) =>
        new(h.Id, h.Sandbox, h.Kind, h.Host, h.Port, h.Method, h.Path, h.Rule, h.Created, h.ExpiresAt, h.Waiters);

    public static HeldRequest Read(WireHeld w)
    {
        var held = new HeldRequest(w.Id, w.Sandbox, w.Kind, w.Host, w.Port, w.Method, w.Path, w.Rule, w.Created, w.ExpiresAt);
        for (var i = 0; i < w.Waiters; i++) held.Join();
        return held;
    }
}
