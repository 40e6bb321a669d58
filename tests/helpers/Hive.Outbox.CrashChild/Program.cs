using Hive.Core.Events;
using Hive.Host.Outbox;

// Appends request/response pairs to the outbox at args[0] forever; after each Flush prints "durable N" (every seq up
// to N is on disk). The test kills this process with SIGKILL at some point and checks the file.
var outbox = new EventOutbox(args[0]);
var n = 0;
while (true)
{
    long last = 0;
    for (var i = 0; i < 50; i++, n++)
    {
        var request = outbox.Append("box", EventTypes.EgressRequest, $$"""{"n":{{n}}}""");
        last = outbox.Append("box", EventTypes.EgressResponse, $$"""{"requestId":{{request}},"n":{{n}}}""");
    }
    outbox.Flush();
    Console.WriteLine($"durable {last}");
    // Then more that may or may not be on disk when the kill comes.
    for (var i = 0; i < 20; i++, n++) outbox.Append("box", EventTypes.DnsQuery, $$"""{"n":{{n}}}""");
}
