using Xunit.Abstractions;

namespace Hive.Files.Tests;

/// <summary>
/// The serving loop's allocations, counted process-wide: alone in its collection, run after the parallel ones, so no
/// other test's allocations land in the count.
/// </summary>
[Collection("alone")]
public class HotPathAllocationTests(ITestOutputHelper output)
{
    [Fact]
    public void The_hot_path_does_not_allocate()
    {
        // Lookups, getattr, reads and writes of known files: nothing on the GC heap per request.
        using var f = new FuseFixture(options: new FuseOptions { AttrTimeout = TimeSpan.Zero, EntryTimeout = TimeSpan.Zero, Passthrough = false });
        f.Sh("mkdir -p a/b && head -c 65536 /dev/urandom > a/b/f").AssertOk();
        const string program = """
fd = os.open('a/b/f', os.O_RDWR)
for i in range(3000):
    os.stat('a/b/f')
    os.pread(fd, 4096, (i % 16) * 4096)
    os.pwrite(fd, b'y' * 512, (i % 16) * 4096)
os.close(fd)
""";
        f.Python(program).AssertOk(); // warm up: JIT, tiering, node table
        var before = GC.GetTotalAllocatedBytes(precise: true);
        f.Python("fd = os.open('a/b/f', os.O_RDWR); os.close(fd)").AssertOk();
        var baseline = GC.GetTotalAllocatedBytes(precise: true) - before; // starting the child, one open and release
        before = GC.GetTotalAllocatedBytes(precise: true);
        f.Python(program).AssertOk();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before - baseline;
        // ~4 requests per round (lookup, getattr, read, write) x 3000 = 12,000 requests.
        output.WriteLine($"allocated {allocated} bytes beyond the baseline ({baseline}) for 12,000 requests");
        // The count is process-wide, so timers, the thread pool and the other tests' leftovers add a few tens of KB.
        // The smallest heap object is 24 bytes: anything allocated on every request (or on every third) passes 96,000.
        Assert.True(allocated < 96_000, $"allocated {allocated} bytes beyond the baseline ({baseline}) for 12,000 requests");
    }
}

[CollectionDefinition("alone", DisableParallelization = true)]
public sealed class AloneCollection;
