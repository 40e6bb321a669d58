using Hive.Core.Secrets;

namespace Hive.Core.Tests.Secrets;

public class StandInMatcherTests
{
    private static readonly string[] StandIns =
    [
        StandIn.Create("sk-ant-api03-" + SecretSamples.Random(SecretSamples.UrlSafe, 93, 1) + "AA", "s", "a", SecretSamples.Key),
        StandIn.Create("ghp_" + SecretSamples.Random(SecretSamples.Alnum, 36, 2), "s", "g", SecretSamples.Key),
        StandIn.Create("sk-" + SecretSamples.Random(SecretSamples.Alnum, 48, 3), "s", "o", SecretSamples.Key),
    ];

    private static readonly StandInMatcher Matcher = new(StandIns);

    [Theory]
    [InlineData("", -1, -1)]
    [InlineData("nothing here", -1, -1)]
    [InlineData("{0}", 0, 0)]
    [InlineData("{1}", 0, 1)]
    [InlineData("{2}", 0, 2)]
    [InlineData("Bearer {2}", 7, 2)]
    [InlineData("x{1}y{0}", 1, 1)]
    [InlineData("abc{0}{1}", 3, 0)]
    [InlineData("sk-ant-api03-", -1, -1)]
    [InlineData("ghp_", -1, -1)]
    public void FindsTheFirst(string template, int position, int id)
    {
        var text = string.Format(template, StandIns[0], StandIns[1], StandIns[2]);
        Assert.Equal(position >= 0, Matcher.Find(text, 0, out var p, out var i, out var length));
        Assert.Equal(position, p);
        Assert.Equal(id, i);
        if (id >= 0) Assert.Equal(StandIns[id].Length, length);
        Assert.Equal(position >= 0, Matcher.ContainsAny(text));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(-1)]
    public void IgnoresNearMisses(int change)
    {
        foreach (var standIn in StandIns)
        {
            var chars = standIn.ToCharArray();
            var at = change < 0 ? chars.Length - 1 : Math.Min(change + 13, chars.Length - 1);
            chars[at] = chars[at] == 'Q' ? 'R' : 'Q';
            Assert.False(Matcher.ContainsAny(new string(chars)));
            Assert.False(Matcher.ContainsAny(standIn.AsSpan(0, standIn.Length - 1)));
            Assert.False(Matcher.ContainsAny(standIn.ToUpperInvariant() == standIn ? standIn.ToLowerInvariant() : standIn.ToUpperInvariant()));
        }
    }

    [Fact]
    public void FindsEveryOccurrence()
    {
        var text = $"a{StandIns[0]}b{StandIns[1]}{StandIns[1]}c{StandIns[2]}";
        var found = new List<int>();
        var start = 0;
        while (Matcher.Find(text, start, out var p, out var id, out var length)) { found.Add(id); start = p + length; }
        Assert.Equal([0, 1, 1, 2], found);
        Assert.Equal("a<0>b<1><1>c<2>", Matcher.Replace(text, id => $"<{id}>"));
    }

    [Fact]
    public void PrefersTheLongestAtOnePosition()
    {
        var matcher = new StandInMatcher(["abcdefgh", "abcdefghijkl", "abcd"]);
        Assert.True(matcher.Find("xxabcdefghijklxx", 0, out var p, out var id, out var length));
        Assert.Equal((2, 1, 12), (p, id, length));
        Assert.Equal("xx[1]xx[0][2]", matcher.Replace("xxabcdefghijklxxabcdefghabcd", i => $"[{i}]"));
    }

    [Fact]
    public void DuplicatesReportTheFirstIndex()
    {
        var matcher = new StandInMatcher(["same-stand-in", "other", "same-stand-in"]);
        Assert.True(matcher.Find("x same-stand-in", 0, out _, out var id, out _));
        Assert.Equal(0, id);
    }

    [Fact]
    public void AnEmptySetFindsNothing()
    {
        var matcher = new StandInMatcher([]);
        Assert.False(matcher.ContainsAny("anything"));
        Assert.False(matcher.Find("anything", 0, out _, out _, out _));
        Assert.Equal(0, matcher.Count);
        const string text = "unchanged";
        Assert.Same(text, matcher.Replace(text, _ => "x"));
        Assert.Equal(1, new StandInMatcher(["", "a"]).Count);
    }

    [Fact]
    public void ReplaceReturnsTheSameStringWhenNothingMatches()
    {
        var text = "Bearer " + new string('x', 200);
        Assert.Same(text, Matcher.Replace(text, _ => throw new InvalidOperationException()));
    }

    [Fact]
    public void FindsFromAStartPosition()
    {
        var text = StandIns[0] + StandIns[0];
        Assert.True(Matcher.Find(text, 1, out var p, out _, out _));
        Assert.Equal(StandIns[0].Length, p);
        Assert.False(Matcher.Find(text, text.Length, out _, out _, out _));
    }

    [Fact]
    public void DoesNotAllocateWhenNothingMatches()
    {
        var text = "Mozilla/5.0 (X11; Linux x86_64) " + string.Concat(Enumerable.Repeat("sk-abc ghp_xyz AIza ", 100));
        for (var i = 0; i < 10; i++) { Matcher.ContainsAny(text); Matcher.Find(text, 0, out _, out _, out _); Matcher.Replace(text, _ => ""); }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Matcher.ContainsAny(text);
            Matcher.Find(text, 0, out _, out _, out _);
            Matcher.Replace(text, _ => "");
        }
        // Less than a byte per call: nothing per call (the runtime may allocate a little once, e.g. when tiering up).
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1000);
    }

    [Fact]
    public void NeverMatchesRealisticText()
    {
        // Stand-ins of every catalogued shape against a large body of ordinary text and key-like noise.
        var standIns = SecretSamples.Formats(7).Select(f => StandIn.Create(f.Value, "s", f.Format, SecretSamples.Key)).ToArray();
        var matcher = new StandInMatcher(standIns);
        foreach (var (format, _, value) in SecretSamples.Formats(1000))
        {
            Assert.False(matcher.ContainsAny(value), format);
            Assert.False(matcher.ContainsAny(StandIn.Create(value, "other", format, SecretSamples.Key)), format);
        }
        var noise = string.Concat(Enumerable.Range(0, 500).Select(i => SecretSamples.Random(SecretSamples.UrlSafe, 64, i)));
        Assert.False(matcher.ContainsAny(noise));
    }
}
