using System.Text.Json.Nodes;

namespace Hive.Runtime.Oci;

/// <summary>
/// The sandbox's seccomp profile: allow by default, refuse the calls that only serve to attack the
/// kernel or escape (module loading, mount, namespaces, keyrings, bpf, ptrace of others...). The agent
/// already runs without capabilities; this removes the kernel surface that an unprivileged process
/// could still reach (user namespaces above all).
/// </summary>
internal static class Seccomp
{
    private const int EPERM = 1;
    private const int ENOSYS = 38;

    private static readonly string[] Denied =
    [
        "acct", "add_key", "bpf", "delete_module", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick",
        "init_module", "ioperm", "iopl", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie",
        "mount", "mount_setattr", "move_mount", "name_to_handle_at", "open_by_handle_at", "open_tree",
        "perf_event_open", "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace", "quotactl",
        "quotactl_fd", "reboot", "request_key", "setns", "swapoff", "swapon", "syslog", "umount2",
        "unshare", "userfaultfd", "vhangup", "clock_adjtime", "clock_settime", "settimeofday", "adjtimex",
        "nfsservctl", "uselib", "create_module", "get_kernel_syms", "query_module", "kcmp", "personality",
        "fanotify_init", "io_uring_setup", "io_uring_enter", "io_uring_register",
    ];

    // clone(2) flags that create namespaces; refusing them keeps the agent inside ours.
    private static readonly ulong[] NamespaceFlags =
        [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];

    public static JsonObject Profile()
    {
        var syscalls = new JsonArray
        {
            new JsonObject { ["names"] = Names(Denied), ["action"] = "SCMP_ACT_ERRNO", ["errnoRet"] = EPERM },
            // clone3 passes flags in a struct seccomp cannot read: make libc fall back to clone.
            new JsonObject { ["names"] = Names(["clone3"]), ["action"] = "SCMP_ACT_ERRNO", ["errnoRet"] = ENOSYS },
        };
        foreach (var flag in NamespaceFlags)
        {
            syscalls.Add(new JsonObject
            {
                ["names"] = Names(["clone"]),
                ["action"] = "SCMP_ACT_ERRNO",
                ["errnoRet"] = EPERM,
                ["args"] = new JsonArray(new JsonObject { ["index"] = 0, ["value"] = flag, ["valueTwo"] = flag, ["op"] = "SCMP_CMP_MASKED_EQ" }),
            });
        }
        return new JsonObject
        {
            ["defaultAction"] = "SCMP_ACT_ALLOW",
            ["architectures"] = Names(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
            ["syscalls"] = syscalls,
        };
    }

    private static JsonArray Names(IEnumerable<string> names)
    {
        var a = new JsonArray();
        foreach (var n in names) a.Add(n);
        return a;
    }
}
