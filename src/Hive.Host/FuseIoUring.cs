using Hive.Host.Settings;
using Microsoft.Extensions.Logging;

namespace Hive.Host;

/// <summary>
/// Turns FUSE over io_uring on for the host when daemon.json allows it (<c>files.ioUring</c>): the kernel offers it at
/// INIT only while the fuse module's <c>enable_uring</c> parameter is on. The parameter is host-wide: any FUSE server
/// started afterwards may use io_uring too; turning it off later does not affect connections already using it.
/// </summary>
public static class FuseIoUring
{
    public const string Parameter = "/sys/module/fuse/parameters/enable_uring";

    /// <summary>True when mounts should ask for io_uring (the setting is on and the parameter is, or could be turned, on).</summary>
    public static bool Enable(FilesSettings settings, ILogger log)
    {
        if (!settings.IoUring) return false;
        try
        {
            if (!File.Exists(Parameter))
            {
                log.LogWarning("files.ioUring is on but {Parameter} does not exist (kernel 6.14+ with CONFIG_FUSE_IO_URING needed): serving FUSE through /dev/fuse", Parameter);
                return false;
            }
            if (File.ReadAllText(Parameter).Trim() != "Y")
            {
                File.WriteAllText(Parameter, "Y");
                log.LogInformation("files.ioUring: turned on {Parameter}", Parameter);
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("files.ioUring is on but {Parameter} could not be turned on ({Message}): serving FUSE through /dev/fuse", Parameter, e.Message);
            return false;
        }
    }
}
