using System.Security.Cryptography;
using System.Text.Json;

namespace Hive.Files.Tests.ObjectStore;

/// <summary>
/// A Google service-account key made for the tests (a fresh RSA key, as the console's JSON file holds one), so the gcs
/// store is driven with the credential form users give it. Its token_uri is a closed loopback port: were the SDK ever
/// to ask for an OAuth token instead of signing its own JWT, the request would fail here and never leave the machine.
/// </summary>
public static class GcsServiceAccount
{
    public const string ClientEmail = "hive-tests@demo-hive.iam.gserviceaccount.com";

    private static readonly Lazy<string> Key = new(() =>
    {
        using var rsa = RSA.Create(2048);
        return rsa.ExportPkcs8PrivateKeyPem();
    });

    /// <summary>The PEM private key, to check that it appears in no message or log.</summary>
    public static string PrivateKeyPem => Key.Value;

    public static string Json => Make(ClientEmail, Key.Value);

    /// <summary>A key of an account no store knows (a real store refuses it).</summary>
    public static string Unknown
    {
        get
        {
            using var rsa = RSA.Create(2048);
            return Make("unknown@demo-hive.iam.gserviceaccount.com", rsa.ExportPkcs8PrivateKeyPem());
        }
    }

    private static string Make(string email, string key) => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["type"] = "service_account",
        ["project_id"] = "demo-hive",
        ["private_key_id"] = "0123456789abcdef0123456789abcdef01234567",
        ["private_key"] = key + "\n",
        ["client_email"] = email,
        ["client_id"] = "100000000000000000000",
        ["auth_uri"] = "http://127.0.0.1:9/auth",
        ["token_uri"] = "http://127.0.0.1:9/token",
    });
}
