using System.Security.Cryptography;

namespace Hive.Server.Settings;

/// <summary>The API bearer token: generated once into <c>$HIVE_HOME/token</c>, readable by root only.</summary>
public static class TokenFile
{
    public static string LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length >= 32) return existing;
        }
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var tmp = path + ".tmp";
        using (var f = new FileStream(tmp, new FileStreamOptions
               {
                   Mode = FileMode.Create, Access = FileAccess.Write,
                   UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        using (var w = new StreamWriter(f))
            w.Write(token + "\n");
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: true);
        return token;
    }
}
