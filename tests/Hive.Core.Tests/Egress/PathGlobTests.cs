using Hive.Core.Egress;

namespace Hive.Core.Tests.Egress;

public class PathGlobTests
{
    [Theory]
    // literal
    [InlineData("/", "/", true)]
    [InlineData("/", "/a", false)]
    [InlineData("/a", "/a", true)]
    [InlineData("/a", "/a/", false)]
    [InlineData("/a", "/A", false)]
    [InlineData("/a/", "/a/", true)]
    [InlineData("/a/", "/a", false)]
    // * within one segment
    [InlineData("/*", "/", true)]
    [InlineData("/*", "/abc", true)]
    [InlineData("/*", "/a/b", false)]
    [InlineData("/a/*", "/a/b", true)]
    [InlineData("/a/*", "/a/", true)]
    [InlineData("/a/*", "/a", false)]
    [InlineData("/a/*", "/a/b/", false)]
    [InlineData("/a/*", "/a/b/c", false)]
    [InlineData("/a*", "/a", true)]
    [InlineData("/a*", "/abc", true)]
    [InlineData("/a*", "/a/b", false)]
    [InlineData("/*a", "/bca", true)]
    [InlineData("/*a", "/b/a", false)]
    [InlineData("/a*b*c", "/abc", true)]
    [InlineData("/a*b*c", "/axxbyyc", true)]
    [InlineData("/a*b*c", "/axxbyy/c", false)]
    [InlineData("/a*b*c", "/acb", false)]
    [InlineData("/*/*", "/a/b", true)]
    [InlineData("/*/*", "/a", false)]
    [InlineData("/*/*", "/a/b/c", false)]
    [InlineData("/v1/*.json", "/v1/x.json", true)]
    [InlineData("/v1/*.json", "/v1/x.json/y", false)]
    // ** as a whole segment: any number of segments, including none
    [InlineData("/**", "/", true)]
    [InlineData("/**", "/a/b/c", true)]
    [InlineData("/**", "/a/", true)]
    [InlineData("/v1/**", "/v1", true)]
    [InlineData("/v1/**", "/v1/", true)]
    [InlineData("/v1/**", "/v1/a", true)]
    [InlineData("/v1/**", "/v1/a/b/c/", true)]
    [InlineData("/v1/**", "/v1x", false)]
    [InlineData("/v1/**", "/v", false)]
    [InlineData("/v1/**", "/", false)]
    [InlineData("/**/z", "/z", true)]
    [InlineData("/**/z", "/a/z", true)]
    [InlineData("/**/z", "/a/b/c/z", true)]
    [InlineData("/**/z", "/az", false)]
    [InlineData("/**/z", "/z/a", false)]
    [InlineData("/a/**/z", "/a/z", true)]
    [InlineData("/a/**/z", "/a/b/z", true)]
    [InlineData("/a/**/z", "/a/b/c/z", true)]
    [InlineData("/a/**/z", "/a/z/z", true)]
    [InlineData("/a/**/z", "/a/bz", false)]
    [InlineData("/a/**/z", "/az", false)]
    [InlineData("/a/**/z", "/b/a/z", false)]
    [InlineData("/a/**/b/**/c", "/a/b/c", true)]
    [InlineData("/a/**/b/**/c", "/a/x/b/y/c", true)]
    [InlineData("/a/**/b/**/c", "/a/x/y/b/c", true)]
    [InlineData("/a/**/b/**/c", "/a/c", false)]
    [InlineData("/a/**/b/**/c", "/a/x/c", false)]
    [InlineData("/**/**/x", "/x", true)]
    [InlineData("/**/**/x", "/a/b/x", true)]
    [InlineData("/a/***/z", "/a/z", true)]
    [InlineData("/a/***/z", "/a/b/c/z", true)]
    [InlineData("/a/**/*.json", "/a/x.json", true)]
    [InlineData("/a/**/*.json", "/a/b/c/x.json", true)]
    [InlineData("/a/**/*.json", "/a/b/c/x.txt", false)]
    [InlineData("/a/**/*.json", "/a/b/c/.json", true)]
    [InlineData("/a/*/**", "/a/b", true)]
    [InlineData("/a/*/**", "/a/b/c/d", true)]
    [InlineData("/a/*/**", "/a", false)]
    // ** inside a segment: any characters, / included
    [InlineData("/admin**", "/admin", true)]
    [InlineData("/admin**", "/administrator", true)]
    [InlineData("/admin**", "/admin/users/1", true)]
    [InlineData("/admin**", "/admi", false)]
    [InlineData("/v1/**.json", "/v1/a.json", true)]
    [InlineData("/v1/**.json", "/v1/a/b/c.json", true)]
    [InlineData("/v1/**.json", "/v1/a/b/c.txt", false)]
    [InlineData("/**x", "/x", true)]
    [InlineData("/**x", "/a/b/x", true)]
    [InlineData("/a**/b", "/a/b", true)]
    [InlineData("/a**/b", "/ax/y/b", true)]
    [InlineData("/a**/b", "/ax/y/c", false)]
    // percent-encoding in patterns is normalised like paths; duplicate slashes collapse
    [InlineData("/%7Euser/**", "/~user/x", true)]
    [InlineData("/%7euser", "/~user", true)]
    [InlineData("/a%2fb", "/a%2Fb", true)]
    [InlineData("/a%20b", "/a%20b", true)]
    [InlineData("//a//b", "/a/b", true)]
    [InlineData("/a//**", "/a/x", true)]
    public void Matches(string pattern, string path, bool expected) =>
        Assert.Equal(expected, PathGlob.Compile(pattern).IsMatch(path));

    [Fact]
    public void HostilePathsStayLinear()
    {
        // Backtracking matchers take exponential time here; the NFA does not.
        var glob = PathGlob.Compile("/**/a*a*a*a*a*a*a*a*/**/b/**/c/**/d");
        var path = "/" + string.Join('/', Enumerable.Repeat(new string('a', 60), 120));
        for (var i = 0; i < 20; i++) Assert.False(glob.IsMatch(path));
        Assert.True(glob.IsMatch(path + "/b/c/d"));
    }

    [Fact]
    public void LongPatternsWork()
    {
        var pattern = "/" + string.Join('/', Enumerable.Range(0, 300).Select(i => "s" + i + "*")) + "/**";
        var path = "/" + string.Join('/', Enumerable.Range(0, 300).Select(i => "s" + i + "x")) + "/tail";
        Assert.True(PathGlob.Compile(pattern).IsMatch(path));
        Assert.False(PathGlob.Compile(pattern).IsMatch(path.Replace("s150x", "t150x")));
    }

    [Fact]
    public void KeepsThePatternAsWritten()
    {
        var glob = PathGlob.Compile("/%7euser//**");
        Assert.Equal("/%7euser//**", glob.Pattern);
        Assert.Equal("/~user/**", glob.Normalized);
        Assert.Equal("/%7euser//**", glob.ToString());
    }
}
