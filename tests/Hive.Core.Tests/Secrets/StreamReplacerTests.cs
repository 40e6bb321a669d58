using System.Text;
using Hive.Core.Secrets;

namespace Hive.Core.Tests.Secrets;

public class StreamReplacerTests
{
    private static StreamReplacer Replacer(params (string From, string To)[] pairs) =>
        new(pairs.Select(p => KeyValuePair.Create(Encoding.UTF8.GetBytes(p.From), Encoding.UTF8.GetBytes(p.To))));

    /// <summary>The definition: at each position the longest pattern that starts there, else the byte; no overlaps.</summary>
    private static string Reference(string text, (string From, string To)[] pairs)
    {
        var sb = new StringBuilder();
        var ordered = pairs.Where(p => p.From.Length > 0).OrderByDescending(p => p.From.Length).ToArray();
        for (var i = 0; i < text.Length;)
        {
            var hit = ordered.FirstOrDefault(p => string.CompareOrdinal(text, i, p.From, 0, p.From.Length) == 0 && i + p.From.Length <= text.Length);
            if (hit.From is null) { sb.Append(text[i]); i++; continue; }
            sb.Append(hit.To);
            i += hit.From.Length;
        }
        return sb.ToString();
    }

    /// <summary>Feeds <paramref name="text"/> in chunks cut at <paramref name="cuts"/>, checking the hold-back bound.</summary>
    private static string Feed(StreamReplacer replacer, string text, IEnumerable<int> cuts, int longest)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var output = new List<byte>();
        var last = 0;
        foreach (var cut in cuts.Append(bytes.Length))
        {
            output.AddRange(replacer.Transform(bytes.AsSpan(last, cut - last)).ToArray());
            Assert.True(replacer.HeldBack <= Math.Max(0, longest - 1), $"held back {replacer.HeldBack} bytes");
            last = cut;
        }
        output.AddRange(replacer.Flush().ToArray());
        Assert.Equal(0, replacer.HeldBack);
        return Encoding.UTF8.GetString([.. output]);
    }

    // One line per case: text, then pattern → replacement pairs.
    public static TheoryData<string, string[]> Cases => new()
    {
        { "no match at all", ["secret", "STANDIN"] },
        { "secret", ["secret", "STANDIN"] },
        { "xsecretysecretsecret", ["secret", "S"] },
        { "secre", ["secret", "STANDIN"] },
        { "abcdef", ["abcd", "1", "bc", "2", "abcdef", "3"] },
        { "abcdeabcdx", ["abcd", "1", "bc", "2", "abcdef", "3"] },
        { "aaaaaaa", ["aa", "b", "aaa", "c"] },
        { "ababab", ["aba", "X", "bab", "Y"] },
        { "key=sk-live-1234&sk-live-12", ["sk-live-1234", "sk-live-9999", "sk-live-1234%3D", "no"] },
        { "lengths differ: tok tok", ["tok", "a-much-longer-stand-in"] },
        { "and shrink: a-much-longer-value!", ["a-much-longer-value", "v"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_split_point_gives_the_whole_buffer_result(string text, string[] flat)
    {
        var pairs = Enumerable.Range(0, flat.Length / 2).Select(i => (flat[2 * i], flat[2 * i + 1])).ToArray();
        var expected = Reference(text, pairs);
        var longest = pairs.Max(p => p.Item1.Length);
        Assert.Equal(expected, Feed(Replacer(pairs), text, [], longest));
        for (var a = 0; a <= text.Length; a++)
        {
            Assert.Equal(expected, Feed(Replacer(pairs), text, [a], longest));
            for (var b = a; b <= text.Length; b++)
                Assert.Equal(expected, Feed(Replacer(pairs), text, [a, b], longest));
        }
        // Byte by byte, with one replacer reused for a second stream.
        var reused = Replacer(pairs);
        Assert.Equal(expected, Feed(reused, text, Enumerable.Range(1, Math.Max(0, text.Length - 1)), longest));
        Assert.Equal(expected, Feed(reused, text, Enumerable.Range(1, Math.Max(0, text.Length - 1)), longest));
    }

    [Fact]
    public void Random_streams_match_the_definition()
    {
        var random = new Random(20261205);
        for (var round = 0; round < 3000; round++)
        {
            var alphabet = "abc"[..random.Next(1, 4)];
            string Word(int min, int max) => new([.. Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            var pairs = Enumerable.Range(0, random.Next(1, 5)).Select(_ => (Word(1, 7), Word(0, 9).ToUpperInvariant())).ToArray();
            var text = Word(0, 80);
            var cuts = Enumerable.Range(0, random.Next(0, 8)).Select(_ => random.Next(0, text.Length + 1)).Order().ToArray();
            var expected = Reference(text, pairs.DistinctBy(p => p.Item1).ToArray());
            var actual = Feed(Replacer(pairs), text, cuts, pairs.Max(p => p.Item1.Length));
            Assert.True(expected == actual, $"round {round}: text {text}, patterns {string.Join(" ", pairs)}, cuts {string.Join(",", cuts)}: {expected} != {actual}");
        }
    }

    [Fact]
    public void Only_a_tail_that_could_begin_a_pattern_is_held_back()
    {
        var replacer = Replacer(("sk-live-secret", "sk-live-STANDIN"));
        Assert.Equal("data: token\n\n", Encoding.UTF8.GetString(replacer.Transform("data: token\n\n"u8).Span));
        Assert.Equal(0, replacer.HeldBack);
        Assert.Equal("data: ", Encoding.UTF8.GetString(replacer.Transform("data: sk-li"u8).Span));
        Assert.Equal(5, replacer.HeldBack);
        Assert.Equal("sk-live-STANDIN\n", Encoding.UTF8.GetString(replacer.Transform("ve-secret\n"u8).Span));
    }

    [Fact]
    public void A_large_stream_without_matches_is_handed_back_unchanged()
    {
        var replacer = Replacer(("sk-live-secret", "sk-live-STANDIN"));
        var chunk = new byte[64 * 1024];
        new Random(1).NextBytes(chunk);
        var total = 0L;
        for (var i = 0; i < 64; i++) total += replacer.Transform(chunk).Length;
        total += replacer.Flush().Length;
        Assert.Equal(64L * chunk.Length, total);
    }
}
