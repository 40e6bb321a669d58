using Hive.Runtime.Network;

namespace Hive.Runtime.Tests;

public class SlotAddressingTests
{
    [Fact]
    public void Each_slot_is_a_slash_30_with_host_first_and_sandbox_second()
    {
        var a = new SlotAddressing("10.201.0.0/16", "abc123");
        var n0 = a.For(0);
        var n5 = a.For(5);
        Assert.Equal("10.201.0.1", n0.HostAddress.ToString());
        Assert.Equal("10.201.0.2", n0.SandboxAddress.ToString());
        Assert.Equal("10.201.0.21", n5.HostAddress.ToString());
        Assert.Equal("10.201.0.22", n5.SandboxAddress.ToString());
        Assert.Equal(16384, a.Capacity);
    }

    [Fact]
    public void Names_fit_the_kernel_limits_and_carry_the_daemon_tag()
    {
        var a = new SlotAddressing("10.0.0.0/8", "abc123");
        var last = a.For(a.Capacity - 1);
        Assert.True(last.HostVeth.Length <= 15, last.HostVeth);
        Assert.StartsWith("hvabc123", last.HostVeth);
        Assert.StartsWith("hive-abc123-", last.Namespace);
        Assert.Equal("/var/run/netns/" + last.Namespace, last.NamespacePath);
    }

    [Theory]
    [InlineData("10.201.0.0")]
    [InlineData("10.201.0.0/7")]
    [InlineData("10.201.0.0/29")]
    [InlineData("fd00::/64")]
    [InlineData("banana/16")]
    public void Bad_subnets_are_refused_with_the_setting_name(string subnet)
    {
        var e = Assert.Throws<ArgumentException>(() => new SlotAddressing(subnet, "abc123"));
        Assert.StartsWith("subnet:", e.Message);
    }

    [Fact]
    public void Host_bits_are_ignored_and_slots_outside_the_subnet_refused()
    {
        var a = new SlotAddressing("10.9.8.77/24", "abc123");
        Assert.Equal("10.9.8.0/24", a.Subnet);
        Assert.Equal(64, a.Capacity);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.For(64));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.For(-1));
    }
}
