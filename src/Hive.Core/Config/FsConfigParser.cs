using System.Text.Json;

namespace Hive.Core.Config;

/// <summary>Parses the <c>fs</c> list: each mount's fields, then the checks across mounts.</summary>
internal static class FsConfigParser
{
    public const string DefaultMount = "/workspace";

    private static readonly string[] MountFields =
        ["backend", "mount", "volume", "origin", "container", "bucket", "prefix", "region", "endpoint", "credentials", "acls"];
    private static readonly string[] LocalOnly = ["volume", "origin"];
    private static readonly string[] ObjectStoreOnly = ["container", "bucket", "prefix", "region", "endpoint", "credentials"];
    private static readonly string[] AclFields = ["path", "access"];
    private static readonly (string, FsBackend)[] Backends = [("local", FsBackend.Local), ("s3", FsBackend.S3), ("azure", FsBackend.Azure), ("gcs", FsBackend.Gcs)];
    private static readonly (string, AclAccess)[] Accesses = [("rw", AclAccess.Rw), ("ro", AclAccess.Ro), ("deny", AclAccess.Deny)];

    /// <summary>A mount path that parsed, kept for the checks across mounts even when other fields had errors.</summary>
    private sealed record Entry(int Index, string Mount, string? Volume, bool DefaultVolume);

    public static IReadOnlyList<FsMount> Parse(ParseContext c, JsonElement? value)
    {
        if (value is not { } v) return [DefaultWorkspace(c.SandboxName)];
        var items = c.List(v, "fs", "must be a list of mounts");
        if (items is null) return [];

        var mounts = new List<FsMount>(items.Length);
        var entries = new List<Entry>(items.Length);
        for (var i = 0; i < items.Length; i++)
        {
            var (mount, entry) = ParseMount(c, items[i], i);
            if (mount is not null) mounts.Add(mount);
            if (entry is not null) entries.Add(entry);
        }
        CheckAcrossMounts(c, entries);
        return mounts.AsReadOnly();
    }

    public static FsMount DefaultWorkspace(string sandboxName) => new()
    {
        Backend = FsBackend.Local,
        Mount = DefaultMount,
        Volume = FsPaths.DefaultVolume(sandboxName, DefaultMount),
        Acls = DefaultAcls(DefaultMount),
    };

    private static IReadOnlyList<AclRule> DefaultAcls(string mount) => [new AclRule(mount + "/**", AclAccess.Rw)];

    private static (FsMount?, Entry?) ParseMount(ParseContext c, JsonElement value, int index)
    {
        var path = JsonPath.Index("fs", index);
        var errorsBefore = c.Errors.Count;
        var fields = c.Fields(value, path, MountFields);
        if (fields is null) return (null, null);

        FsBackend? backend = null;
        if (ConfigParser.Field(fields, "backend") is { } b) backend = c.Choice(b, path + ".backend", Backends);
        else c.Error(path + ".backend", "is required: one of local, s3, azure, gcs");

        string? mount = null;
        if (ConfigParser.Field(fields, "mount") is { } m)
        {
            mount = c.String(m, path + ".mount");
            if (mount is not null && FsPaths.CheckMount(mount) is { } mountError)
            {
                c.Error(path + ".mount", mountError);
                mount = null;
            }
        }
        else c.Error(path + ".mount", "is required: an absolute path such as /workspace");

        var volume = OptionalString(c, fields, path, "volume", FsPaths.CheckVolume);
        var origin = OptionalString(c, fields, path, "origin", FsPaths.CheckOrigin);
        var container = OptionalString(c, fields, path, "container", FsPaths.CheckContainer);
        var bucket = OptionalString(c, fields, path, "bucket", backend == FsBackend.Gcs ? FsPaths.CheckGcsBucket : FsPaths.CheckS3Bucket);
        var prefix = OptionalString(c, fields, path, "prefix", FsPaths.CheckPrefix);
        var region = OptionalString(c, fields, path, "region", FsPaths.CheckRegion);
        var endpoint = OptionalString(c, fields, path, "endpoint", FsPaths.CheckEndpoint);
        var credentials = OptionalString(c, fields, path, "credentials", FsPaths.CheckCredentials);

        var defaultVolume = false;
        if (backend == FsBackend.Local)
        {
            foreach (var name in ObjectStoreOnly) NotAllowed(c, fields, path, name, "local", "s3, azure, gcs");
            if (fields.ContainsKey("volume") && fields.ContainsKey("origin"))
                c.Error(path + ".origin", "cannot be combined with volume: a local mount uses either a named volume or a host directory");
            else if (!fields.ContainsKey("volume") && !fields.ContainsKey("origin") && mount is not null)
            {
                volume = FsPaths.DefaultVolume(c.SandboxName, mount);
                defaultVolume = true;
            }
        }
        else if (backend is { } objectStore)
        {
            var name = ConfigJson.Name(objectStore);
            foreach (var field in LocalOnly) NotAllowed(c, fields, path, field, name, "local");
            if (objectStore == FsBackend.Azure)
            {
                NotAllowed(c, fields, path, "bucket", "azure", "s3, gcs; azure names a container");
                NotAllowed(c, fields, path, "region", "azure", "s3");
                if (!fields.ContainsKey("container")) c.Error(path + ".container", "is required for backend azure: the blob container name");
            }
            else
            {
                NotAllowed(c, fields, path, "container", name, "azure; " + name + " names a bucket");
                if (objectStore == FsBackend.Gcs) NotAllowed(c, fields, path, "region", "gcs", "s3");
                if (!fields.ContainsKey("bucket")) c.Error(path + ".bucket", $"is required for backend {name}: the bucket name");
            }
            if (!fields.ContainsKey("credentials"))
                c.Error(path + ".credentials", $"is required for backend {name}: the name of a Hive secret holding the store's credentials (never the credentials themselves)");
        }

        var acls = ConfigParser.Field(fields, "acls") is { } a ? ParseAcls(c, a, path + ".acls", mount) : null;

        var entry = mount is null ? null : new Entry(index, mount, backend == FsBackend.Local ? volume : null, defaultVolume);
        if (c.Errors.Count > errorsBefore) return (null, entry);
        return (new FsMount
        {
            Backend = backend!.Value,
            Mount = mount!,
            Volume = volume,
            Origin = origin,
            Container = container,
            Bucket = bucket,
            Prefix = prefix,
            Region = region,
            Endpoint = endpoint,
            Credentials = credentials,
            Acls = acls ?? DefaultAcls(mount!),
        }, entry);
    }

    private static string? OptionalString(ParseContext c, Dictionary<string, JsonElement> fields, string path, string name, Func<string, string?> check)
    {
        if (ConfigParser.Field(fields, name) is not { } value) return null;
        var text = c.String(value, path + "." + name);
        if (text is not null && check(text) is { } error)
        {
            c.Error(path + "." + name, error);
            return null;
        }
        return text;
    }

    private static void NotAllowed(ParseContext c, Dictionary<string, JsonElement> fields, string path, string name, string backend, string allowedWith)
    {
        if (fields.ContainsKey(name))
            c.Error(path + "." + name, $"is not allowed with backend {backend} (only with {allowedWith})");
    }

    // An empty list is valid and denies everything in the mount: rules are first-match and no match means deny.
    private static IReadOnlyList<AclRule>? ParseAcls(ParseContext c, JsonElement value, string path, string? mount)
    {
        var items = c.List(value, path, "must be a list of { path, access } rules");
        if (items is null) return null;
        var rules = new List<AclRule>(items.Length);
        for (var i = 0; i < items.Length; i++)
        {
            var rulePath = JsonPath.Index(path, i);
            var fields = c.Fields(items[i], rulePath, AclFields);
            if (fields is null) continue;

            string? pattern = null;
            if (ConfigParser.Field(fields, "path") is { } p)
            {
                pattern = c.String(p, rulePath + ".path");
                if (pattern is not null && FsPaths.CheckAclPattern(pattern, mount) is { } error)
                {
                    c.Error(rulePath + ".path", error);
                    pattern = null;
                }
            }
            else c.Error(rulePath + ".path", "is required: an absolute path pattern inside the mount, such as /workspace/**");

            AclAccess? access = null;
            if (ConfigParser.Field(fields, "access") is { } a) access = c.Choice(a, rulePath + ".access", Accesses);
            else c.Error(rulePath + ".access", "is required: one of rw, ro, deny");

            if (pattern is not null && access is not null) rules.Add(new AclRule(pattern, access.Value));
        }
        return rules.AsReadOnly();
    }

    private static void CheckAcrossMounts(ParseContext c, List<Entry> entries)
    {
        for (var j = 0; j < entries.Count; j++)
        {
            var later = entries[j];
            for (var i = 0; i < j; i++)
            {
                var earlier = entries[i];
                var at = JsonPath.Index("fs", later.Index) + ".mount";
                if (later.Mount == earlier.Mount)
                    c.Error(at, $"duplicates fs[{earlier.Index}].mount; every mount path must be unique");
                else if (FsPaths.IsSameOrInside(later.Mount, earlier.Mount))
                    c.Error(at, $"is inside fs[{earlier.Index}].mount ({earlier.Mount}); mounts must not nest");
                else if (FsPaths.IsSameOrInside(earlier.Mount, later.Mount))
                    c.Error(at, $"contains fs[{earlier.Index}].mount ({earlier.Mount}); mounts must not nest");
            }
        }

        // Two mount paths can slug to the same default volume (/a-b and /a/b); never share one silently.
        foreach (var entry in entries)
        {
            if (!entry.DefaultVolume) continue;
            foreach (var other in entries)
            {
                if (other.Index == entry.Index || other.Volume != entry.Volume || other.Mount == entry.Mount) continue;
                c.Error(JsonPath.Index("fs", entry.Index) + ".volume",
                    $"defaults to \"{entry.Volume}\", which fs[{other.Index}] also uses; set volume explicitly");
                break;
            }
        }
    }
}
