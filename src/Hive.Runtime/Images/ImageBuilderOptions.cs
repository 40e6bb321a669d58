namespace Hive.Runtime.Images;

/// <summary>Where the builders find their tools; tests point these at fakes.</summary>
internal sealed record ImageBuilderOptions
{
    public static ImageBuilderOptions Default { get; } = new();

    /// <summary>The host's static busybox (package busybox-static).</summary>
    public string BusyboxPath { get; init; } = "/bin/busybox";

    /// <summary>debootstrap executable; a bare name is looked up in PATH and the sbin directories.</summary>
    public string Debootstrap { get; init; } = "debootstrap";

    /// <summary>Debian mirror; null reads the host's APT sources and falls back to deb.debian.org.</summary>
    public string? Mirror { get; init; }

    public string Suite { get; init; } = "bookworm";
}

/// <summary>Builds one image's rootfs into a fresh directory and says how the image starts.</summary>
internal interface IImageBuilder
{
    /// <summary>Fills <paramref name="rootfs"/> (which does not exist yet). The store fills in name, time and size.</summary>
    Task<ImageManifest> BuildAsync(string rootfs, IProgress<ImageProgress> progress, CancellationToken ct);
}

/// <summary>What every Hive-built image shares.</summary>
internal static class HiveImageDefaults
{
    /// <summary>PID 1 until a real init is chosen: sleeps, and exits 0 on TERM or INT so stops are quick.</summary>
    public static readonly string[] SleeperCmd =
        ["/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"];

    public const string Path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    public const string Home = "HOME=/home/agent";
    public const string WorkingDir = "/workspace";
    public const string AgentUser = "1000:1000";

    public const string Hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
}

/// <summary>Wraps the caller's progress so the fraction never goes backwards, whatever a builder reports.</summary>
internal sealed class MonotonicProgress(IProgress<ImageProgress>? inner) : IProgress<ImageProgress>
{
    private readonly Lock _gate = new();
    private double _fraction;

    public void Report(ImageProgress value)
    {
        if (inner is null) return;
        lock (_gate)
        {
            _fraction = Math.Max(_fraction, Math.Clamp(value.Fraction, 0, 1));
            value = value with { Fraction = _fraction };
        }
        inner.Report(value);
    }
}
