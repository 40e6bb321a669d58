using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hive.Runtime.Images;

/// <summary>
/// Imports a <c>docker save</c> archive or an OCI image layout (as a tar) into a root file system: finds the config
/// and the layers, applies the layers in order and keeps what the config says about starting the image.
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class ImageImporter
{
    private const long MaxJsonBytes = 16 << 20;

    public static async Task<ImageManifest> ImportAsync(string archivePath, string rootfs, IProgress<ImageProgress>? progress, CancellationToken ct)
    {
        var archive = OuterArchive.Open(archivePath);
        var (configName, layers) = archive.Contains("manifest.json") ? DockerLayout(archive)
            : archive.Contains("index.json") ? OciLayout(archive)
            : throw new ImageImportException($"{archivePath} is neither a `docker save` archive (no manifest.json) nor an OCI image layout (no index.json).");
        var config = ReadJson(archive, configName, "image config");

        Directory.CreateDirectory(rootfs);
        File.SetUnixFileMode(rootfs, RootfsFiles.Mode0755);
        ImageNative.Chown(rootfs, 0, 0);
        var applier = new LayerApplier(rootfs);
        long total = Math.Max(1, layers.Sum(archive.LengthOf)), done = 0;
        for (var i = 0; i < layers.Count; i++)
        {
            var stage = $"layer {i + 1}/{layers.Count}";
            var label = $"{stage} ({layers[i]})";
            progress?.Report(new ImageProgress(stage, (double)done / total, layers[i]));
            await using var raw = archive.OpenEntry(layers[i]);
            var start = done;
            await using var counted = new CountingStream(raw, read => progress?.Report(new ImageProgress(stage, (double)(start + read) / total, layers[i])));
            await using var data = Decompress(counted, label);
            await applier.ApplyAsync(data, label, ct).ConfigureAwait(false);
            done += archive.LengthOf(layers[i]);
        }
        progress?.Report(new ImageProgress("finishing", 0.99, "runtime files"));
        applier.EnsureRuntimeFiles();
        return FromConfig(config);
    }

    /// <summary>manifest.json: <c>[{ "Config": "...", "Layers": ["...", ...] }]</c>; the first image is imported.</summary>
    private static (string Config, List<string> Layers) DockerLayout(OuterArchive archive)
    {
        using var doc = ReadJson(archive, "manifest.json", "manifest.json");
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() == 0)
            throw new ImageImportException("manifest.json lists no image.");
        var image = root[0];
        var config = image.TryGetProperty("Config", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : throw new ImageImportException("manifest.json names no Config.");
        if (!image.TryGetProperty("Layers", out var l) || l.ValueKind != JsonValueKind.Array)
            throw new ImageImportException("manifest.json has no Layers list.");
        var layers = l.EnumerateArray().Select(x => x.GetString() ?? throw new ImageImportException("manifest.json has a null layer.")).ToList();
        return (config, layers);
    }

    /// <summary>index.json → (nested index →) manifest → config and layers, all under blobs/ALG/HEX.</summary>
    private static (string Config, List<string> Layers) OciLayout(OuterArchive archive)
    {
        using var index = ReadJson(archive, "index.json", "index.json");
        var manifestBlob = PickManifest(archive, index.RootElement, depth: 0);
        using var manifest = ReadJson(archive, manifestBlob, "image manifest");
        var m = manifest.RootElement;
        if (!m.TryGetProperty("config", out var config) || !m.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
            throw new ImageImportException($"{manifestBlob} is not an image manifest (no config or layers).");
        var result = new List<string>();
        foreach (var layer in layers.EnumerateArray())
        {
            var mediaType = layer.TryGetProperty("mediaType", out var mt) ? mt.GetString() ?? "" : "";
            if (mediaType.Contains("zstd", StringComparison.Ordinal))
                throw new ImageImportException($"layer {BlobPath(layer)} is zstd-compressed ({mediaType}); export the image with gzip or uncompressed layers.");
            if (mediaType.Contains("nondistributable", StringComparison.Ordinal) || mediaType.Contains("foreign", StringComparison.Ordinal))
                throw new ImageImportException($"layer {BlobPath(layer)} is a foreign layer ({mediaType}) that is not in the archive.");
            result.Add(BlobPath(layer));
        }
        return (BlobPath(config), result);
    }

    private static string PickManifest(OuterArchive archive, JsonElement index, int depth)
    {
        if (depth > 2 || !index.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array || manifests.GetArrayLength() == 0)
            throw new ImageImportException("index.json lists no image manifest.");
        var arch = RuntimeInformation.OSArchitecture switch { Architecture.Arm64 => "arm64", _ => "amd64" };
        var chosen = manifests[0];
        foreach (var m in manifests.EnumerateArray())
        {
            if (m.TryGetProperty("platform", out var p) && p.TryGetProperty("architecture", out var a) && a.GetString() == arch &&
                (!p.TryGetProperty("os", out var os) || os.GetString() == "linux"))
            {
                chosen = m;
                break;
            }
        }
        var blob = BlobPath(chosen);
        var mediaType = chosen.TryGetProperty("mediaType", out var mt) ? mt.GetString() ?? "" : "";
        if (!mediaType.Contains("index", StringComparison.Ordinal) && !mediaType.Contains("manifest.list", StringComparison.Ordinal)) return blob;
        using var nested = ReadJson(archive, blob, "image index");
        return PickManifest(archive, nested.RootElement, depth + 1);
    }

    private static string BlobPath(JsonElement descriptor)
    {
        var digest = descriptor.TryGetProperty("digest", out var d) ? d.GetString() ?? "" : "";
        var match = Digest().Match(digest);
        if (!match.Success) throw new ImageImportException($"'{digest}' is not a valid content digest.");
        return $"blobs/{match.Groups[1].Value}/{match.Groups[2].Value}";
    }

    private static JsonDocument ReadJson(OuterArchive archive, string name, string what)
    {
        if (!archive.Contains(name)) throw new ImageImportException($"the {what} '{name}' is missing from the archive.");
        if (archive.LengthOf(name) > MaxJsonBytes) throw new ImageImportException($"the {what} '{name}' is implausibly large.");
        try
        {
            using var stream = archive.OpenEntry(name);
            return JsonDocument.Parse(stream);
        }
        catch (JsonException ex)
        {
            throw new ImageImportException($"the {what} '{name}' is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Layers may be plain tar or gzip (sniffed, whatever the name or media type says).</summary>
    private static Stream Decompress(Stream layer, string label)
    {
        Span<byte> magic = stackalloc byte[4];
        var read = layer.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        layer.Position = 0;
        if (read >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return new GZipStream(layer, CompressionMode.Decompress, leaveOpen: true);
        if (read == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
            throw new ImageImportException($"{label} is zstd-compressed; export the image with gzip or uncompressed layers.");
        return layer;
    }

    private static ImageManifest FromConfig(JsonDocument doc)
    {
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new ImageImportException("the image config is not a JSON object.");
            var c = root.TryGetProperty("config", out var lower) ? lower : root.TryGetProperty("Config", out var upper) ? upper : default;
            return new ImageManifest
            {
                Entrypoint = Strings(c, "Entrypoint"),
                Cmd = Strings(c, "Cmd"),
                Env = Strings(c, "Env"),
                WorkingDir = String(c, "WorkingDir") is { Length: > 0 } wd ? wd : "/",
                User = String(c, "User") ?? "",
                ExposedPorts = Ports(c),
            };
        }
    }

    private static string? String(JsonElement config, string name) =>
        config.ValueKind == JsonValueKind.Object && config.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string[] Strings(JsonElement config, string name) =>
        config.ValueKind == JsonValueKind.Object && config.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? [.. v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!)]
            : [];

    /// <summary><c>{ "8080/tcp": {} }</c> → 8080.</summary>
    private static int[] Ports(JsonElement config)
    {
        if (config.ValueKind != JsonValueKind.Object || !config.TryGetProperty("ExposedPorts", out var ports) || ports.ValueKind != JsonValueKind.Object) return [];
        var result = new SortedSet<int>();
        foreach (var p in ports.EnumerateObject())
        {
            var number = p.Name.Split('/')[0];
            if (int.TryParse(number, out var port) && port is > 0 and <= 65535) result.Add(port);
        }
        return [.. result];
    }

    [GeneratedRegex("^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]{32,256})$")]
    private static partial Regex Digest();

    /// <summary>Reports the bytes read so far, at most every 256 KiB.</summary>
    private sealed class CountingStream(Stream inner, Action<long> report) : Stream
    {
        private long _read, _reported;

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            Count(await inner.ReadAsync(buffer, ct).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        private int Count(int n)
        {
            _read += n;
            if (_read - _reported >= 256 << 10 || n == 0 && _read != _reported)
            {
                _reported = _read;
                report(_read);
            }
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false; // read through, so progress counts every byte
        public override bool CanWrite => false;
        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set
            {
                inner.Position = value;
                _read = _reported = value;
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
