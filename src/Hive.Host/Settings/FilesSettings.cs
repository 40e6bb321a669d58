using System.Text.Json;

namespace Hive.Host.Settings;

/// <summary>
/// How the daemon serves the sandboxes' FUSE mounts (daemon.json <c>files</c>). <see cref="IoUring"/>: serve them over
/// io_uring, which makes the daemon turn the fuse module's <c>enable_uring</c> parameter on for the whole host.
/// </summary>
public sealed record FilesSettings(bool IoUring)
{
    public static FilesSettings Default { get; } = new(false);

    public static FilesSettings Parse(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new FormatException("files: must be an object such as { \"ioUring\": true }");
        var ioUring = false;
        foreach (var e in value.EnumerateObject())
        {
            switch (e.Name)
            {
                case "ioUring":
                    if (e.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new FormatException("files.ioUring: must be true or false");
                    ioUring = e.Value.GetBoolean();
                    break;
                default: throw new FormatException($"files.{e.Name}: unknown setting (allowed: ioUring)");
            }
        }
        return new FilesSettings(ioUring);
    }
}
