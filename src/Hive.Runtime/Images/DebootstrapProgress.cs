using System.Globalization;

namespace Hive.Runtime.Images;

/// <summary>
/// Turns debootstrap's output lines into a stage and a fraction that never goes backwards. Pure: no I/O.
/// <para>
/// debootstrap (LC_ALL=C) prints, in order: the Release and Packages index steps ("I: Retrieving InRelease",
/// "I: Resolving dependencies of required packages..."), one "I: Retrieving NAME VERSION" and
/// "I: Validating NAME VERSION" per package, "I: Extracting NAME..." for the required set, "I: Installing core
/// packages...", then "I: Unpacking NAME..." and "I: Configuring NAME..." for every package (required first, then
/// base), and finally "I: Base system installed successfully.".
/// </para>
/// <para>
/// It never prints how many packages it will fetch, so the retrieving phase divides by an estimate (and never
/// reaches the end of its band early); from extraction on the count of retrieved packages is known.
/// </para>
/// </summary>
public sealed class DebootstrapProgress
{
    /// <summary>Packages in bookworm minbase plus hive/base's --include list (142 when recorded).</summary>
    public const int DefaultExpectedPackages = 140;

    // Bands of the whole run; measured on a fast mirror: resolving ~12%, retrieving ~25%, extracting ~7%,
    // installing ~56%. Retrieving gets more because on a real network it is the slow part.
    private const double ResolvingEnd = 0.08, RetrievingEnd = 0.45, ExtractingEnd = 0.55, InstallingStart = 0.56;
    public const double InstalledFraction = 0.98;

    private readonly int _expected;
    private int _retrieved, _validated, _extracted, _installSteps;

    public DebootstrapProgress(int expectedPackages = DefaultExpectedPackages) =>
        _expected = Math.Max(1, expectedPackages);

    public string Stage { get; private set; } = "resolving";
    public double Fraction { get; private set; }
    public string? Detail { get; private set; }

    /// <summary>Packages seen in "Retrieving NAME VERSION" lines so far.</summary>
    public int PackagesRetrieved => _retrieved;

    public bool Succeeded { get; private set; }

    public ImageProgress Current => new(Stage, Fraction, Detail);

    /// <summary>Consumes one line; true if <see cref="Current"/> changed.</summary>
    public bool Feed(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        line = line.TrimEnd();
        if (!line.StartsWith("I: ", StringComparison.Ordinal)) return false;
        var text = line[3..];
        var before = Current;

        if (TryVerb(text, "Retrieving ", out var rest))
        {
            var parts = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && _extracted == 0 && _installSteps == 0)
            {
                _retrieved++;
                Set("retrieving", Band(ResolvingEnd, RetrievingEnd, _retrieved - 1, _expected),
                    $"{parts[0]} {parts[1]} ({Count(_retrieved)})");
            }
            else if (parts.Length < 2)
            {
                Set("resolving", Math.Min(Fraction + 0.01, ResolvingEnd - 0.02), $"index {rest}");
            }
        }
        else if (TryVerb(text, "Validating ", out rest))
        {
            var parts = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && _retrieved > 0)
            {
                _validated = Math.Min(_validated + 1, _retrieved);
                Set("validating", Band(ResolvingEnd, RetrievingEnd, _validated, Math.Max(_expected, _retrieved + 1)),
                    $"{parts[0]} {parts[1]} ({Count(_validated)})");
            }
            else
            {
                Set("resolving", 0.03, $"index {rest}");
            }
        }
        else if (text.StartsWith("Checking Release signature", StringComparison.Ordinal) ||
                 text.StartsWith("Valid Release signature", StringComparison.Ordinal))
        {
            Set("resolving", 0.02, "release signature");
        }
        else if (text.StartsWith("Resolving dependencies of required", StringComparison.Ordinal))
        {
            Set("resolving", 0.04, "required packages");
        }
        else if (text.StartsWith("Resolving dependencies of base", StringComparison.Ordinal))
        {
            Set("resolving", 0.06, "base packages");
        }
        else if (text.StartsWith("Found additional", StringComparison.Ordinal))
        {
            Set("resolving", 0.065, "dependencies");
        }
        else if (text.StartsWith("Checking component", StringComparison.Ordinal))
        {
            Set("resolving", 0.07, "components");
        }
        else if (text.StartsWith("Chosen extractor", StringComparison.Ordinal))
        {
            Set("extracting", RetrievingEnd, null);
        }
        else if (TryVerb(text, "Extracting ", out rest))
        {
            _extracted++;
            // Only the required set is extracted (88 of 142 when recorded): estimate two thirds of what was fetched.
            var estimate = Math.Max(1, Known() * 2 / 3);
            Set("extracting", Band(RetrievingEnd, ExtractingEnd, _extracted, estimate), TrimDots(rest));
        }
        else if (text.StartsWith("Installing core packages", StringComparison.Ordinal))
        {
            Set("unpacking", ExtractingEnd, "core packages");
        }
        else if (TryVerb(text, "Unpacking ", out rest))
        {
            Install("unpacking", TrimDots(rest));
        }
        else if (TryVerb(text, "Configuring ", out rest))
        {
            Install("configuring", TrimDots(rest));
        }
        else if (text.StartsWith("Base system installed successfully", StringComparison.Ordinal))
        {
            Succeeded = true;
            Set("finishing", InstalledFraction, "base system installed");
        }

        return Current != before;
    }

    private void Install(string stage, string subject)
    {
        // "Unpacking required packages..." and "Configuring the base system..." head a group; package names have no spaces.
        if (subject.Contains(' '))
        {
            Set(stage, InstallingStart, subject);
            return;
        }
        _installSteps++;
        var total = 2 * Known(); // each package is unpacked once and configured once
        Set(stage, Band(InstallingStart, InstalledFraction, _installSteps, total),
            $"{subject} ({_installSteps.ToString(CultureInfo.InvariantCulture)}/{total.ToString(CultureInfo.InvariantCulture)})");
    }

    private int Known() => _retrieved > 0 ? _retrieved : _expected;

    private string Count(int i) =>
        $"{i.ToString(CultureInfo.InvariantCulture)}/~{Math.Max(_expected, _retrieved).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>lo + (hi-lo)·done/total, strictly below hi until debootstrap itself says it moved on.</summary>
    private static double Band(double lo, double hi, int done, int total)
    {
        var ratio = (double)Math.Max(0, done) / Math.Max(total, done + 1);
        return lo + (hi - lo) * ratio;
    }

    private void Set(string stage, double fraction, string? detail)
    {
        Stage = stage;
        Fraction = Math.Clamp(Math.Max(Fraction, fraction), 0, 1);
        Detail = detail;
    }

    private static bool TryVerb(string text, string verb, out string rest)
    {
        if (text.StartsWith(verb, StringComparison.Ordinal))
        {
            rest = text[verb.Length..].Trim();
            return true;
        }
        rest = "";
        return false;
    }

    private static string TrimDots(string s) => s.EndsWith("...", StringComparison.Ordinal) ? s[..^3] : s;
}
