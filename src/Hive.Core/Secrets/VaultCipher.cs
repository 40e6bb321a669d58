using System.Security.Cryptography;
using System.Text;

namespace Hive.Core.Secrets;

/// <summary>Why a stored value could not be read. The message never quotes a value.</summary>
public sealed class SecretVaultException(string message, Exception? inner = null) : Exception(message, inner)
{
    public override string ToString() => base.ToString();
}

/// <summary>
/// AES-256-GCM for secret values at rest. A sealed value is <c>version(1) ‖ nonce(12) ‖ ciphertext ‖ tag(16)</c>, with
/// a random nonce per value and the secret's scope and name as associated data: a ciphertext moved to another row
/// does not decrypt. Keys are derived from the daemon's master key (<see cref="MasterKey"/>).
/// </summary>
public sealed class VaultCipher
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public VaultCipher(MasterKey master) => _key = master.Derive("hive-vault-v1");

    public byte[] Seal(string scope, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var plain = Encoding.UTF8.GetBytes(value);
        var sealedValue = new byte[1 + NonceSize + plain.Length + TagSize];
        sealedValue[0] = Version;
        var nonce = sealedValue.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plain, sealedValue.AsSpan(1 + NonceSize, plain.Length), sealedValue.AsSpan(1 + NonceSize + plain.Length), Associated(scope, name));
        CryptographicOperations.ZeroMemory(plain);
        return sealedValue;
    }

    /// <summary>The value, or <see cref="SecretVaultException"/> when the bytes were altered, moved or sealed under another key.</summary>
    public string Open(string scope, string name, byte[] sealedValue)
    {
        var label = scope.Length == 0 ? $"secret {name}" : $"secret {name} of sandbox {scope}";
        if (sealedValue is null || sealedValue.Length < 1 + NonceSize + TagSize)
            throw new SecretVaultException($"the stored value of {label} is truncated or corrupt");
        if (sealedValue[0] != Version)
            throw new SecretVaultException($"the stored value of {label} has an unknown format version {sealedValue[0]}");
        var length = sealedValue.Length - 1 - NonceSize - TagSize;
        var plain = new byte[length];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(sealedValue.AsSpan(1, NonceSize), sealedValue.AsSpan(1 + NonceSize, length), sealedValue.AsSpan(1 + NonceSize + length), plain,
                Associated(scope, name));
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new SecretVaultException(
                $"the stored value of {label} cannot be decrypted: it was altered, or it was stored under another master key", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    public override string ToString() => "AES-256-GCM vault cipher (key hidden)";

    private static byte[] Associated(string scope, string name) => Encoding.UTF8.GetBytes($"hive-secret-v1\0{scope}\0{name}");
}
