using System.Text.Json.Nodes;
using Hive.Runtime.Oci;

namespace Hive.Runtime.Tests;

public class OciSpecBuilderTests
{
    private static readonly ContainerSpec Spec = new()
    {
        Hostname = "box",
        RootFs = "/h/sandboxes/box/bundle/rootfs",
        Args = ["/bin/sh"],
        Env = ["PATH=/bin", "HIVE_SANDBOX=box"],
        Cwd = "/workspace",
        Uid = 1000,
        Gid = 1000,
        NetworkNamespacePath = "/var/run/netns/hive-abc123-0",
        CgroupsPath = "/hive-abc123/box",
        Binds = [new BindMount("/h/volumes/box-workspace", "/workspace", false), new BindMount("/srv/ref", "/ref", true)],
        Cpus = 1.5,
        MemoryMb = 512,
        Pids = 64,
    };

    private static readonly JsonObject Config = OciSpecBuilder.Build(Spec);

    private static List<string> Strings(JsonNode? n) => n!.AsArray().Select(x => (string)x!).ToList();

    [Fact]
    public void Process_has_no_capabilities_and_no_new_privileges()
    {
        var process = Config["process"]!;
        Assert.Equal(1000, (int)process["user"]!["uid"]!);
        Assert.True((bool)process["noNewPrivileges"]!);
        foreach (var set in new[] { "bounding", "effective", "inheritable", "permitted", "ambient" })
            Assert.Empty(process["capabilities"]![set]!.AsArray());
    }

    [Fact]
    public void Namespaces_include_the_prepared_network_namespace_and_no_user_namespace()
    {
        var ns = Config["linux"]!["namespaces"]!.AsArray().Select(n => ((string)n!["type"]!, (string?)n["path"])).ToList();
        Assert.Contains(("network", "/var/run/netns/hive-abc123-0"), ns);
        foreach (var t in new[] { "pid", "ipc", "uts", "mount", "cgroup" }) Assert.Contains(ns, n => n.Item1 == t);
        Assert.DoesNotContain(ns, n => n.Item1 == "user");
    }

    [Fact]
    public void Resources_become_cgroup_limits()
    {
        var r = Config["linux"]!["resources"]!;
        Assert.Equal(150_000, (long)r["cpu"]!["quota"]!);
        Assert.Equal(100_000, (long)r["cpu"]!["period"]!);
        Assert.Equal(512L * 1024 * 1024, (long)r["memory"]!["limit"]!);
        Assert.Equal((long)r["memory"]!["limit"]!, (long)r["memory"]!["swap"]!);
        Assert.Equal(64, (int)r["pids"]!["limit"]!);
        Assert.False((bool)r["devices"]![0]!["allow"]!);
    }

    [Fact]
    public void Proc_is_masked_and_sensitive_paths_read_only()
    {
        var masked = Strings(Config["linux"]!["maskedPaths"]);
        Assert.Contains("/proc/kcore", masked);
        Assert.Contains("/proc/keys", masked);
        Assert.Contains("/sys/firmware", masked);
        Assert.Contains("/proc/sys", Strings(Config["linux"]!["readonlyPaths"]));
    }

    [Fact]
    public void Binds_are_nosuid_nodev_slave_and_honour_read_only()
    {
        var mounts = Config["mounts"]!.AsArray();
        JsonNode Mount(string dest) => mounts.Single(m => (string)m!["destination"]! == dest)!;
        var opts = Strings(Mount("/workspace")["options"]);
        foreach (var o in new[] { "rbind", "rslave", "nosuid", "nodev", "rw" }) Assert.Contains(o, opts);
        Assert.Contains("ro", Strings(Mount("/ref")["options"]));
        Assert.Contains("ro", Strings(Mount("/sys")["options"]));
    }

    [Fact]
    public void Seccomp_refuses_escape_syscalls_and_namespace_creation()
    {
        var seccomp = Config["linux"]!["seccomp"]!;
        Assert.Equal("SCMP_ACT_ALLOW", (string)seccomp["defaultAction"]!);
        var rules = seccomp["syscalls"]!.AsArray();
        var denied = rules.Where(s => (string)s!["action"]! == "SCMP_ACT_ERRNO" && s["args"] is null)
            .SelectMany(s => Strings(s!["names"])).ToHashSet();
        foreach (var call in new[] { "mount", "umount2", "unshare", "setns", "ptrace", "bpf", "keyctl", "init_module", "kexec_load", "open_by_handle_at", "clone3", "userfaultfd", "io_uring_setup" })
            Assert.Contains(call, denied);
        var cloneRules = rules.Where(s => (string)s!["names"]![0]! == "clone" && s["args"] is not null).ToList();
        Assert.Equal(7, cloneRules.Count); // one per namespace flag: NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
        Assert.Contains(cloneRules, r => (ulong)r!["args"]![0]!["value"]! == 0x10000000);
    }
}
