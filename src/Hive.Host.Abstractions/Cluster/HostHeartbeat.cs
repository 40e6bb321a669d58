using System.Text.Json;
using System.Text.Json.Nodes;
using Hive.Core.Config;

namespace Hive.Host.Abstractions.Cluster;

/// <summary>
/// What a host tells the controller every few seconds (<c>PUT /v1/cluster/hosts/{name}</c>): where to reach it, how
/// many sandboxes it runs at most, its labels, which sandboxes run on it now, and its version.
/// </summary>
/// <param name="Boot">Random, new each time the host process starts: a controller prepares a restarted host again (its StartupAsync).</param>
public sealed record HostHeartbeat(Uri Advertise, int Capacity, IReadOnlyDictionary<string, string> Labels, IReadOnlyList<string> Running, string Version,
    string? Boot = null)
{
    public const int MaxCapacity = 100_000;
    public const int MaxLabels = 64;

    public string ToJson()
    {
        var labels = new JsonObject();
        foreach (var (k, v) in Labels) labels[k] = v;
        return new JsonObject
        {
            ["advertise"] = Advertise.ToString(),
            ["capacity"] = Capacity,
            ["labels"] = labels,
            ["running"] = new JsonArray([.. Running.Select(r => JsonValue.Create(r))]),
            ["version"] = Version,
            ["boot"] = Boot,
        }.ToJsonString();
    }

    /// <summary>Parses and checks a heartbeat body; null with <paramref name="errors"/> naming each bad field.</summary>
    public static HostHeartbeat? Parse(ReadOnlySpan<byte> json, out IReadOnlyList<ConfigError> errors)
    {
        var problems = new List<ConfigError>();
        errors = problems;
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            problems.Add(new ConfigError("", $"must be a JSON object ({e.Message})"));
            return null;
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new ConfigError("", "must be a JSON object { advertise, capacity, labels, running, version }"));
            return null;
        }
        Uri? advertise = null;
        var capacity = -1;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var running = new List<string>();
        var version = "";
        string? boot = null;
        foreach (var p in root.EnumerateObject())
        {
            switch (p.Name)
            {
                case "advertise":
                    if (p.Value.ValueKind != JsonValueKind.String || !Uri.TryCreate(p.Value.GetString(), UriKind.Absolute, out advertise)
                        || advertise.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(advertise.UserInfo))
                    {
                        advertise = null;
                        problems.Add(new ConfigError("advertise", "must be the host's URL, such as https://10.0.0.5:7443"));
                    }
                    break;
                case "capacity":
                    if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out capacity) || capacity < 0 || capacity > MaxCapacity)
                        problems.Add(new ConfigError("capacity", $"must be a whole number from 0 to {MaxCapacity}"));
                    break;
                case "labels":
                    if (p.Value.ValueKind != JsonValueKind.Object) { problems.Add(new ConfigError("labels", "must be an object of strings")); break; }
                    foreach (var l in p.Value.EnumerateObject())
                    {
                        if (l.Value.ValueKind != JsonValueKind.String) problems.Add(new ConfigError($"labels.{l.Name}", "must be a string"));
                        else labels[l.Name] = l.Value.GetString()!;
                    }
                    if (labels.Count > MaxLabels) problems.Add(new ConfigError("labels", $"at most {MaxLabels} labels"));
                    break;
                case "running":
                    if (p.Value.ValueKind != JsonValueKind.Array) { problems.Add(new ConfigError("running", "must be an array of sandbox names")); break; }
                    foreach (var r in p.Value.EnumerateArray())
                    {
                        if (r.ValueKind == JsonValueKind.String && Hive.Core.SandboxName.IsValid(r.GetString()!)) running.Add(r.GetString()!);
                        else problems.Add(new ConfigError("running", $"{r} is not a sandbox name"));
                    }
                    break;
                case "version":
                    if (p.Value.ValueKind != JsonValueKind.String) problems.Add(new ConfigError("version", "must be a string"));
                    else version = p.Value.GetString()!;
                    break;
                case "boot":
                    if (p.Value.ValueKind == JsonValueKind.Null) break;
                    if (p.Value.ValueKind != JsonValueKind.String || p.Value.GetString()!.Length > 64) problems.Add(new ConfigError("boot", "must be a string of at most 64 characters"));
                    else boot = p.Value.GetString();
                    break;
                default:
                    problems.Add(new ConfigError(p.Name, "unknown field (allowed: advertise, capacity, labels, running, version, boot)"));
                    break;
            }
        }
        if (advertise is null && !problems.Any(e => e.Path == "advertise")) problems.Add(new ConfigError("advertise", "required"));
        if (capacity < 0 && !problems.Any(e => e.Path == "capacity")) problems.Add(new ConfigError("capacity", "required"));
        return problems.Count > 0 ? null : new HostHeartbeat(advertise!, capacity, labels, running, version, boot);
    }

    /// <summary>Host names (cluster.name): 1-253 letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 253 && char.IsAsciiLetterOrDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
