using Hive.Runtime.Host;
using Hive.SafePaths;

namespace Hive.Runtime.Tests;

/// <summary>
/// The safe-path primitive against what an agent or an image plants below a root: '..', absolute and relative
/// symlinks, loops, /proc magic links, FIFOs. "outside" is a directory next to the root standing for the host.
/// </summary>
public sealed class InRootTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hive-inroot-").FullName;
    private string Root => Path.Combine(_dir, "root");
    private string Outside => Path.Combine(_dir, "outside");

    public InRootTests()
    {
        Directory.CreateDirectory(Path.Combine(Root, "etc/ssl"));
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Combine(Root, "etc/passwd"), "inside\n");
        File.WriteAllText(Path.Combine(Outside, "passwd"), "HOST\n");
        File.CreateSymbolicLink(Path.Combine(Root, "abs"), Outside);                  // absolute, to the "host"
        File.CreateSymbolicLink(Path.Combine(Root, "up"), "../outside");             // relative, climbing out
        File.CreateSymbolicLink(Path.Combine(Root, "rel"), "etc");                   // relative, inside
        File.CreateSymbolicLink(Path.Combine(Root, "etc/passwd-link"), "/etc/passwd"); // absolute, meant inside
        File.CreateSymbolicLink(Path.Combine(Root, "loop"), "loop");
        File.CreateSymbolicLink(Path.Combine(Root, "ping"), "pong");
        File.CreateSymbolicLink(Path.Combine(Root, "pong"), "ping");
        File.WriteAllText(Path.Combine(Root, "big"), new string('x', 2000));
        Assert.Equal(0, Mkfifo(Path.Combine(Root, "fifo"), Convert.ToUInt32("644", 8)));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // What reading a path gives in each scope: its content, "missing" (null), or "refused" (an InRootException).
    [Theory]
    [InlineData("etc/passwd", "inside\n", "inside\n")]
    [InlineData("/etc/passwd", "inside\n", "inside\n")]                 // a leading '/' is the root
    [InlineData("../outside/passwd", "refused", "missing")]             // '..' stops at the root in the image scope
    [InlineData("etc/../../outside/passwd", "refused", "missing")]
    [InlineData("../../../../../../etc/hostname", "refused", "missing")]
    [InlineData("abs/passwd", "refused", "missing")]                    // absolute symlink: resolved in the root, or refused
    [InlineData("up/passwd", "refused", "missing")]
    [InlineData("rel/passwd", "refused", "inside\n")]                   // symlinks are data in the storage scope
    [InlineData("etc/passwd-link", "refused", "inside\n")]
    [InlineData("loop", "refused", "refused")]
    [InlineData("ping/x", "refused", "refused")]
    [InlineData("fifo", "refused", "refused")]                          // never opened: no reader blocks on it
    [InlineData("etc", "refused", "refused")]                           // a directory is not a file
    [InlineData("big", "refused", "refused")]                           // over the caller's limit
    [InlineData("nothing/here", "missing", "missing")]
    public void Reads_resolve_inside_the_root_or_not_at_all(string path, string storage, string image)
    {
        Assert.Equal(storage, Read(InRoot.Storage, path));
        Assert.Equal(image, Read(InRoot.Image, path));
    }

    [Theory]
    [InlineData("root/etc/hostname")]
    [InlineData("cwd")]
    [InlineData("fd/0")]
    public void Proc_magic_links_are_never_followed(string path)
    {
        foreach (var scope in new[] { InRoot.Storage, InRoot.Image, Resolve.InRoot | Resolve.NoMagicLinks })
        {
            using var proc = InRoot.Open("/proc/self", scope);
            var e = Assert.Throws<InRootException>(() => proc.ReadAllText(path, 1 << 20));
            Assert.Equal(40, e.Errno); // ELOOP
        }
    }

    [Theory]
    [InlineData("abs/made")]            // through an absolute symlink to the "host"
    [InlineData("up/made")]             // through a relative one that climbs out
    [InlineData("loop/made")]
    [InlineData("etc/passwd/made")]     // through a file
    public void Making_directories_never_lands_outside(string path)
    {
        foreach (var scope in new[] { InRoot.Storage, InRoot.Image })
        {
            using var root = InRoot.Open(Root, scope);
            Assert.Throws<InRootException>(() => root.CreateDirectories(path.Split('/'), Convert.ToUInt32("755", 8)).Dispose());
            Assert.Equal(["passwd"], Directory.GetFileSystemEntries(Outside).Select(Path.GetFileName));
        }
    }

    [Fact]
    public void Making_directories_in_the_image_scope_follows_links_that_stay_inside()
    {
        using var root = InRoot.Open(Root, InRoot.Image);
        var made = new List<string>();
        root.CreateDirectories(["rel", "ssl", "certs", "deep"], Convert.ToUInt32("755", 8), (_, name) => made.Add(name)).Dispose();
        Assert.Equal(["certs", "deep"], made);
        Assert.True(Directory.Exists(Path.Combine(Root, "etc/ssl/certs/deep")));
        Assert.Throws<InRootException>(() => root.CreateDirectories(["etc", ".."], 0).Dispose());
    }

    [Fact]
    public void Daemon_files_start_from_the_image_copy_inside_the_image_only()
    {
        // The image's bundle is a link to a host file: the daemon must see "none", not the host's content.
        Directory.CreateDirectory(Path.Combine(Root, "etc/ssl/certs"));
        File.CreateSymbolicLink(Path.Combine(Root, "etc/ssl/certs/ca-certificates.crt"), Path.Combine(Outside, "passwd"));
        File.CreateSymbolicLink(Path.Combine(Root, "etc/hosts"), "passwd"); // in-image link: followed
        var seen = new Dictionary<string, string?>();
        var files = Path.Combine(_dir, "files");
        var plans = DaemonFiles.Prepare(files, Root,
        [
            new RootFile("/etc/ssl/certs/ca-certificates.crt", existing => { seen["bundle"] = existing; return "CA\n"; }),
            new RootFile("/etc/hosts", existing => { seen["hosts"] = existing; return "hosts\n"; }),
        ]);
        Assert.Null(seen["bundle"]);
        Assert.Equal("inside\n", seen["hosts"]);
        Assert.All(plans, p => Assert.True(p.ReadOnly));
        Assert.All(plans, p => Assert.StartsWith(files + "/", p.Source));
        Assert.Equal("CA\n", File.ReadAllText(plans[0].Source));
        Assert.Equal("HOST\n", File.ReadAllText(Path.Combine(Outside, "passwd")));
        Assert.Equal("inside\n", File.ReadAllText(Path.Combine(Root, "etc/passwd")));
    }

    [Fact]
    public void An_image_user_is_resolved_from_the_image_passwd_never_through_a_link_to_the_host()
    {
        File.WriteAllText(Path.Combine(Outside, "passwd"), "ghost:x:4242:4242::/:/bin/sh\n");
        File.Delete(Path.Combine(Root, "etc/passwd"));
        File.CreateSymbolicLink(Path.Combine(Root, "etc/passwd"), Path.Combine(Outside, "passwd"));
        Assert.Throws<InvalidOperationException>(() => ImageUser.Resolve("ghost", Root));
        Assert.Equal("/", ImageUser.Home(4242, Root));
    }

    private string Read(Resolve scope, string path)
    {
        using var root = InRoot.Open(Root, scope);
        try
        {
            return root.ReadAllText(path, 1024) ?? "missing";
        }
        catch (InRootException)
        {
            return "refused";
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int Mkfifo(string path, uint mode);
}
