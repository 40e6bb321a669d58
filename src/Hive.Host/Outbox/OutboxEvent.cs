namespace Hive.Host.Outbox;

/// <summary>
/// One event waiting in the outbox: its host-local <paramref name="Seq"/>, its time (UTC ticks), its data as JSON text,
/// and for an llm.call the bodies of its model call as the wire's <c>llm</c> object (JSON text), when they were kept.
/// </summary>
public sealed record OutboxEvent(long Seq, string Sandbox, string Type, long TimeTicks, string Data, string? Llm)
{
    public DateTimeOffset Time => new(TimeTicks, TimeSpan.Zero);
}
