using Hive.Core.Secrets;

namespace Hive.Server.Settings;

/// <summary>
/// Where the master key comes from: <c>HIVE_MASTER_KEY</c> (64 hex digits or base64 of 32 bytes) when set, else
/// <c>$HIVE_HOME/master.key</c> (32 raw bytes, mode 0600, created on first start). A key file that others can read, or
/// that is not exactly 32 bytes, is refused rather than used.
/// </summary>
public static class MasterKeyFile
{
    public const string EnvVar = "HIVE_MASTER_KEY";
    public const string FileName = "master.key";

    /// <exception cref="FormatException">The key is unusable; the message says why and what to do.</exception>
    public static MasterKey Load(string home, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        if (env(EnvVar) is { } text)
        {
            if (!MasterKey.TryParse(text, out var key, out var error)) throw new FormatException($"{EnvVar} {error}");
            return key;
        }
        var path = Path.Combine(home, FileName);
        if (!File.Exists(path)) return Create(path);
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
            throw new FormatException($"{path} is a symbolic link; the master key must be a regular file (mode 0600)");
        var mode = File.GetUnixFileMode(path);
        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((mode & others) != 0)
            throw new FormatException($"{path} is readable or writable by group or others (mode {Octal(mode)}); run `chmod 600 {path}` and make sure nobody copied it");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != MasterKey.Size)
            throw new FormatException($"{path} holds {bytes.Length} bytes; a master key is exactly {MasterKey.Size} random bytes. " +
                $"Restore the original file (without it the stored secrets cannot be decrypted), or set {EnvVar}");
        return new MasterKey(bytes);
    }

    private static MasterKey Create(string path)
    {
        var key = MasterKey.Generate();
        var tmp = path + ".tmp";
        using (var f = new FileStream(tmp, new FileStreamOptions
               {
                   Mode = FileMode.Create, Access = FileAccess.Write,
                   UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
            f.Write(key.ToArray());
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: false);
        return key;
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
}
