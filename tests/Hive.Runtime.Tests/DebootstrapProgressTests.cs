using Hive.Runtime.Images;

namespace Hive.Runtime.Tests;

public sealed class DebootstrapProgressTests
{
    /// <summary>Real output of debootstrap 1.0.128 (bookworm, minbase, hive/base's --include list), captured on this project's build host.</summary>
    private static string[] Sample() =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "testdata", "debootstrap-bookworm-minbase.log"));

    private static List<(string Line, ImageProgress Progress, bool Changed)> FeedAll(IEnumerable<string> lines, DebootstrapProgress parser) =>
        lines.Select(l => (l, parser.Current, parser.Feed(l))).Select(t => (t.l, parser.Current, t.Item3)).ToList();

    [Fact]
    public void RecordedSample_ProgressesThroughEveryStage_Monotonically()
    {
        var parser = new DebootstrapProgress();
        var steps = FeedAll(Sample(), parser);

        var fractions = steps.Select(s => s.Progress.Fraction).ToList();
        for (var i = 1; i < fractions.Count; i++) Assert.True(fractions[i] >= fractions[i - 1], $"went backwards at: {steps[i].Line}");
        Assert.All(fractions, f => Assert.InRange(f, 0, 1));

        var stages = steps.Select(s => s.Progress.Stage).Distinct().ToList();
        Assert.Equal(["resolving", "retrieving", "validating", "extracting", "unpacking", "configuring", "finishing"], stages);

        Assert.True(parser.Succeeded);
        Assert.Equal(DebootstrapProgress.InstalledFraction, parser.Fraction);
        Assert.Equal(142, parser.PackagesRetrieved);
        // Fine-grained: nearly every package line moves the bar.
        Assert.True(fractions.Distinct().Count() > 500, $"{fractions.Distinct().Count()} distinct fractions");
    }

    [Fact]
    public void RecordedSample_StageBoundariesLandWhereExpected()
    {
        var steps = FeedAll(Sample(), new DebootstrapProgress());
        double At(string prefix) => steps.First(s => s.Line.StartsWith(prefix, StringComparison.Ordinal)).Progress.Fraction;

        Assert.InRange(At("I: Checking component main"), 0.05, 0.08);
        Assert.InRange(At("I: Retrieving adduser"), 0.08, 0.09);
        Assert.InRange(At("I: Validating zlib1g"), 0.40, 0.45);
        Assert.Equal(0.45, At("I: Chosen extractor"), 6);
        Assert.InRange(At("I: Extracting zlib1g"), 0.50, 0.55);
        Assert.Equal(0.55, At("I: Installing core packages"), 6);
        Assert.InRange(At("I: Configuring the base system"), 0.7, 0.9);
        Assert.Equal(0.98, At("I: Base system installed successfully"), 6);
        var beforeEnd = steps[^2].Progress.Fraction;
        Assert.InRange(beforeEnd, 0.95, 0.98);
    }

    [Fact]
    public void PackageLines_CarryDetail()
    {
        var parser = new DebootstrapProgress(expectedPackages: 10);
        parser.Feed("I: Retrieving InRelease ");
        Assert.Equal(("resolving", "index InRelease"), (parser.Stage, parser.Detail));
        parser.Feed("I: Retrieving libc6 2.36-9+deb12u10");
        Assert.Equal("retrieving", parser.Stage);
        Assert.Equal("libc6 2.36-9+deb12u10 (1/~10)", parser.Detail);
        parser.Feed("I: Validating libc6 2.36-9+deb12u10");
        Assert.Equal("validating", parser.Stage);
        parser.Feed("I: Unpacking required packages...");
        Assert.Equal(("unpacking", "required packages"), (parser.Stage, parser.Detail));
        parser.Feed("I: Configuring libc6:amd64...");
        Assert.Equal(("configuring", "libc6:amd64 (1/2)"), (parser.Stage, parser.Detail));
    }

    [Fact]
    public void MorePackagesThanExpected_NeverLeaveTheRetrievingBand()
    {
        var parser = new DebootstrapProgress(expectedPackages: 10);
        var last = 0.0;
        for (var i = 0; i < 500; i++)
        {
            parser.Feed($"I: Retrieving pkg{i} 1.0");
            parser.Feed($"I: Validating pkg{i} 1.0");
            Assert.True(parser.Fraction >= last);
            Assert.True(parser.Fraction < 0.45);
            last = parser.Fraction;
        }
        Assert.True(last > 0.44);
        Assert.Equal(500, parser.PackagesRetrieved);
    }

    [Fact]
    public void OutOfOrderLines_NeverMoveBackwards()
    {
        var parser = new DebootstrapProgress();
        parser.Feed("I: Configuring the base system...");
        var high = parser.Fraction;
        foreach (var line in new[] { "I: Retrieving InRelease ", "I: Resolving dependencies of required packages...", "I: Retrieving a 1", "I: Extracting a..." })
        {
            parser.Feed(line);
            Assert.True(parser.Fraction >= high, line);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("W: Couldn't download package foo (ret = 4)")]
    [InlineData("E: Couldn't find these debs: tini")]
    [InlineData("dpkg: warning: something")]
    [InlineData("I: Keyring file not available at /usr/share/keyrings/debian-archive-keyring.gpg; switching to https mirror")]
    public void OtherLines_ChangeNothing(string line)
    {
        var parser = new DebootstrapProgress();
        parser.Feed("I: Retrieving libc6 2.36");
        var before = parser.Current;
        Assert.False(parser.Feed(line));
        Assert.Equal(before, parser.Current);
    }
}
