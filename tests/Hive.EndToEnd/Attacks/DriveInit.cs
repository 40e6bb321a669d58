using Hive.EndToEnd.Infrastructure;

namespace Hive.EndToEnd.Attacks;

/// <summary>drive-init.c compiled static, so it runs in any image: an agent's client for hive-init's protocol.</summary>
public static class DriveInit
{
    public static async Task<string> CompileAsync(string directory)
    {
        var binary = Path.Combine(directory, "drive-init");
        var cc = await Proc.RunAsync("clang", ["-static", "-O2", "-o", binary, Path.Combine(Repo.Root, "tests", "Hive.EndToEnd", "Attacks", "drive-init.c")]);
        Assert.True(cc.ExitCode == 0, $"clang failed (make deps installs it): {cc.Stderr}");
        return binary;
    }
}
