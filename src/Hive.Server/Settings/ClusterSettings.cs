using System.Net;
using System.Text.Json;
using Hive.Host.Abstractions.Cluster;

namespace Hive.Server.Settings;

/// <summary>What <c>hive daemon</c> runs: <c>all</c> (controller and host in one process), <c>controller</c> or <c>host</c>.</summary>
public enum DaemonRole { All, Controller, Host }

public static class DaemonRoles
{
    public const string Allowed = "all, controller or host";

    public static bool TryParse(string? word, out DaemonRole role)
    {
        switch (word)
        {
            case "all": role = DaemonRole.All; return true;
            case "controller": role = DaemonRole.Controller; return true;
            case "host": role = DaemonRole.Host; return true;
            default: role = default; return false;
        }
    }

    public static string Word(DaemonRole role) => role.ToString().ToLowerInvariant();
}

/// <summary>PEM files of <c>cluster.tls</c> (relative paths are under HIVE_HOME).</summary>
public sealed record ClusterTlsPaths(string Ca, string Cert, string Key);

/// <summary>daemon.json <c>cluster</c> (docs/cluster.md), after the environment's overrides.</summary>
/// <param name="Listen">The mTLS endpoint: the controller's cluster routes, or a host's host API.</param>
/// <param name="Controller">Host role: the controller's cluster URL.</param>
/// <param name="Advertise">Host role: the URL the controller dials to reach this host.</param>
/// <param name="Name">This host's name (default: the machine's host name).</param>
/// <param name="Capacity">Host role: most sandboxes it runs (null: as many as its subnet has slots).</param>
/// <param name="HeartbeatSeconds">How often hosts send heartbeats; a host is lost after three missed ones.</param>
public sealed record ClusterSettings(IPEndPoint Listen, Uri? Controller, Uri? Advertise, string Name, IReadOnlyDictionary<string, string> Labels, int? Capacity,
    ClusterTlsPaths? Tls, double HeartbeatSeconds)
{
    public const string DefaultListen = "0.0.0.0:7443";
    public const double DefaultHeartbeatSeconds = 5;
    public const double MinHeartbeatSeconds = 1, MaxHeartbeatSeconds = 300;

    public static ClusterSettings Default { get; } = new(IPEndPoint.Parse(DefaultListen), null, null, DefaultName(), new Dictionary<string, string>(), null, null,
        DefaultHeartbeatSeconds);

    public TimeSpan HeartbeatInterval => TimeSpan.FromSeconds(HeartbeatSeconds);

    /// <summary>The machine's host name when it is a valid host name, else "host".</summary>
    public static string DefaultName()
    {
        var name = Environment.MachineName.ToLowerInvariant();
        return HostHeartbeat.IsValidName(name) ? name : "host";
    }

    public static ClusterSettings Parse(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new FormatException("cluster: must be an object such as { \"listen\": \"0.0.0.0:7443\", \"tls\": { \"ca\": \"…\", \"cert\": \"…\", \"key\": \"…\" } }");
        var s = Default;
        foreach (var e in value.EnumerateObject())
        {
            switch (e.Name)
            {
                case "listen": s = s with { Listen = Endpoint(String(e), "cluster.listen") }; break;
                case "controller": s = s with { Controller = Url(String(e), "cluster.controller") }; break;
                case "advertise": s = s with { Advertise = Url(String(e), "cluster.advertise") }; break;
                case "name": s = s with { Name = HostName(String(e), "cluster.name") }; break;
                case "labels":
                    if (e.Value.ValueKind != JsonValueKind.Object) throw new FormatException("cluster.labels: must be an object of strings such as { \"zone\": \"a\" }");
                    var labels = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var l in e.Value.EnumerateObject())
                    {
                        if (l.Value.ValueKind != JsonValueKind.String) throw new FormatException($"cluster.labels.{l.Name}: must be a string");
                        labels[l.Name] = l.Value.GetString()!;
                    }
                    if (labels.Count > HostHeartbeat.MaxLabels) throw new FormatException($"cluster.labels: at most {HostHeartbeat.MaxLabels} labels");
                    s = s with { Labels = labels };
                    break;
                case "capacity":
                    if (e.Value.ValueKind != JsonValueKind.Number || !e.Value.TryGetInt32(out var capacity) || capacity < 1 || capacity > HostHeartbeat.MaxCapacity)
                        throw new FormatException($"cluster.capacity: must be a whole number of sandboxes from 1 to {HostHeartbeat.MaxCapacity}");
                    s = s with { Capacity = capacity };
                    break;
                case "tls": s = s with { Tls = ParseTls(e.Value) }; break;
                case "heartbeatSeconds":
                    if (e.Value.ValueKind != JsonValueKind.Number || !e.Value.TryGetDouble(out var seconds) || seconds < MinHeartbeatSeconds || seconds > MaxHeartbeatSeconds)
                        throw new FormatException($"cluster.heartbeatSeconds: must be a number of seconds from {MinHeartbeatSeconds} to {MaxHeartbeatSeconds}");
                    s = s with { HeartbeatSeconds = seconds };
                    break;
                default:
                    throw new FormatException($"cluster.{e.Name}: unknown setting (allowed: listen, controller, advertise, name, labels, capacity, tls, heartbeatSeconds)");
            }
        }
        return s;
    }

    private static ClusterTlsPaths ParseTls(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new FormatException("cluster.tls: must be an object { \"ca\": PATH, \"cert\": PATH, \"key\": PATH }");
        string? ca = null, cert = null, key = null;
        foreach (var e in value.EnumerateObject())
        {
            switch (e.Name)
            {
                case "ca": ca = String(e, "cluster.tls.ca"); break;
                case "cert": cert = String(e, "cluster.tls.cert"); break;
                case "key": key = String(e, "cluster.tls.key"); break;
                default: throw new FormatException($"cluster.tls.{e.Name}: unknown setting (allowed: ca, cert, key)");
            }
        }
        foreach (var (field, v) in new[] { ("ca", ca), ("cert", cert), ("key", key) })
            if (string.IsNullOrWhiteSpace(v)) throw new FormatException($"cluster.tls.{field}: required: the path of a PEM file (ca.crt, tls.crt, tls.key from hive cluster ca / cert)");
        return new ClusterTlsPaths(ca!, cert!, key!);
    }

    /// <summary>HIVE_CLUSTER_CONTROLLER, HIVE_CLUSTER_ADVERTISE and HIVE_CLUSTER_NAME over the file's values.</summary>
    public ClusterSettings WithEnvironment(Func<string, string?> env)
    {
        var s = this;
        if (env("HIVE_CLUSTER_CONTROLLER") is { Length: > 0 } c) s = s with { Controller = Url(c, "HIVE_CLUSTER_CONTROLLER") };
        if (env("HIVE_CLUSTER_ADVERTISE") is { Length: > 0 } a) s = s with { Advertise = Url(a, "HIVE_CLUSTER_ADVERTISE") };
        if (env("HIVE_CLUSTER_NAME") is { Length: > 0 } n) s = s with { Name = HostName(n, "HIVE_CLUSTER_NAME") };
        return s;
    }

    /// <summary>What <paramref name="role"/> needs, each missing setting named; relative TLS paths made absolute under <paramref name="home"/>.</summary>
    public ClusterSettings Validate(DaemonRole role, string home)
    {
        var s = Tls is { } t ? this with { Tls = new ClusterTlsPaths(Path.Combine(home, t.Ca), Path.Combine(home, t.Cert), Path.Combine(home, t.Key)) } : this;
        var word = DaemonRoles.Word(role);
        if (role is DaemonRole.Controller or DaemonRole.Host && s.Tls is null)
            throw new FormatException($"cluster.tls: required when role is {word}: {{ \"ca\": \"ca.crt\", \"cert\": \"tls.crt\", \"key\": \"tls.key\" }} " +
                                      $"(PEM files from hive cluster ca and hive cluster cert --role {word})");
        if (role == DaemonRole.Host)
        {
            if (s.Controller is null)
                throw new FormatException("cluster.controller: required when role is host: the controller's cluster URL such as https://hive-controller:7443 (or HIVE_CLUSTER_CONTROLLER)");
            if (s.Advertise is null)
                throw new FormatException("cluster.advertise: required when role is host: the URL the controller dials to reach this host, such as https://10.0.0.5:7443 (or HIVE_CLUSTER_ADVERTISE)");
        }
        return s;
    }

    private static string String(JsonProperty e, string? field = null) =>
        e.Value.ValueKind == JsonValueKind.String ? e.Value.GetString()! : throw new FormatException($"{field ?? "cluster." + e.Name}: must be a string");

    private static IPEndPoint Endpoint(string text, string field) =>
        IPEndPoint.TryParse(text, out var ep) && ep.Port != 0 ? ep : throw new FormatException($"{field}: must be ADDRESS:PORT such as 0.0.0.0:7443, got \"{text}\"");

    private static Uri Url(string text, string field) =>
        Uri.TryCreate(text, UriKind.Absolute, out var u) && u.Scheme == "https" && string.IsNullOrEmpty(u.UserInfo) && u.AbsolutePath == "/" && string.IsNullOrEmpty(u.Query)
            ? u
            : throw new FormatException($"{field}: must be an https URL with a host and port only, such as https://hive-controller:7443, got \"{text}\"");

    private static string HostName(string text, string field) =>
        HostHeartbeat.IsValidName(text) ? text : throw new FormatException($"{field}: \"{text}\" is not a host name: use 1-253 letters, digits, '.', '_' or '-', starting with a letter or digit");
}
