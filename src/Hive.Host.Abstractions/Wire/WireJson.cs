using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hive.Host.Abstractions.Wire;

/// <summary>How the host API's JSON bodies are written and read: camelCase, nulls left out, enums as camelCase words.</summary>
public static class WireJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    public const string ContentType = "application/json";
    public const string ProblemContentType = "application/problem+json";

    public static byte[] Bytes<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    /// <summary>Reads a body or frame; a malformed one is the peer's fault, told as <see cref="HostErrorKind.Invalid"/>.</summary>
    public static T Read<T>(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw Bad(what, "null");
        }
        catch (JsonException e)
        {
            throw Bad(what, e.Message);
        }
    }

    public static async ValueTask<T> ReadAsync<T>(Stream body, string what, CancellationToken ct)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(body, Options, ct) ?? throw Bad(what, "null");
        }
        catch (JsonException e)
        {
            throw Bad(what, e.Message);
        }
    }

    private static HostException Bad(string what, string why) =>
        new(HostErrorKind.Invalid, "Bad request", $"{what}: not a valid host API message ({why})");
}
