using System.Collections.Concurrent;
using System.Net;
using Hive.Core.Egress;

namespace Hive.Core.Tests.Egress;

public class SyntheticAddressPoolTests
{
    private static SyntheticAddressPool Pool(string cidr, int? capacity = null, params string[] excluded) =>
        new(IPNetwork.Parse(cidr), excluded.Select(IPAddress.Parse), capacity);

    [Fact]
    public void ANameKeepsItsAddress()
    {
        var pool = Pool("198.18.0.0/16");
        var a = pool.GetOrAssign("api.github.com");
        var b = pool.GetOrAssign("example.com");
        Assert.NotEqual(a, b);
        Assert.Equal(a, pool.GetOrAssign("api.github.com"));
        Assert.Equal(a, pool.GetOrAssign("API.GitHub.com"));
        Assert.Equal(b, pool.GetOrAssign("example.com"));
        Assert.Equal(2, pool.Count);
        Assert.Equal("198.18.0.1", a.ToString());
        Assert.Equal("198.18.0.2", b.ToString());
        Assert.Equal(IPAddress.Parse("198.18.0.1"), a.ToIPAddress());
    }

    [Fact]
    public void ReverseLookups()
    {
        var pool = Pool("198.18.0.0/16");
        var a = pool.GetOrAssign("api.github.com");
        Assert.True(pool.TryGetName(a, out var name));
        Assert.Equal("api.github.com", name);
        Assert.True(pool.TryGetName(IPAddress.Parse("198.18.0.1"), out name));
        Assert.Equal("api.github.com", name);
        Assert.True(pool.TryGetName(IPAddress.Parse("::ffff:198.18.0.1"), out name));
        Assert.Equal("api.github.com", name);
        Assert.True(pool.TryGetName([198, 18, 0, 1], out name));
        Assert.Equal("api.github.com", name);
        Assert.False(pool.TryGetName(IPAddress.Parse("198.18.0.2"), out _));
        Assert.False(pool.TryGetName(IPAddress.Parse("10.0.0.1"), out _));
        Assert.False(pool.TryGetName(IPAddress.Parse("2001:db8::1"), out _));
        Assert.False(pool.TryGetName([1, 2, 3], out _));
        Assert.True(pool.TryGetAddress("api.github.com", out var again));
        Assert.Equal(a, again);
        Assert.False(pool.TryGetAddress("unknown.test", out _));
        Assert.True(pool.Contains(IPAddress.Parse("198.18.200.3")));
        Assert.False(pool.Contains(IPAddress.Parse("198.20.0.1")));
    }

    [Fact]
    public void SkipsNetworkBroadcastAndExcludedAddresses()
    {
        var pool = Pool("10.9.0.0/29", null, "10.9.0.1", "10.9.0.4", "192.0.2.1");
        Assert.Equal(4, pool.Capacity); // .1-.6 usable, .1 and .4 excluded
        var addresses = new[] { "a.test", "b.test", "c.test", "d.test" }.Select(n => pool.GetOrAssign(n).ToString()).ToArray();
        Assert.Equal(["10.9.0.2", "10.9.0.3", "10.9.0.5", "10.9.0.6"], addresses);
    }

    [Fact]
    public void RecyclesTheLeastRecentlyUsedWhenFull()
    {
        var pool = Pool("10.9.0.0/29"); // 6 usable addresses
        Assert.Equal(6, pool.Capacity);
        var first = new Dictionary<string, SyntheticAddress>();
        foreach (var n in new[] { "n1", "n2", "n3", "n4", "n5", "n6" }) first[n] = pool.GetOrAssign(n);
        Assert.Equal(6, first.Values.Distinct().Count());

        // Use n1 (by DNS) and n2 (by the proxy's reverse lookup): n3 is now the least recently used.
        pool.GetOrAssign("n1");
        Assert.True(pool.TryGetName(first["n2"], out _));

        var n7 = pool.GetOrAssign("n7");
        Assert.Equal(first["n3"], n7);
        Assert.False(pool.TryGetAddress("n3", out _));
        Assert.True(pool.TryGetName(n7, out var owner));
        Assert.Equal("n7", owner);
        Assert.Equal(6, pool.Count);

        var n8 = pool.GetOrAssign("n8");
        Assert.Equal(first["n4"], n8);
        Assert.Equal(first["n1"], pool.GetOrAssign("n1"));
        Assert.Equal(first["n2"], pool.GetOrAssign("n2"));

        // a recycled name comes back with whatever address is least recently used
        var n3 = pool.GetOrAssign("n3");
        Assert.Equal(first["n5"], n3);
    }

    [Fact]
    public void CapacityCanBeSmallerThanThePool()
    {
        var pool = Pool("198.18.0.0/16", capacity: 2);
        var a = pool.GetOrAssign("a");
        pool.GetOrAssign("b");
        Assert.Equal(a, pool.GetOrAssign("c"));
        Assert.Equal(2, pool.Count);
    }

    [Theory]
    [InlineData("10.0.0.0/31", 2)]
    [InlineData("10.0.0.1/32", 1)]
    [InlineData("10.0.0.0/30", 2)]
    [InlineData("10.0.0.0/20", 4094)]
    [InlineData("10.0.0.0/16", 65534)]
    [InlineData("10.0.0.0/8", (1 << 24) - 2)]
    [InlineData("0.0.0.0/0", 1 << 24)]
    public void Capacities(string cidr, int capacity) => Assert.Equal(capacity, Pool(cidr).Capacity);

    [Fact]
    public void UsesTheTopOfTheAddressSpace()
    {
        var pool = Pool("255.255.255.254/31");
        Assert.Equal("255.255.255.254", pool.GetOrAssign("a").ToString());
        Assert.Equal("255.255.255.255", pool.GetOrAssign("b").ToString());
        Assert.Equal("255.255.255.254", pool.GetOrAssign("c").ToString());
    }

    [Fact]
    public void RejectsUnusablePools()
    {
        Assert.Throws<ArgumentException>(() => Pool("2001:db8::/64"));
        Assert.Throws<ArgumentException>(() => Pool("10.0.0.1/32", null, "10.0.0.1"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pool("10.0.0.0/24", 0));
        Assert.Throws<ArgumentException>(() => Pool("10.0.0.0/24").GetOrAssign(""));
    }

    [Fact]
    public void ClearStartsOver()
    {
        var pool = Pool("10.0.0.0/24");
        pool.GetOrAssign("a");
        pool.GetOrAssign("b");
        pool.Clear();
        Assert.Equal(0, pool.Count);
        Assert.False(pool.TryGetName(IPAddress.Parse("10.0.0.1"), out _));
        Assert.Equal("10.0.0.1", pool.GetOrAssign("b").ToString());
    }

    [Fact]
    public void WritesRecordBytes()
    {
        var address = Pool("198.18.0.0/16").GetOrAssign("a");
        Span<byte> bytes = stackalloc byte[4];
        Assert.True(address.TryWriteBytes(bytes));
        Assert.Equal(new byte[] { 198, 18, 0, 1 }, bytes.ToArray());
        Assert.False(address.TryWriteBytes(stackalloc byte[3]));
    }

    [Fact]
    public void LookupsDoNotAllocate()
    {
        var pool = Pool("198.18.0.0/16");
        var names = Enumerable.Range(0, 100).Select(i => $"host{i}.example.com").ToArray();
        var addresses = names.Select(pool.GetOrAssign).ToArray();
        var ips = addresses.Select(a => a.ToIPAddress()).ToArray();
        pool.TryGetName(ips[0], out _);
        Assert.Equal(0, Allocations.Quietest(() =>
        {
            for (var i = 0; i < 100_000; i++)
            {
                var k = i % names.Length;
                if (pool.GetOrAssign(names[k]) != addresses[k]) throw new InvalidOperationException();
                if (!pool.TryGetName(ips[k], out var name) || !ReferenceEquals(name, names[k])) throw new InvalidOperationException();
                if (!pool.TryGetName(addresses[k], out _)) throw new InvalidOperationException();
            }
        }));
    }

    [Fact]
    public void StaysConsistentUnderConcurrency()
    {
        var pool = Pool("10.0.0.0/22"); // 1022 addresses for 1500 names: recycling under contention
        var names = Enumerable.Range(0, 1500).Select(i => $"n{i}.test").ToArray();
        var errors = new ConcurrentQueue<string>();
        Parallel.For(0, 16, worker =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 20_000; i++)
            {
                var name = names[random.Next(worker % 2 == 0 ? 1000 : names.Length)];
                var address = pool.GetOrAssign(name);
                if (!pool.Contains(address.ToIPAddress())) errors.Enqueue($"{address} outside the pool");
                // No round-trip check here: between two separate reads another thread may legitimately recycle
                // the address and give the name a new one. Consistency is checked below, once all threads are done.
            }
        });
        Assert.Empty(errors);
        Assert.True(pool.Count <= pool.Capacity);

        // Afterwards every mapping is a bijection.
        var seen = new Dictionary<SyntheticAddress, string>();
        foreach (var name in names)
        {
            if (!pool.TryGetAddress(name, out var address)) continue;
            Assert.True(pool.TryGetName(address, out var owner));
            Assert.Equal(name, owner);
            Assert.True(seen.TryAdd(address, name), $"{address} mapped twice");
        }
        Assert.Equal(pool.Count, seen.Count);
    }

    [Fact]
    public void ConcurrentRequestsForOneNameGetOneAddress()
    {
        var pool = Pool("10.0.0.0/16");
        var results = new ConcurrentBag<SyntheticAddress>();
        Parallel.For(0, 64, _ => results.Add(pool.GetOrAssign("same.test")));
        Assert.Single(results.Distinct());
        Assert.Equal(1, pool.Count);
    }
}
