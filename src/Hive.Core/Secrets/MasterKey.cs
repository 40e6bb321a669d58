using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Hive.Core.Secrets;

/// <summary>
/// The daemon's 32-byte master key (from <c>$HIVE_HOME/master.key</c> or <c>HIVE_MASTER_KEY</c>). Every key in use is
/// derived from it with HKDF-SHA256 under its own label, so the vault, the stand-ins and the key check never share one.
/// </summary>
public sealed class MasterKey
{
    public const int Size = 32;
    private readonly byte[] _key;

    public MasterKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != Size) throw new ArgumentException($"a master key is exactly {Size} bytes, not {key.Length}", nameof(key));
        _key = key.ToArray();
    }

    public static MasterKey Generate() => new(RandomNumberGenerator.GetBytes(Size));

    /// <summary>Parses <c>HIVE_MASTER_KEY</c>: 64 hex digits or base64 (standard or URL-safe) of 32 bytes. The error never quotes the text.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out MasterKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        var t = (text ?? "").Trim();
        if (t.Length == 0) { error = "is empty"; return false; }
        if (t.Length == 2 * Size && t.All(char.IsAsciiHexDigit))
        {
            key = new MasterKey(Convert.FromHexString(t));
            error = null;
            return true;
        }
        var b64 = t.Replace('-', '+').Replace('_', '/');
        if (b64.Length % 4 != 0) b64 += new string('=', 4 - b64.Length % 4);
        var buffer = new byte[b64.Length];
        if (Convert.TryFromBase64String(b64, buffer, out var n))
        {
            if (n == Size)
            {
                key = new MasterKey(buffer.AsSpan(0, n));
                error = null;
                return true;
            }
            error = $"decodes to {n} bytes; it must be {Size} bytes (64 hex digits or 44 base64 characters), e.g. from `openssl rand -base64 32`";
            return false;
        }
        error = $"is neither 64 hex digits nor base64 of {Size} bytes; make one with `openssl rand -base64 32`";
        return false;
    }

    /// <summary>HKDF-SHA256 of the master key for <paramref name="label"/>.</summary>
    public byte[] Derive(string label, int length = 32) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, length, salt: [], info: Encoding.UTF8.GetBytes(label));

    /// <summary>A value that identifies the key without revealing it: stored once, it tells "wrong key" from "tampered".</summary>
    public string Fingerprint() => Convert.ToHexStringLower(Derive("hive-key-check-v1", 16));

    public byte[] StandInKey() => Derive("hive-standin-v1");

    public byte[] ToArray() => (byte[])_key.Clone();

    public override string ToString() => "master key (hidden)";
}
