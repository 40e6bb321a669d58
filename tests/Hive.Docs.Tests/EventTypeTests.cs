using System.Text.RegularExpressions;
using Hive.Core.Events;

namespace Hive.Docs.Tests;

/// <summary>
/// Every event type is described in docs/events.md (as a code span, <c>`egress.request`</c>), and
/// <see cref="EventTypes"/> really is the list of them: no code under src/ spells a type as a string literal, neither
/// a known one nor a new one handed to an event sink.
/// </summary>
public partial class EventTypeTests
{
    private static string EventsPath => Path.Combine(RepositoryFiles.DocsDirectory, "events.md");

    [Fact]
    public void Every_event_type_is_in_the_events_reference()
    {
        var missing = Undocumented(File.ReadAllText(EventsPath));
        Assert.True(missing.Count == 0, $"docs/events.md does not describe these event types (write each in a code span, e.g. `dns.query`): {string.Join(", ", missing)}");
    }

    [Fact]
    public void A_reference_without_a_type_fails_naming_it()
    {
        var text = File.ReadAllText(EventsPath).Replace("`llm.call`", "llm call", StringComparison.Ordinal);
        Assert.Equal([EventTypes.LlmCall], Undocumented(text));
    }

    [Fact]
    public void Event_types_are_written_only_in_EventTypes()
    {
        var known = EventTypes.All.ToHashSet(StringComparer.Ordinal);
        var offenders = new List<string>();
        foreach (var file in RepositoryFiles.Sources())
        {
            if (Path.GetFileName(file) == "EventTypes.cs") continue;
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var where = $"{RepositoryFiles.Relative(file)}:{i + 1}";
                foreach (Match m in StringLiteral().Matches(lines[i]))
                    if (known.Contains(m.Groups[1].Value)) offenders.Add($"{where}: \"{m.Groups[1].Value}\" (use EventTypes)");
                if (SinkCallWithLiteralType().Match(lines[i]) is { Success: true } call)
                    offenders.Add($"{where}: event type \"{call.Groups["type"].Value}\" written in place (add it to EventTypes and docs/events.md)");
            }
        }
        Assert.True(offenders.Count == 0, "event types outside Hive.Core/Events/EventTypes.cs:\n" + string.Join("\n", offenders));
    }

    [Theory]
    [InlineData("""events.Append(name, "sandbox.paused", new JsonObject());""", true)]
    [InlineData("""_events.Enqueue(_sandbox, "exec.killed", data);""", true)]
    [InlineData("""sink.Append(conn.Sandbox.Name, "llm.cached", EventJson.End(w));""", true)]
    [InlineData("""events.Append(name, EventTypes.SandboxCreated, new JsonObject());""", false)]
    [InlineData("""sb.Append(' ').Append("x");""", false)]
    public void The_source_scan_sees_a_type_handed_to_a_sink(string line, bool flagged) =>
        Assert.Equal(flagged, SinkCallWithLiteralType().IsMatch(line));

    private static List<string> Undocumented(string reference) =>
        EventTypes.All.Where(t => !reference.Contains($"`{t}`", StringComparison.Ordinal)).ToList();

    [GeneratedRegex("\"([^\"\\\\]*)\"")]
    private static partial Regex StringLiteral();

    /// <summary>A call of an event sink (<c>Append</c>, <c>Enqueue</c>, <c>EnqueueJson</c>) whose second argument is a literal.</summary>
    [GeneratedRegex("""\.(Append|Enqueue|EnqueueJson)\(\s*[^,()"]+(\([^()]*\))?\s*,\s*"(?<type>[^"]*)"\s*,""")]
    private static partial Regex SinkCallWithLiteralType();
}
