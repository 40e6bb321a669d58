namespace Hive.Files.Tests;

/// <summary>The io_uring transport itself: the kernel really sends requests through the rings.</summary>
[Collection("fuse")]
public class IoUringTransportTests
{
    [Fact]
    public void A_mount_asking_for_io_uring_is_served_through_the_rings()
    {
        FuseTransport.RequireIoUring();
        using var f = new FuseFixture(options: new FuseOptions { IoUring = true });
        Assert.True(f.Mount.IoUring, "the session is not served over io_uring:\n" + string.Join('\n', f.Log));
        Assert.Equal("hello\n", f.Sh("echo hello > a && cat a && mkdir d && mv a d/b && ls d >/dev/null && rm d/b && rmdir d").AssertOk().Stdout);
    }
}
