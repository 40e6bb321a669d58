using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hive.Files.ObjectStores;

/// <summary>
/// Takes out of an object-store mount's line for the daemon's log what must never be in one: the value of its
/// credentials secret and each secret part of it (an S3 key id, secret key or session token; an Azure account key or
/// shared access signature; a service account's private key, line by line), and the query of any URL, where a signed
/// URL or an upload session keeps its signature. The stores build their messages without these; this holds for a
/// message an SDK or a service worded that was not foreseen.
/// </summary>
public sealed partial class StoreLogRedactor
{
    public const string Hidden = "****";

    /// <summary>Parts shorter than this are not looked for (they would hide ordinary words, and no key is so short).</summary>
    public const int MinimumPart = 4;

    private readonly string[] _parts;

    /// <param name="credential">The value of the mount's credentials secret, or null when there is none.</param>
    public StoreLogRedactor(string? credential) =>
        _parts = [.. SecretParts(credential).Where(p => p.Length >= MinimumPart).Distinct(StringComparer.Ordinal).OrderByDescending(p => p.Length)];

    public string Apply(string line)
    {
        foreach (var part in _parts) line = line.Replace(part, Hidden, StringComparison.Ordinal);
        return UrlQuery().Replace(line, "$1?" + Hidden);
    }

    /// <summary>The credential itself and the parts of it that are secret, in each form a store reads.</summary>
    internal static IEnumerable<string> SecretParts(string? credential)
    {
        var value = credential?.Trim();
        if (string.IsNullOrEmpty(value) || value == GcsCredential.Anonymous) yield break;
        yield return value;
        if (value.StartsWith('{'))
        {
            // S3 ({ accessKeyId, secretAccessKey, sessionToken }) or a GCS service account ({ private_key_id, private_key, … }).
            List<string> values = [];
            try
            {
                using var doc = JsonDocument.Parse(value);
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                    foreach (var p in doc.RootElement.EnumerateObject())
                        if (p.Value.ValueKind == JsonValueKind.String && IsSecretName(p.Name)) values.Add(p.Value.GetString()!);
            }
            catch (JsonException)
            {
            }
            foreach (var v in values)
            {
                yield return v;
                yield return JsonEncodedText.Encode(v).ToString();
                // A PEM key, line by line (as it is, and JSON-escaped: '+' as \u002B): a message may quote it in part.
                foreach (var line in v.Split('\n', StringSplitOptions.TrimEntries))
                {
                    yield return line;
                    yield return JsonEncodedText.Encode(line).ToString();
                }
            }
        }
        else if (value.Contains('='))
        {
            // An Azure connection string: Name=value;… (AccountKey, SharedAccessSignature and its sig=…).
            foreach (var setting in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = setting.IndexOf('=');
                if (eq <= 0 || !IsSecretName(setting[..eq])) continue;
                var secret = setting[(eq + 1)..];
                yield return secret;
                foreach (var parameter in secret.Split('&'))
                    if (parameter.StartsWith("sig=", StringComparison.OrdinalIgnoreCase)) yield return parameter[4..];
            }
        }
        else
        {
            // S3: ACCESS_KEY_ID:SECRET_ACCESS_KEY.
            foreach (var part in value.Split(':')) yield return part;
        }
    }

    private static bool IsSecretName(string name) =>
        (name.Contains("key", StringComparison.OrdinalIgnoreCase) || name.Contains("secret", StringComparison.OrdinalIgnoreCase)
         || name.Contains("token", StringComparison.OrdinalIgnoreCase) || name.Contains("signature", StringComparison.OrdinalIgnoreCase))
        && !name.EndsWith("uri", StringComparison.OrdinalIgnoreCase) && !name.EndsWith("url", StringComparison.OrdinalIgnoreCase);

    /// <summary>A URL up to its query (group 1), and the query.</summary>
    [GeneratedRegex(@"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s?#""']+)\?[^\s""']*")]
    private static partial Regex UrlQuery();
}
