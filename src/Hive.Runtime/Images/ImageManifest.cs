using System.Runtime.Versioning;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hive.Runtime.Images;

/// <summary>The contents of <c>image.json</c> next to an image's <c>rootfs</c>.</summary>
internal sealed record ImageManifest
{
    /// <summary>The image's name as built or imported; lets readers tell 'a/b' from 'a_b' (same directory name).</summary>
    public string? Name { get; init; }
    public string[] Entrypoint { get; init; } = [];
    public string[] Cmd { get; init; } = [];
    public string[] Env { get; init; } = [];
    public string WorkingDir { get; init; } = "/";
    public string User { get; init; } = "0:0";
    public int[] ExposedPorts { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public long SizeBytes { get; init; }

    public const string FileName = "image.json";

    // Same settings as the generated context, but without HTML-escaping ' and & so image.json stays readable.
    private static readonly ImageManifestJsonContext Writer = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        RespectNullableAnnotations = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static ImageManifest Read(string path)
    {
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize(stream, ImageManifestJsonContext.Default.ImageManifest)
            ?? throw new JsonException($"{path}: empty image manifest");
    }

    /// <summary>Writes through a temporary file and a rename, so readers never see half a manifest.</summary>
    [SupportedOSPlatform("linux")]
    public void Write(string path)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, this, Writer.ImageManifest);
            stream.Flush(flushToDisk: true);
        }
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(temp, path, overwrite: true);
    }

    public ImageInfo ToInfo(string name, string rootFs) => new(
        name, rootFs, Entrypoint, Cmd, Env, WorkingDir, User, ExposedPorts, CreatedAt, SizeBytes);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    RespectNullableAnnotations = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImageManifest))]
internal sealed partial class ImageManifestJsonContext : JsonSerializerContext;
