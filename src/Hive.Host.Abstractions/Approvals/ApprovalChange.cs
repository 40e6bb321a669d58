using System.Threading.Channels;

namespace Hive.Host.Abstractions.Approvals;

/// <param name="Type"><c>pending</c> (a new held request) or <c>decided</c>.</param>
public sealed record ApprovalChange(string Type, HeldRequest Request, ApprovalOutcome? Outcome);

public sealed class ApprovalWatch(ChannelReader<ApprovalChange> reader, Action stop) : IDisposable
{
    public ChannelReader<ApprovalChange> Reader { get; } = reader;
    public void Dispose() => stop();
}
