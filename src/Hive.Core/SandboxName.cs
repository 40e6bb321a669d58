using System.Diagnostics.CodeAnalysis;

namespace Hive.Core;

public static class SandboxName
{
    public const string Pattern = "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$";

    public static bool IsValid([NotNullWhen(true)] string? name)
    {
        if (name is null || name.Length is 0 or > 63 || !char.IsAsciiLetterOrDigit(name[0])) return false;
        foreach (var c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-')) return false;
        return true;
    }
}
