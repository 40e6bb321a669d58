namespace Hive.Files.Tests;

/// <summary>
/// Which FUSE transport the tests use: /dev/fuse reads, or io_uring when <c>HIVE_TEST_FUSE_TRANSPORT=io_uring</c>
/// (scripts/test.sh runs the Files tests once on each).
/// </summary>
public static class FuseTransport
{
    public const string Variable = "HIVE_TEST_FUSE_TRANSPORT";
    private const string EnableUring = "/sys/module/fuse/parameters/enable_uring";

    public static bool IoUring => Environment.GetEnvironmentVariable(Variable) is "io_uring";

    /// <summary>The options every fixture starts from.</summary>
    public static FuseOptions Apply(FuseOptions options)
    {
        if (!IoUring || options.IoUring) return options with { IoUring = options.IoUring || IoUring };
        RequireIoUring();
        return options with { IoUring = true };
    }

    /// <summary>Turns the fuse module's enable_uring on (the kernel offers io_uring only then); fails clearly when it cannot.</summary>
    public static void RequireIoUring()
    {
        if (!File.Exists(EnableUring))
            throw new InvalidOperationException($"{EnableUring} does not exist: this kernel has no FUSE over io_uring (6.14+, CONFIG_FUSE_IO_URING)");
        if (File.ReadAllText(EnableUring).Trim() != "Y") File.WriteAllText(EnableUring, "Y");
    }
}
