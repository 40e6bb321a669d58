using Hive.Runtime.Host;

namespace Hive.Runtime.Tests;

public sealed class ImageUserTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hive-user-").FullName;

    public ImageUserTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        File.WriteAllText(Path.Combine(_root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nagent:x:1000:1000::/home/agent:/bin/sh\nnode:x:1001:1002::/home/node:/bin/sh\n");
        File.WriteAllText(Path.Combine(_root, "etc/group"), "root:x:0:\nagent:x:1000:\nstaff:x:50:\n");
    }

    [Theory]
    [InlineData(null, 1000, 1000)]
    [InlineData("", 1000, 1000)]
    [InlineData("1000:1000", 1000, 1000)]
    [InlineData("agent", 1000, 1000)]
    [InlineData("node", 1001, 1002)]
    [InlineData("node:staff", 1001, 50)]
    [InlineData("4242", 4242, 4242)]
    [InlineData("0", 0, 0)]
    public void Resolves_names_and_numbers(string? user, int uid, int gid) =>
        Assert.Equal((uid, gid), ImageUser.Resolve(user, _root));

    [Fact]
    public void Unknown_names_are_an_error_naming_them()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ImageUser.Resolve("ghost", _root));
        Assert.Contains("ghost", e.Message);
    }

    [Theory]
    [InlineData(0, "/root")]
    [InlineData(1000, "/home/agent")]
    [InlineData(4242, "/")]
    public void Home_comes_from_passwd_else_root_directory(int uid, string home) =>
        Assert.Equal(home, ImageUser.Home(uid, _root));

    public void Dispose() => Directory.Delete(_root, true);
}
