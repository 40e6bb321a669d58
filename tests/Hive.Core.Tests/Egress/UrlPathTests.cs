using Hive.Core.Egress;
using F = Hive.Core.Egress.UrlPathFlags;

namespace Hive.Core.Tests.Egress;

public class UrlPathTests
{
    [Theory]
    // already normal
    [InlineData("/", "/", null, F.None)]
    [InlineData("/a", "/a", null, F.None)]
    [InlineData("/a/b/c", "/a/b/c", null, F.None)]
    [InlineData("/a/", "/a/", null, F.None)]
    [InlineData("/a:b@c!$&'()*+,=", "/a:b@c!$&'()*+,=", null, F.None)]
    [InlineData("/a~b_c-d.e", "/a~b_c-d.e", null, F.None)]
    [InlineData("/...", "/...", null, F.None)]
    [InlineData("/.a/..b/c..", "/.a/..b/c..", null, F.None)]
    // query kept apart, raw
    [InlineData("/a?x=1&y=%2F", "/a", "x=1&y=%2F", F.None)]
    [InlineData("/a?", "/a", "", F.None)]
    [InlineData("/?q", "/", "q", F.None)]
    [InlineData("/a?x=/../b", "/a", "x=/../b", F.None)]
    [InlineData("/a/../b?c/../d", "/b", "c/../d", F.DotSegments)]
    [InlineData("/a?b?c", "/a", "b?c", F.None)]
    // dot-segments resolved once
    [InlineData("/a/./b", "/a/b", null, F.DotSegments)]
    [InlineData("/a/../b", "/b", null, F.DotSegments)]
    [InlineData("/a/b/..", "/a/", null, F.DotSegments)]
    [InlineData("/a/b/.", "/a/b/", null, F.DotSegments)]
    [InlineData("/a/b/../", "/a/", null, F.DotSegments)]
    [InlineData("/..", "/", null, F.DotSegments)]
    [InlineData("/.", "/", null, F.DotSegments)]
    [InlineData("/../../../etc/passwd", "/etc/passwd", null, F.DotSegments)]
    [InlineData("/a/..", "/", null, F.DotSegments)]
    [InlineData("/v1/./../admin", "/admin", null, F.DotSegments)]
    [InlineData("/a/b/c/./../../g", "/a/g", null, F.DotSegments)]
    [InlineData("/mid/content=5/../6", "/mid/6", null, F.DotSegments)]
    [InlineData("/a/.../b", "/a/.../b", null, F.None)]
    // duplicate slashes collapsed (before dot-segments, as nginx does)
    [InlineData("//admin", "/admin", null, F.DuplicateSlashes)]
    [InlineData("///admin", "/admin", null, F.DuplicateSlashes)]
    [InlineData("/a//b", "/a/b", null, F.DuplicateSlashes)]
    [InlineData("/a//", "/a/", null, F.DuplicateSlashes)]
    [InlineData("//", "/", null, F.DuplicateSlashes)]
    [InlineData("/a//../b", "/b", null, F.DuplicateSlashes | F.DotSegments)]
    [InlineData("//..//admin", "/admin", null, F.DuplicateSlashes | F.DotSegments)]
    // unreserved characters decoded, other escapes upper-cased and kept
    [InlineData("/%61%62%63", "/abc", null, F.None)]
    [InlineData("/%7Euser", "/~user", null, F.None)]
    [InlineData("/%7euser", "/~user", null, F.None)]
    [InlineData("/a%2Db%5Fc%2e", "/a-b_c.", null, F.None)]
    [InlineData("/a%20b", "/a%20b", null, F.None)]
    [InlineData("/a%3fb", "/a%3Fb", null, F.None)]
    [InlineData("/a%3Bb", "/a%3Bb", null, F.PathParameters)]
    [InlineData("/%c3%a9", "/%C3%A9", null, F.None)]
    [InlineData("/%E2%82%AC", "/%E2%82%AC", null, F.None)]
    [InlineData("/%F0%9F%98%80", "/%F0%9F%98%80", null, F.None)]
    [InlineData("/%252e%252e/x", "/%252e%252e/x", null, F.None)]
    [InlineData("/%25", "/%25", null, F.None)]
    // encoded slash and backslash: kept, flagged
    [InlineData("/a%2fb", "/a%2Fb", null, F.EncodedSlash)]
    [InlineData("/a%2Fb", "/a%2Fb", null, F.EncodedSlash)]
    [InlineData("/v1/..%2fadmin", "/v1/..%2Fadmin", null, F.EncodedSlash)]
    [InlineData("/v1%2f..%2fadmin", "/v1%2F..%2Fadmin", null, F.EncodedSlash)]
    [InlineData("/a%5cb", "/a%5Cb", null, F.Backslash)]
    [InlineData("/a%5Cb", "/a%5Cb", null, F.Backslash)]
    [InlineData("/a\\b", "/a\\b", null, F.Backslash)]
    [InlineData("/..\\admin", "/..\\admin", null, F.Backslash)]
    // encoded dot-segments: resolved and flagged
    [InlineData("/v1/%2e%2e/admin", "/admin", null, F.EncodedDotSegment | F.DotSegments)]
    [InlineData("/v1/%2E%2E/admin", "/admin", null, F.EncodedDotSegment | F.DotSegments)]
    [InlineData("/v1/.%2e/admin", "/admin", null, F.EncodedDotSegment | F.DotSegments)]
    [InlineData("/v1/%2e./admin", "/admin", null, F.EncodedDotSegment | F.DotSegments)]
    [InlineData("/v1/%2e/admin", "/v1/admin", null, F.EncodedDotSegment | F.DotSegments)]
    [InlineData("/v1/%2e%2e", "/", null, F.EncodedDotSegment | F.DotSegments)]
    [InlineData("/v1/a%2e", "/v1/a.", null, F.None)]
    [InlineData("/v1/%2e%2e%2e", "/v1/...", null, F.None)]
    // dot-segments with ;parameters (Tomcat, Jetty)
    [InlineData("/v1/..;/admin", "/v1/..;/admin", null, F.DotSegmentWithParameters | F.PathParameters)]
    [InlineData("/v1/.;x/admin", "/v1/.;x/admin", null, F.DotSegmentWithParameters | F.PathParameters)]
    [InlineData("/v1/%2e%2e;/admin", "/v1/..;/admin", null, F.DotSegmentWithParameters | F.PathParameters)]
    // any ;parameters: servlet containers cut them off the segment
    [InlineData("/v1/a;b/c", "/v1/a;b/c", null, F.PathParameters)]
    [InlineData("/v1/..x;/c", "/v1/..x;/c", null, F.PathParameters)]
    [InlineData("/admin;x/y", "/admin;x/y", null, F.PathParameters)]
    [InlineData("/admin;/y", "/admin;/y", null, F.PathParameters)]
    [InlineData("/admin%3Bx/y", "/admin%3Bx/y", null, F.PathParameters)]
    [InlineData("/admin%3bx/y", "/admin%3Bx/y", null, F.PathParameters)]
    [InlineData("/a/b;", "/a/b;", null, F.PathParameters)]
    [InlineData("/a?x=1;y=2", "/a", "x=1;y=2", F.None)]
    // NUL, invalid percent-encoding, overlong and malformed UTF-8
    [InlineData("/a%00b", "/a%00b", null, F.Nul)]
    [InlineData("/a\0b", "/a\0b", null, F.Nul)]
    [InlineData("/a%zz", "/a%zz", null, F.InvalidPercentEncoding)]
    [InlineData("/a%2", "/a%2", null, F.InvalidPercentEncoding)]
    [InlineData("/a%", "/a%", null, F.InvalidPercentEncoding)]
    [InlineData("/a%/b", "/a%/b", null, F.InvalidPercentEncoding)]
    [InlineData("/a%2/b", "/a%2/b", null, F.InvalidPercentEncoding)]
    [InlineData("/a%g1", "/a%g1", null, F.InvalidPercentEncoding)]
    [InlineData("/%c0%ae%c0%ae/x", "/%C0%AE%C0%AE/x", null, F.InvalidPercentEncoding)]
    [InlineData("/%c0%af", "/%C0%AF", null, F.InvalidPercentEncoding)]
    [InlineData("/%c1%9c", "/%C1%9C", null, F.InvalidPercentEncoding)]
    [InlineData("/%e0%80%ae", "/%E0%80%AE", null, F.InvalidPercentEncoding)]
    [InlineData("/%f0%80%80%af", "/%F0%80%80%AF", null, F.InvalidPercentEncoding)]
    [InlineData("/%ed%a0%80", "/%ED%A0%80", null, F.InvalidPercentEncoding)]
    [InlineData("/%f4%90%80%80", "/%F4%90%80%80", null, F.InvalidPercentEncoding)]
    [InlineData("/%f5%80%80%80", "/%F5%80%80%80", null, F.InvalidPercentEncoding)]
    [InlineData("/%ff", "/%FF", null, F.InvalidPercentEncoding)]
    [InlineData("/%80", "/%80", null, F.InvalidPercentEncoding)]
    [InlineData("/%c3", "/%C3", null, F.InvalidPercentEncoding)]
    [InlineData("/%c3a", "/%C3a", null, F.InvalidPercentEncoding)]
    [InlineData("/%c3/%a9", "/%C3/%A9", null, F.InvalidPercentEncoding)]
    [InlineData("/%e2%82", "/%E2%82", null, F.InvalidPercentEncoding)]
    [InlineData("/%c3%a9%a9", "/%C3%A9%A9", null, F.InvalidPercentEncoding)]
    // raw characters that have no place in a target
    [InlineData("/a b", "/a b", null, F.InvalidCharacter)]
    [InlineData("/a\tb", "/a\tb", null, F.InvalidCharacter)]
    [InlineData("/a\r\nb", "/a\r\nb", null, F.InvalidCharacter)]
    [InlineData("/a\u007fb", "/a\u007fb", null, F.InvalidCharacter)]
    [InlineData("/é", "/é", null, F.InvalidCharacter)]
    [InlineData("/a#b", "/a#b", null, F.InvalidCharacter)]
    // asterisk-form and garbage
    [InlineData("*", "*", null, F.AsteriskForm)]
    [InlineData("", "", null, F.InvalidTarget)]
    [InlineData("a/b", "a/b", null, F.InvalidTarget)]
    [InlineData("example.com:443", "example.com:443", null, F.InvalidTarget)]
    [InlineData("ftp://x.com/a", "ftp://x.com/a", null, F.InvalidTarget)]
    [InlineData("http:/x.com/a", "http:/x.com/a", null, F.InvalidTarget)]
    [InlineData("http://", "http://", null, F.InvalidTarget)]
    [InlineData("http://x.com:99999/", "http://x.com:99999/", null, F.InvalidTarget)]
    [InlineData("http://x.com:8o/", "http://x.com:8o/", null, F.InvalidTarget)]
    [InlineData("http://::1/", "http://::1/", null, F.InvalidTarget)]
    public void Normalises(string raw, string path, string? query, UrlPathFlags flags)
    {
        var target = UrlPath.Normalize(raw);
        Assert.Equal(path, target.Path);
        Assert.Equal(query, target.Query);
        Assert.Equal(flags, target.Flags);
        Assert.Equal((flags & F.Rejected) != 0, target.IsRejected);
    }

    [Theory]
    [InlineData("http://other.host/x", "http", "other.host", null, "/x", null, F.AbsoluteForm)]
    [InlineData("HTTP://Other.Host:8080/x?q=1", "http", "Other.Host", 8080, "/x", "q=1", F.AbsoluteForm)]
    [InlineData("https://x.com", "https", "x.com", null, "/", null, F.AbsoluteForm)]
    [InlineData("https://x.com?a", "https", "x.com", null, "/", "a", F.AbsoluteForm)]
    [InlineData("http://x.com:/a", "http", "x.com", null, "/a", null, F.AbsoluteForm)]
    [InlineData("http://[::1]:81/a", "http", "[::1]", 81, "/a", null, F.AbsoluteForm)]
    [InlineData("http://[::ffff:127.0.0.1]/a", "http", "[::ffff:127.0.0.1]", null, "/a", null, F.AbsoluteForm)]
    [InlineData("http://127.1/a", "http", "127.1", null, "/a", null, F.AbsoluteForm)]
    [InlineData("http://user:pw@x.com/a", "http", "x.com", null, "/a", null, F.AbsoluteForm | F.UserInfo)]
    [InlineData("http://x.com@evil.test/a", "http", "evil.test", null, "/a", null, F.AbsoluteForm | F.UserInfo)]
    [InlineData("http://x.com//admin/../a", "http", "x.com", null, "/a", null, F.AbsoluteForm | F.DuplicateSlashes | F.DotSegments)]
    [InlineData("http://x.com/%2e%2e/a", "http", "x.com", null, "/a", null, F.AbsoluteForm | F.DotSegments | F.EncodedDotSegment)]
    [InlineData("http://x.com#frag", "http", "x.com", null, "/#frag", null, F.AbsoluteForm | F.InvalidTarget | F.InvalidCharacter)]
    public void ParsesAbsoluteForm(string raw, string scheme, string host, int? port, string path, string? query, UrlPathFlags flags)
    {
        var target = UrlPath.Normalize(raw);
        Assert.Equal(scheme, target.Scheme);
        Assert.Equal(host, target.AuthorityHost);
        Assert.Equal(port, target.AuthorityPort);
        Assert.Equal(path, target.Path);
        Assert.Equal(query, target.Query);
        Assert.Equal(flags, target.Flags);
    }

    [Fact]
    public void AbsoluteFormHostIsCanonicalisedAndComparedByTheCaller()
    {
        var target = UrlPath.Normalize("http://0x7f.1/admin");
        Assert.True(EgressHost.TryCanonicalize(target.AuthorityHost!, out var host, out var ip));
        Assert.Equal("127.0.0.1", host);
        Assert.NotNull(ip);
        Assert.NotEqual("api.example.com", host); // the proxy answers 421 and never dials the authority
    }

    [Fact]
    public void AnAlreadyNormalPathIsReturnedWithoutCopying()
    {
        const string raw = "/repos/hive/issues";
        Assert.Same(raw, UrlPath.Normalize(raw).Path);
    }

    [Fact]
    public void NormalisingTwiceChangesNothing()
    {
        foreach (var raw in new[] { "/a/./b/../c", "//x//y/", "/%7e/%2e%2e/z", "/a%2fb/../c", "/..;/x", "/%c3%a9/../b" })
        {
            var once = UrlPath.Normalize(raw);
            var twice = UrlPath.Normalize(once.Path);
            Assert.Equal(once.Path, twice.Path);
        }
    }

    [Fact]
    public void LongPathsUseAPooledBuffer()
    {
        var raw = "/" + string.Concat(Enumerable.Repeat("seg/./", 400)) + "../end";
        Assert.Equal("/" + string.Concat(Enumerable.Repeat("seg/", 399)) + "end", UrlPath.Normalize(raw).Path);
        var encoded = "/" + string.Concat(Enumerable.Repeat("%2e%2e/", 500)) + "x";
        var target = UrlPath.Normalize(encoded);
        Assert.Equal("/x", target.Path);
        Assert.True(target.IsRejected);
    }

    [Fact]
    public void PathAndQueryRebuildsTheOriginForm()
    {
        Assert.Equal("/b?x=1", UrlPath.Normalize("http://h/a/../b?x=1").PathAndQuery);
        Assert.Equal("/b", UrlPath.Normalize("/a/../b").PathAndQuery);
    }
}
