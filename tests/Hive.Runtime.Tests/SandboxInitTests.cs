using System.Text;
using System.Text.Json.Nodes;
using Hive.Runtime.Host;
using Hive.Runtime.Oci;

namespace Hive.Runtime.Tests;

public class SandboxInitTests
{
    private static readonly ContainerSpec Spec = new()
    {
        Hostname = "box",
        RootFs = "/h/sandboxes/box/bundle/rootfs",
        Args = ["/usr/bin/tini", "-s", "--", "/bin/sh", "-c", "sleep infinity"],
        Env = ["PATH=/bin"],
        Cwd = "/",
        Uid = 1000,
        Gid = 1001,
        NetworkNamespacePath = "/var/run/netns/n",
        CgroupsPath = "/hive/box",
        Binds = [new BindMount("/h/volumes/w", "/workspace", false)],
        Cpus = 1,
        MemoryMb = 512,
        Pids = 64,
    };

    private static SandboxInit Init()
    {
        var binary = Path.Combine(Path.GetTempPath(), $"hive-init-test-{Guid.NewGuid():N}");
        File.WriteAllText(binary, "");
        return new SandboxInit(binary);
    }

    [Fact]
    public void Wrapped_spec_runs_hive_init_as_root_with_four_capabilities_and_the_image_command_as_the_image_user()
    {
        var init = Init();
        var wrapped = init.Wrap(Spec, "/h/sandboxes/box/init");
        Assert.Equal((0, 0), (wrapped.Uid, wrapped.Gid));
        Assert.Equal(["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_KILL"], wrapped.Capabilities);
        Assert.Equal([SandboxInit.SandboxPath, "--socket", "/run/hive-init/ctl.sock", "--uid", "1000", "--gid", "1001", "--", .. Spec.Args], wrapped.Args);
        Assert.Contains(new BindMount(init.Binary!, SandboxInit.SandboxPath, ReadOnly: true), wrapped.Binds);
        Assert.Contains(new BindMount("/h/sandboxes/box/init", SandboxInit.ControlDir, ReadOnly: false), wrapped.Binds);
        Assert.Contains(Spec.Binds[0], wrapped.Binds);
        File.Delete(init.Binary!);
    }

    [Fact]
    public void Oci_config_gives_the_capabilities_as_bounding_effective_and_permitted_only()
    {
        var init = Init();
        var caps = OciSpecBuilder.Build(init.Wrap(Spec, "/c"))["process"]!["capabilities"]!;
        foreach (var set in new[] { "bounding", "effective", "permitted" })
            Assert.Equal(SandboxInit.Capabilities, caps[set]!.AsArray().Select(c => (string)c!));
        Assert.Empty(caps["inheritable"]!.AsArray());
        Assert.Empty(caps["ambient"]!.AsArray());
        Assert.True((bool)OciSpecBuilder.Build(init.Wrap(Spec, "/c"))["process"]!["noNewPrivileges"]!);
        File.Delete(init.Binary!);
    }

    [Fact]
    public void Without_a_binary_there_is_nothing_to_wrap_with()
    {
        var init = new SandboxInit("/nonexistent/hive-init");
        Assert.Null(init.Binary);
        Assert.Throws<InvalidOperationException>(() => init.Wrap(Spec, "/c"));
    }
}

public class InitFramesTests
{
    private static ExecSpec Exec(IReadOnlyList<string> command, string? cwd = "/w", IReadOnlyDictionary<string, string>? env = null) =>
        new(command, cwd, env, null, null, 1000, 1000);

    private static string[] Fields(byte[] frame)
    {
        var (type, length) = InitFrames.ReadHeader(frame);
        Assert.Equal(InitFrames.Request, type);
        Assert.Equal(frame.Length - InitFrames.HeaderSize, length);
        Assert.Equal(0, frame[^1]);
        return Encoding.UTF8.GetString(frame, InitFrames.HeaderSize, length - 1).Split('\0');
    }

    [Fact]
    public void Request_carries_user_cwd_argv_then_env()
    {
        var frame = InitFrames.EncodeRequest(Exec(["sh", "-c", "echo é"], env: new Dictionary<string, string> { ["A"] = "1=2", ["B"] = "" }));
        Assert.Equal(["1000", "1000", "/w", "3", "sh", "-c", "echo é", "A=1=2", "B="], Fields(frame));
    }

    [Fact]
    public void No_cwd_is_an_empty_field()
    {
        Assert.Equal(["1000", "1000", "", "1", "true"], Fields(InitFrames.EncodeRequest(Exec(["true"], cwd: null))));
    }

    [Theory]
    [InlineData("a\0b", null, null)]
    [InlineData("true", "/w\0/x", null)]
    [InlineData("true", null, "v\0x")]
    public void Nul_anywhere_is_refused_rather_than_shifting_the_fields(string arg, string? cwd, string? value)
    {
        var env = value is null ? null : new Dictionary<string, string> { ["K"] = value };
        var e = Assert.Throws<ArgumentException>(() => InitFrames.EncodeRequest(Exec([arg], cwd, env)));
        Assert.Contains("NUL", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("A=B")]
    public void Env_name_must_be_a_name(string name)
    {
        Assert.Throws<ArgumentException>(() => InitFrames.EncodeRequest(Exec(["true"], env: new Dictionary<string, string> { [name] = "x" })));
    }

    [Fact]
    public void Empty_command_is_refused()
    {
        Assert.Throws<ArgumentException>(() => InitFrames.EncodeRequest(Exec([])));
    }

    [Fact]
    public void Header_round_trips_little_endian()
    {
        var header = new byte[InitFrames.HeaderSize];
        InitFrames.WriteHeader(header, InitFrames.Stdin, 0x01020304);
        Assert.Equal(new byte[] { (byte)'I', 4, 3, 2, 1 }, header);
        Assert.Equal((InitFrames.Stdin, 0x01020304), InitFrames.ReadHeader(header));
    }
}
