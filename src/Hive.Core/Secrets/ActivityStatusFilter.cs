using System.Diagnostics.CodeAnalysis;

namespace Hive.Core.Secrets;

/// <summary><c>?status=</c> of the activity log: a class (<c>4xx</c>) or one code (<c>403</c>), as the inclusive range it stands for.</summary>
public readonly record struct ActivityStatusFilter(int Min, int Max)
{
    public static bool TryParse(string? text, [NotNullWhen(true)] out ActivityStatusFilter? filter, [NotNullWhen(false)] out string? error)
    {
        filter = null;
        var t = (text ?? "").Trim().ToLowerInvariant();
        if (t.Length == 3 && t[0] is >= '1' and <= '5' && t[1..] == "xx")
        {
            var c = (t[0] - '0') * 100;
            filter = new ActivityStatusFilter(c, c + 99);
            error = null;
            return true;
        }
        if (t.Length == 3 && int.TryParse(t, System.Globalization.NumberStyles.None, null, out var code) && code is >= 100 and <= 599)
        {
            filter = new ActivityStatusFilter(code, code);
            error = null;
            return true;
        }
        error = "must be a status class such as 4xx (1xx-5xx) or a status code such as 403";
        return false;
    }
}
