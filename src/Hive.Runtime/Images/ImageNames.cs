using System.Text.RegularExpressions;

namespace Hive.Runtime.Images;

/// <summary>Image names: validation, the optional <c>:latest</c> tag, and the on-disk directory name.</summary>
public static partial class ImageNames
{
    public const string Minimal = "hive/minimal";
    public const string Base = "hive/base";

    /// <summary>Names <see cref="ImageStore.BuildAsync"/> knows how to build.</summary>
    public static IReadOnlyList<string> Buildable { get; } = [Minimal, Base];

    /// <summary>Suffixes of sibling directories that are not (yet, or any more) images.</summary>
    internal static readonly string[] TransientMarkers = [".partial-", ".old-", ".removing-"];

    private const int MaxLength = 128;

    /// <summary>Validates <paramref name="name"/> and strips an optional <c>:latest</c> tag.</summary>
    /// <exception cref="ArgumentException">The name is not a valid image name or has another tag.</exception>
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return TryNormalize(name, out var normalized, out var error)
            ? normalized
            : throw new ArgumentException(error, nameof(name));
    }

    public static bool TryNormalize(string name, out string normalized, out string error)
    {
        normalized = "";
        error = "";
        var bare = name;
        var colon = name.LastIndexOf(':');
        if (colon >= 0)
        {
            var tag = name[(colon + 1)..];
            if (tag != "latest")
            {
                error = $"Image name '{name}': only the ':latest' tag is supported.";
                return false;
            }
            bare = name[..colon];
        }
        if (bare.Length is 0 or > MaxLength)
        {
            error = $"Image name '{name}' must be 1 to {MaxLength} characters.";
            return false;
        }
        foreach (var component in bare.Split('/'))
        {
            if (!Component().IsMatch(component))
            {
                error = $"Image name '{name}' is invalid: each '/'-separated part must be lowercase letters, digits and single '.', '_' or '-' separators.";
                return false;
            }
        }
        foreach (var marker in TransientMarkers)
        {
            if (bare.Contains(marker, StringComparison.Ordinal))
            {
                error = $"Image name '{name}' must not contain '{marker}'.";
                return false;
            }
        }
        normalized = bare;
        return true;
    }

    /// <summary>The directory under the images directory: '/' replaced by '_'.</summary>
    public static string ToDirectoryName(string normalizedName) => normalizedName.Replace('/', '_');

    /// <summary>True for sibling directories that are builds in progress or leftovers, never images.</summary>
    internal static bool IsTransientDirectory(string directoryName)
    {
        if (directoryName.StartsWith('.')) return true;
        foreach (var marker in TransientMarkers)
        {
            if (directoryName.Contains(marker, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    // Docker's rule for a path component: alphanumerics with '.', '_', '__' or dashes between them.
    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex Component();
}
