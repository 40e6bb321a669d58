using System.Text.Json.Nodes;

namespace Hive.Runtime.Oci;

/// <summary>Generates the OCI runtime config.json of a sandbox: locked down by default.</summary>
public static class OciSpecBuilder
{
    private static readonly string[] MaskedPaths =
    [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/proc/sysrq-trigger", "/sys/firmware",
        "/sys/devices/virtual/powercap", "/proc/interrupts", "/proc/kallsyms",
    ];

    private static readonly string[] ReadonlyPaths =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys"];

    public static JsonObject Build(ContainerSpec spec)
    {
        var mounts = new JsonArray
        {
            Mount("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
            Mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            Mount("/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            Mount("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            Mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
            Mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]),
            Mount("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", "ro"]),
            Mount("/tmp", "tmpfs", "tmpfs", ["nosuid", "nodev", "mode=1777", "size=1048576k"]),
        };
        foreach (var b in spec.Binds)
            mounts.Add(Mount(b.Destination, "bind", b.Source, ["rbind", "rslave", "nosuid", "nodev", b.ReadOnly ? "ro" : "rw"]));

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = spec.Uid, ["gid"] = spec.Gid },
                ["args"] = Strings(spec.Args),
                ["env"] = Strings(spec.Env),
                ["cwd"] = spec.Cwd,
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = Strings(spec.Capabilities), ["effective"] = Strings(spec.Capabilities), ["inheritable"] = new JsonArray(),
                    ["permitted"] = Strings(spec.Capabilities), ["ambient"] = new JsonArray(),
                },
                ["noNewPrivileges"] = true,
                // The common Linux default (soft 1024, a high hard limit): programs that want more descriptors raise their own soft limit.
                ["rlimits"] = new JsonArray
                {
                    new JsonObject { ["type"] = "RLIMIT_NOFILE", ["soft"] = Math.Min(1024UL, spec.OpenFilesHard), ["hard"] = spec.OpenFilesHard },
                },
            },
            ["root"] = new JsonObject { ["path"] = spec.RootFs, ["readonly"] = false },
            ["hostname"] = spec.Hostname,
            ["mounts"] = mounts,
            ["linux"] = new JsonObject
            {
                ["cgroupsPath"] = spec.CgroupsPath,
                ["resources"] = Resources(spec.Cpus, spec.MemoryMb, spec.Pids),
                ["namespaces"] = new JsonArray
                {
                    new JsonObject { ["type"] = "pid" },
                    new JsonObject { ["type"] = "network", ["path"] = spec.NetworkNamespacePath },
                    new JsonObject { ["type"] = "ipc" },
                    new JsonObject { ["type"] = "uts" },
                    new JsonObject { ["type"] = "mount" },
                    new JsonObject { ["type"] = "cgroup" },
                },
                ["maskedPaths"] = Strings(MaskedPaths),
                ["readonlyPaths"] = Strings(ReadonlyPaths),
                ["seccomp"] = Seccomp.Profile(),
                ["rootfsPropagation"] = "rslave",
            },
        };
    }

    /// <summary>The cgroup limits, also used by <c>runc update</c> when resources change live.</summary>
    public static JsonObject Resources(double cpus, int memoryMb, int pids)
    {
        const long period = 100_000;
        var memory = (long)memoryMb * 1024 * 1024;
        return new JsonObject
        {
            ["devices"] = new JsonArray(new JsonObject { ["allow"] = false, ["access"] = "rwm" }),
            ["memory"] = new JsonObject { ["limit"] = memory, ["swap"] = memory },
            ["cpu"] = new JsonObject { ["quota"] = (long)Math.Round(cpus * period), ["period"] = period },
            ["pids"] = new JsonObject { ["limit"] = pids },
        };
    }

    private static JsonObject Mount(string destination, string type, string source, string[] options) => new()
    {
        ["destination"] = destination,
        ["type"] = type,
        ["source"] = source,
        ["options"] = Strings(options),
    };

    private static JsonArray Strings(IEnumerable<string> values)
    {
        var a = new JsonArray();
        foreach (var v in values) a.Add(v);
        return a;
    }
}
