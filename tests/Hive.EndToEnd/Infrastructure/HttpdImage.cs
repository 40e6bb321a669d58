using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>
/// A `docker save` archive written by the test: the host's static busybox serving /www with httpd on port 8080,
/// and a CGI script that shows the request as the server inside received it.
/// </summary>
public static class HttpdImage
{
    public const string Index = "hello from an imported image\n";

    /// <param name="user">The image's User.</param>
    /// <param name="extra">More files for the layer: path inside the image (no leading slash) and host file, made executable.</param>
    /// <param name="links">Symlinks for the layer: path inside the image (no leading slash) and target, kept verbatim.</param>
    public static string Write(string directory, string user = "1000:1000", IReadOnlyDictionary<string, string>? extra = null,
        IReadOnlyDictionary<string, string>? links = null)
    {
        var layer = new MemoryStream();
        using (var w = new TarWriter(layer, TarEntryFormat.Pax, leaveOpen: true))
        {
            Dir(w, "bin/");
            using (var busybox = System.IO.File.OpenRead("/bin/busybox")) File(w, "bin/busybox", busybox, "755");
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/sh") { LinkName = "busybox" });
            Dir(w, "www/");
            File(w, "www/index.html", Text(Index), "644");
            Dir(w, "www/cgi-bin/");
            File(w, "www/cgi-bin/env", Text("#!/bin/sh\necho 'Content-Type: text/plain'\necho\n/bin/busybox env\n"), "755");
            // A stand-in for an image's own MCP server that answers in plain JSON rather than SSE.
            File(w, "www/cgi-bin/mcp", Text("#!/bin/sh\necho 'Content-Type: application/json'\necho\n" +
                "echo '{\"jsonrpc\":\"2.0\",\"id\":41,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"no\"}],\"isError\":true}}'\n"), "755");
            foreach (var (inside, host) in extra ?? new Dictionary<string, string>())
                using (var f = System.IO.File.OpenRead(host)) File(w, inside, f, "755");
            foreach (var (inside, target) in links ?? new Dictionary<string, string>())
                w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, inside) { LinkName = target });
        }
        var config = new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject
            {
                ["Entrypoint"] = new JsonArray("/bin/busybox", "httpd", "-f", "-p", "0.0.0.0:8080"),
                ["Cmd"] = new JsonArray("-h", "/www"),
                ["Env"] = new JsonArray("PATH=/bin"),
                ["User"] = user,
                ["ExposedPorts"] = new JsonObject { ["8080/tcp"] = new JsonObject() },
            },
        };
        var manifest = new JsonArray(new JsonObject
        {
            ["Config"] = "config.json",
            ["RepoTags"] = new JsonArray("httpd:latest"),
            ["Layers"] = new JsonArray("layer/layer.tar"),
        });
        var path = Path.Combine(directory, $"httpd-{Guid.NewGuid():N}.tar");
        using (var outer = System.IO.File.Create(path))
        using (var w = new TarWriter(outer, TarEntryFormat.Pax))
        {
            File(w, "manifest.json", Text(manifest.ToJsonString()), "644");
            File(w, "config.json", Text(config.ToJsonString()), "644");
            Dir(w, "layer/");
            layer.Position = 0;
            File(w, "layer/layer.tar", layer, "644");
        }
        return path;
    }

    private static MemoryStream Text(string s) => new(Encoding.UTF8.GetBytes(s));

    private static void Dir(TarWriter w, string name) =>
        w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = Mode("755") });

    private static void File(TarWriter w, string name, Stream data, string mode) =>
        w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = data, Mode = Mode(mode) });

    private static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);
}
