using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Hive.Runtime.Images;

namespace Hive.Runtime.Tests;

/// <summary>
/// <c>hive image import</c>: archives written by the test with TarWriter, in both layouts, imported into a fresh
/// store and checked file by file; hostile archives refused with nothing left behind.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ImageImportTests : IDisposable
{
    private const string Name = "acme/app";
    private readonly TempDir _temp = new("hive-import-test");
    private readonly ImageStore _store;

    public ImageImportTests()
    {
        Root.Require();
        _store = new ImageStore(_temp.Combine("images"));
        Directory.CreateDirectory(_temp.Combine("archives"));
    }

    public void Dispose() => _temp.Dispose();

    private static readonly JsonObject Config = new()
    {
        ["architecture"] = "amd64",
        ["os"] = "linux",
        ["config"] = new JsonObject
        {
            ["Entrypoint"] = new JsonArray("/bin/tool", "--serve"),
            ["Cmd"] = new JsonArray("--port", "8080"),
            ["Env"] = new JsonArray("PATH=/usr/bin:/bin", "MODE=prod"),
            ["WorkingDir"] = "/srv",
            ["User"] = "app",
            ["ExposedPorts"] = new JsonObject { ["9090/udp"] = new JsonObject(), ["8080/tcp"] = new JsonObject() },
        },
    };

    private static byte[] LowerLayer() => new Layer()
        .Dir("etc").File("etc/keep", "v1").File("etc/gone", "bye")
        .Symlink("etc/resolv.conf", "../run/systemd/resolve/stub-resolv.conf")
        .Dir("bin").File("bin/tool", "#!tool", mode: "4755").HardLink("bin/tool2", "bin/tool").Symlink("bin/sh", "tool")
        .Symlink("etc/abs", "/etc/keep")
        .Dir("data").File("data/old1", "old").Dir("data/sub").File("data/sub/old2", "old")
        .Dir("home").Dir("home/agent", uid: 1000, gid: 1000, mode: "2750").File("home/agent/notes", "mine", mode: "600", uid: 1000, gid: 1000)
        .Dir("usr").Dir("usr/lib").Symlink("lib", "usr/lib")
        .Bytes();

    private static byte[] UpperLayer() => new Layer()
        .Dir("etc").File("etc/.wh.gone", "").File("etc/keep", "v2")
        .Dir("data").File("data/new", "fresh").File("data/.wh..wh..opq", "")
        .File("lib/libx.so", "elf") // through the in-image symlink lib -> usr/lib
        .Bytes();

    [Fact]
    public async Task Docker_save_archive_is_applied_layer_by_layer()
    {
        var archive = DockerArchive(Config, LowerLayer(), UpperLayer());
        var progress = new SyncProgress();

        var info = await _store.ImportAsync(Name, archive, progress, CancellationToken.None);

        var rootfs = info.RootFs;
        Assert.Equal(_temp.Combine("images", "acme_app", "rootfs"), rootfs);
        string At(string p) => Path.Combine(rootfs, p);

        Assert.Equal("v2", File.ReadAllText(At("etc/keep")));
        Assert.False(Exists(At("etc/gone")), "whiteout removed etc/gone");
        Assert.Equal(["new"], Directory.GetFileSystemEntries(At("data")).Select(Path.GetFileName));
        Assert.Equal("fresh", File.ReadAllText(At("data/new")));

        Assert.Equal((0, 0, "755"), Host.Stat(At("bin/tool"))); // setuid dropped
        Assert.Equal(Host.Run("stat", "-c", "%i %h", At("bin/tool")), Host.Run("stat", "-c", "%i %h", At("bin/tool2")));
        Assert.Contains(" 2", Host.Run("stat", "-c", "%i %h", At("bin/tool")));
        Assert.Equal("tool", new FileInfo(At("bin/sh")).LinkTarget);
        Assert.Equal("/etc/keep", new FileInfo(At("etc/abs")).LinkTarget);

        Assert.Equal((1000, 1000, "750"), Host.Stat(At("home/agent"))); // setgid dropped, owner kept
        Assert.Equal((1000, 1000, "600"), Host.Stat(At("home/agent/notes")));

        Assert.Equal("usr/lib", new FileInfo(At("lib")).LinkTarget);
        Assert.Equal("elf", File.ReadAllText(At("usr/lib/libx.so")));

        // Runtime files: resolv.conf is a plain file now, not the image's dangling symlink.
        Assert.Null(new FileInfo(At("etc/resolv.conf")).LinkTarget);
        Assert.Equal("", File.ReadAllText(At("etc/resolv.conf")));
        Assert.Contains("localhost", File.ReadAllText(At("etc/hosts")));
        foreach (var dir in new[] { "dev", "proc", "sys", "tmp" }) Assert.True(Directory.Exists(At(dir)), dir);
        Assert.Equal("1777", Host.Stat(At("tmp")).Mode);

        Assert.Equal(
            ["bin", "data", "dev", "etc", "home", "lib", "proc", "sys", "tmp", "usr"],
            Directory.GetFileSystemEntries(rootfs).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["abs", "hosts", "keep", "resolv.conf"],
            Directory.GetFileSystemEntries(At("etc")).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        AssertConfigKept(info);
        AssertConfigKept(_store.Find(Name)!);
        Assert.Contains(progress.Reports, r => r.Stage == "layer 1/2");
        Assert.Contains(progress.Reports, r => r.Stage == "layer 2/2");
        Assert.Equal(1.0, progress.Reports[^1].Fraction);
        AssertOnlyImage("acme_app");
    }

    [Fact]
    public async Task Oci_layout_with_a_gzip_layer()
    {
        var lower = new Layer().Dir("srv").File("srv/index.html", "hello").Dir("opt").File("opt/a", "a").Bytes();
        var upper = new Layer().File("opt/.wh.a", "").File("srv/app.py", "print()", mode: "755", uid: 10, gid: 20).Bytes();
        var archive = OciArchive(Config, (Gzip(lower), "application/vnd.oci.image.layer.v1.tar+gzip"), (upper, "application/vnd.oci.image.layer.v1.tar"));

        var info = await _store.ImportAsync(Name + ":latest", archive, null, CancellationToken.None);

        Assert.Equal("hello", File.ReadAllText(Path.Combine(info.RootFs, "srv/index.html")));
        Assert.Equal((10, 20, "755"), Host.Stat(Path.Combine(info.RootFs, "srv/app.py")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(info.RootFs, "opt")));
        AssertConfigKept(info);
        AssertOnlyImage("acme_app");
    }

    [Fact]
    public async Task Oci_index_pointing_at_a_platform_index_picks_this_machine()
    {
        var layer = new Layer().File("hello", "world").Bytes();
        var archive = OciArchive(Config, nestedIndex: true, (layer, "application/vnd.oci.image.layer.v1.tar"));

        var info = await _store.ImportAsync(Name, archive, null, CancellationToken.None);

        Assert.Equal("world", File.ReadAllText(Path.Combine(info.RootFs, "hello")));
        AssertConfigKept(info);
    }

    [Fact]
    public async Task Import_replaces_an_existing_image_of_that_name()
    {
        await _store.ImportAsync(Name, DockerArchive(Config, new Layer().File("first", "1").Bytes()), null, CancellationToken.None);
        var info = await _store.ImportAsync(Name, DockerArchive(Config, new Layer().File("second", "2").Bytes()), null, CancellationToken.None);

        Assert.False(Exists(Path.Combine(info.RootFs, "first")));
        Assert.True(File.Exists(Path.Combine(info.RootFs, "second")));
        AssertOnlyImage("acme_app");
    }

    public static TheoryData<string, string, string> Hostile => new()
    {
        { "dotdot", "../escape", "leads outside the image" },
        { "absolute", "/etc/x", "absolute path" },
        { "symlink-absolute", "evil/passwd", "symlink /evil -> /etc, which points outside" },
        { "symlink-up", "up/escaped-through-symlink", "symlink /up -> ../../.., which points outside" },
        { "symlink-chain", "a/escaped-through-chain", "symlink /a -> b, which points outside" },
        { "hardlink-absolute", "/etc/passwd", "absolute path" },
        { "hardlink-up", "../../../etc/passwd", "leads outside the image" },
        { "huge", "huge", "8 GiB limit" },
        { "long-name", "aaaa", "longer than 4096 bytes" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Hostile_layers_are_refused_with_nothing_left_behind(string kind, string named, string why)
    {
        var layer = kind switch
        {
            "dotdot" => new Layer().File("ok", "fine").File("../escape", "x").Bytes(),
            "absolute" => new Layer().File("/etc/x", "x").Bytes(),
            "symlink-absolute" => new Layer().Symlink("evil", "/etc").File("evil/passwd", "root::0:0::/:/bin/sh").Bytes(),
            "symlink-up" => new Layer().Symlink("up", "../../..").File("up/escaped-through-symlink", "x").Bytes(),
            "symlink-chain" => new Layer().Symlink("b", "d/../../..").Dir("d").Symlink("a", "b").File("a/escaped-through-chain", "x").Bytes(),
            "hardlink-absolute" => new Layer().HardLink("pw", "/etc/passwd").Bytes(),
            "hardlink-up" => new Layer().HardLink("pw", "../../../etc/passwd").Bytes(),
            "huge" => HugeLayer(),
            "long-name" => new Layer().File(string.Join('/', Enumerable.Repeat(new string('a', 200), 25)), "x").Bytes(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        // A good first layer, so a partial root file system exists when the bad one is met.
        var archive = DockerArchive(Config, new Layer().Dir("etc").File("etc/os-release", "ID=test").Bytes(), layer);
        var passwd = File.ReadAllText("/etc/passwd");

        var e = await Assert.ThrowsAsync<ImageImportException>(() => _store.ImportAsync(Name, archive, null, CancellationToken.None));

        Assert.Contains(named, e.Message);
        Assert.Contains(why, e.Message);
        Assert.Contains("layer 2/2", e.Message);
        Assert.Equal(passwd, File.ReadAllText("/etc/passwd"));
        Assert.False(File.Exists("/etc/x"));
        AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_missing_layer_blob_is_refused()
    {
        var archive = DockerArchive(Config, new Layer().File("a", "a").Bytes());
        var manifest = new JsonArray(new JsonObject { ["Config"] = "config.json", ["Layers"] = new JsonArray("l0/layer.tar", "nope/layer.tar") });
        archive = Outer("missing.tar", ("manifest.json", Encoding.UTF8.GetBytes(manifest.ToJsonString())),
            ("config.json", Encoding.UTF8.GetBytes(Config.ToJsonString())), ("l0/layer.tar", new Layer().File("a", "a").Bytes()));

        var e = await Assert.ThrowsAsync<ImageImportException>(() => _store.ImportAsync(Name, archive, null, CancellationToken.None));

        Assert.Contains("nope/layer.tar", e.Message);
        AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Something_that_is_not_an_image_is_refused()
    {
        var archive = Outer("junk.tar", ("hello.txt", "hi"u8.ToArray()));
        var e = await Assert.ThrowsAsync<ImageImportException>(() => _store.ImportAsync(Name, archive, null, CancellationToken.None));
        Assert.Contains("docker save", e.Message);

        var gzipped = _temp.Combine("archives", "image.tar.gz");
        File.WriteAllBytes(gzipped, Gzip(File.ReadAllBytes(DockerArchive(Config, new Layer().File("a", "a").Bytes()))));
        e = await Assert.ThrowsAsync<ImageImportException>(() => _store.ImportAsync(Name, gzipped, null, CancellationToken.None));
        Assert.Contains("gunzip", e.Message);

        var notTar = _temp.Combine("archives", "garbage.tar");
        File.WriteAllBytes(notTar, RandomNumberGenerator.GetBytes(4096));
        await Assert.ThrowsAsync<ImageImportException>(() => _store.ImportAsync(Name, notTar, null, CancellationToken.None));
        AssertNothingLeftBehind();
    }

    private static void AssertConfigKept(ImageInfo info)
    {
        Assert.Equal(Name, info.Name);
        Assert.Equal(["/bin/tool", "--serve"], info.Entrypoint);
        Assert.Equal(["--port", "8080"], info.Cmd);
        Assert.Equal(["PATH=/usr/bin:/bin", "MODE=prod"], info.Env);
        Assert.Equal("/srv", info.WorkingDir);
        Assert.Equal("app", info.User);
        Assert.Equal([8080, 9090], info.ExposedPorts);
        Assert.True(info.SizeBytes > 0);
    }

    private void AssertOnlyImage(string dir)
    {
        var entries = Directory.GetFileSystemEntries(_temp.Combine("images")).Select(Path.GetFileName)
            .Where(n => !n!.StartsWith(".lock-", StringComparison.Ordinal));
        Assert.Equal([dir], entries);
    }

    /// <summary>No image, no partial directory; only the lock file, and nothing written anywhere else in the temp dir.</summary>
    private void AssertNothingLeftBehind()
    {
        Assert.Null(_store.Find(Name));
        var left = Directory.GetFileSystemEntries(_temp.Path, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(_temp.Path, p))
            .Where(p => p != "images" && p != "archives" && !p.StartsWith("archives/", StringComparison.Ordinal)
                && !p.StartsWith("images/.lock-", StringComparison.Ordinal));
        Assert.Empty(left);
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;

    // ---- archive writers ----

    private string DockerArchive(JsonObject config, params byte[][] layers)
    {
        var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
        var configName = Convert.ToHexStringLower(SHA256.HashData(configBytes)) + ".json";
        var layerNames = layers.Select((_, i) => $"l{i}/layer.tar").ToArray();
        var manifest = new JsonArray(new JsonObject
        {
            ["Config"] = configName,
            ["RepoTags"] = new JsonArray("acme/app:latest"),
            ["Layers"] = new JsonArray([.. layerNames.Select(n => (JsonNode)n)]),
        });
        // Layers stored last-first: the manifest's order must win over the archive's.
        var files = new List<(string, byte[])> { ("manifest.json", Encoding.UTF8.GetBytes(manifest.ToJsonString())), (configName, configBytes) };
        for (var i = layers.Length - 1; i >= 0; i--) files.Add((layerNames[i], layers[i]));
        return Outer($"docker-{Guid.NewGuid():N}.tar", [.. files]);
    }

    private string OciArchive(JsonObject config, params (byte[] Blob, string MediaType)[] layers) => OciArchive(config, nestedIndex: false, layers);

    private string OciArchive(JsonObject config, bool nestedIndex, params (byte[] Blob, string MediaType)[] layers)
    {
        var files = new List<(string, byte[])>();
        JsonObject Blob(byte[] data, string mediaType)
        {
            var hex = Convert.ToHexStringLower(SHA256.HashData(data));
            files.Add(($"blobs/sha256/{hex}", data));
            return new JsonObject { ["mediaType"] = mediaType, ["digest"] = "sha256:" + hex, ["size"] = data.Length };
        }
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = Blob(Encoding.UTF8.GetBytes(config.ToJsonString()), "application/vnd.oci.image.config.v1+json"),
            ["layers"] = new JsonArray([.. layers.Select(l => (JsonNode)Blob(l.Blob, l.MediaType))]),
        };
        var manifestDescriptor = Blob(Encoding.UTF8.GetBytes(manifest.ToJsonString()), "application/vnd.oci.image.manifest.v1+json");
        var arch = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "amd64";
        if (nestedIndex)
        {
            // Like `docker save` of a multi-platform image: index.json -> image index -> one manifest per platform.
            var other = Blob("{}"u8.ToArray(), "application/vnd.oci.image.manifest.v1+json");
            other["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = "s390x" };
            manifestDescriptor["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = arch };
            var platforms = new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(other, manifestDescriptor) };
            manifestDescriptor = Blob(Encoding.UTF8.GetBytes(platforms.ToJsonString()), "application/vnd.oci.image.index.v1+json");
        }
        var index = new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(manifestDescriptor) };
        files.Add(("oci-layout", """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray()));
        files.Add(("index.json", Encoding.UTF8.GetBytes(index.ToJsonString())));
        return Outer($"oci-{Guid.NewGuid():N}.tar", [.. files]);
    }

    private string Outer(string fileName, params (string Name, byte[] Data)[] files)
    {
        var path = _temp.Combine("archives", fileName);
        using var stream = File.Create(path);
        using var writer = new TarWriter(stream, TarEntryFormat.Pax);
        foreach (var (name, data) in files)
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        }
        return path;
    }

    private static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>A ustar layer whose one file declares 9 GiB (base-256 size field), with a valid checksum.</summary>
    private static byte[] HugeLayer()
    {
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true))
        {
            writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "huge") { DataStream = new MemoryStream("x"u8.ToArray()) });
        }
        var tar = output.ToArray();
        var size = tar.AsSpan(124, 12);
        size.Clear();
        size[0] = 0x80;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(size[4..], 9L << 30);
        tar.AsSpan(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in tar.AsSpan(0, 512)) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(tar, 148);
        return tar;
    }

    /// <summary>One layer's tar, written entry by entry.</summary>
    private sealed class Layer
    {
        private readonly MemoryStream _stream = new();
        private readonly TarWriter _writer;

        public Layer() => _writer = new TarWriter(_stream, TarEntryFormat.Pax, leaveOpen: true);

        public Layer Dir(string name, string mode = "755", int uid = 0, int gid = 0) =>
            Add(new PaxTarEntry(TarEntryType.Directory, name + "/"), mode, uid, gid);

        public Layer File(string name, string content, string mode = "644", int uid = 0, int gid = 0) =>
            Add(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) }, mode, uid, gid);

        public Layer Symlink(string name, string target) =>
            Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target }, "777", 0, 0);

        public Layer HardLink(string name, string target) =>
            Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target }, "644", 0, 0);

        private Layer Add(PaxTarEntry entry, string mode, int uid, int gid)
        {
            entry.Mode = (UnixFileMode)Convert.ToInt32(mode, 8);
            entry.Uid = uid;
            entry.Gid = gid;
            _writer.WriteEntry(entry);
            return this;
        }

        public byte[] Bytes()
        {
            _writer.Dispose();
            return _stream.ToArray();
        }
    }
}
