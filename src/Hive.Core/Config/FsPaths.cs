using System.Security.Cryptography;
using System.Text;

namespace Hive.Core.Config;

/// <summary>Checks for the paths and names of <c>fs</c> entries. Each returns an error message, or null when valid.</summary>
internal static class FsPaths
{
    private const int MaxPathLength = 1024;
    private const int MaxVolumeLength = 128;
    private static readonly string[] KernelTrees = ["/proc", "/sys", "/dev"];

    /// <summary>An absolute, normalised path: starts with /, no empty, . or .. segments, no trailing /.</summary>
    public static string? CheckAbsolute(string path)
    {
        if (path.Length == 0) return "must not be empty; use an absolute path such as /workspace";
        if (path[0] != '/') return "must be an absolute path (start with /)";
        if (path.Length > MaxPathLength) return $"must be at most {MaxPathLength} characters long";
        if (path.Any(char.IsControl)) return "must not contain control characters";
        if (path.Length > 1 && path[^1] == '/') return "must not end with /";
        if (path.Contains("//", StringComparison.Ordinal)) return "must not contain empty segments (//)";
        foreach (var segment in path.Split('/'))
            if (segment is "." or "..") return "must not contain . or .. segments";
        return null;
    }

    public static string? CheckMount(string mount)
    {
        if (CheckAbsolute(mount) is { } error) return error;
        if (mount == "/") return "must not be / (mount a directory such as /workspace)";
        foreach (var tree in KernelTrees)
            if (IsSameOrInside(mount, tree)) return "must not be /proc, /sys, /dev or inside them";
        if (mount.AsSpan().IndexOfAny('*', '?') >= 0) return "must not contain * or ? (they are ACL wildcards)";
        return null;
    }

    public static string? CheckOrigin(string origin)
    {
        if (CheckAbsolute(origin) is { } error) return error;
        return origin == "/" ? "must not be / (give the host directory to share)" : null;
    }

    /// <summary>An ACL pattern: absolute, normalised, the mount or inside it, <c>**</c> only as a whole segment.</summary>
    public static string? CheckAclPattern(string pattern, string? mount)
    {
        if (CheckAbsolute(pattern) is { } error) return error;
        if (mount is not null && !IsSameOrInside(pattern, mount))
            return $"must be inside the mount: {mount} or a path starting with {mount}/";
        foreach (var segment in pattern.Split('/'))
            if (segment.Contains("**", StringComparison.Ordinal) && segment != "**")
                return "may use ** only as a whole path segment (as in /workspace/**/*.md)";
        return null;
    }

    public static bool IsSameOrInside(string path, string directory) =>
        path == directory || (path.Length > directory.Length && path.StartsWith(directory, StringComparison.Ordinal) && path[directory.Length] == '/');

    public static string? CheckVolume(string volume) => IsVolumeName(volume)
        ? null
        : "must be a volume name: 1-128 characters of letters, digits, _, . and -, starting with a letter or digit";

    public static string? CheckContainer(string container)
    {
        var ok = container.Length is >= 3 and <= 63
            && container.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            && container[0] != '-' && container[^1] != '-'
            && !container.Contains("--", StringComparison.Ordinal);
        return ok ? null : "must be an Azure container name: 3-63 characters of a-z, 0-9 and -, starting and ending with a letter or digit, without --";
    }

    /// <summary>An S3 bucket name: 3-63 of a-z, 0-9, '.', '-', starting and ending with a letter or digit, no '..', not an IPv4 address.</summary>
    public static string? CheckS3Bucket(string bucket)
    {
        var ok = bucket.Length is >= 3 and <= 63
            && bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
            && char.IsAsciiLetterOrDigit(bucket[0]) && char.IsAsciiLetterOrDigit(bucket[^1])
            && !bucket.Contains("..", StringComparison.Ordinal)
            && !System.Net.IPAddress.TryParse(bucket, out _);
        return ok ? null : "must be an S3 bucket name: 3-63 characters of a-z, 0-9, . and -, starting and ending with a letter or digit, without .. (not an IP address)";
    }

    /// <summary>A GCS bucket name: 3-63 of a-z, 0-9, '-', '_', '.', starting and ending with a letter or digit.</summary>
    public static string? CheckGcsBucket(string bucket)
    {
        var ok = bucket.Length is >= 3 and <= 63
            && bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.')
            && char.IsAsciiLetterOrDigit(bucket[0]) && char.IsAsciiLetterOrDigit(bucket[^1])
            && !bucket.StartsWith("goog", StringComparison.Ordinal);
        return ok ? null : "must be a GCS bucket name: 3-63 characters of a-z, 0-9, -, _ and ., starting and ending with a letter or digit, not starting with goog";
    }

    public static string? CheckRegion(string region)
    {
        var ok = region.Length is > 0 and <= 32 && region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            && char.IsAsciiLetterOrDigit(region[0]);
        return ok ? null : "must be a region name such as eu-west-1 or auto: 1-32 characters of a-z, 0-9 and -";
    }

    /// <summary>An http(s) URL of a storage service: no user info (credentials go in a secret), query or fragment.</summary>
    public static string? CheckEndpoint(string endpoint)
    {
        const string expected = "must be an absolute http:// or https:// URL of the storage service, such as https://s3.eu-west-1.amazonaws.com";
        if (endpoint.Length > MaxPathLength || endpoint.Any(char.IsControl)) return expected;
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0) return expected;
        if (uri.UserInfo.Length > 0) return "must not carry a user name or password: put the credentials in a Hive secret and name it in credentials";
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
            return "must not have a query or fragment (a SAS token is a credential: put it in a Hive secret and name it in credentials)";
        return null;
    }

    public static string? CheckCredentials(string name) => Secrets.SecretDefinition.IsValidName(name)
        ? null
        : $"must be the name of a Hive secret (1-{Secrets.SecretDefinition.MaxNameLength} characters of letters, digits, _, . and -, starting with a letter or digit), never the credentials themselves";

    public static string? CheckPrefix(string prefix)
    {
        const string expected = "must be a relative blob prefix such as team/notes (no leading or trailing /, no empty, . or .. segments, no control characters, at most 1024 characters)";
        if (prefix.Length is 0 or > MaxPathLength || prefix.Any(char.IsControl)) return expected;
        foreach (var segment in prefix.Split('/'))
            if (segment is "" or "." or "..") return expected;
        return null;
    }

    /// <summary>
    /// The default volume of a local mount: <c>&lt;sandbox&gt;-&lt;slug&gt;</c>, where the slug is the mount path without
    /// its leading / and with / (and any character a volume name cannot hold) turned into -. Too long a name is
    /// shortened and made unique with a hash of the mount path.
    /// </summary>
    public static string DefaultVolume(string sandboxName, string mount)
    {
        var slug = new StringBuilder(mount.Length);
        foreach (var c in mount.AsSpan(1))
            slug.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '-');
        var name = $"{sandboxName}-{slug}";
        if (name.Length <= MaxVolumeLength) return name;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(mount)), 0, 4);
        return $"{name[..(MaxVolumeLength - 9)]}-{hash}";
    }

    private static bool IsVolumeName(string name) =>
        name.Length is > 0 and <= MaxVolumeLength
        && char.IsAsciiLetterOrDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
