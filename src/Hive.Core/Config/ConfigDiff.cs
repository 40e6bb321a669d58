using System.Globalization;

namespace Hive.Core.Config;

/// <param name="Changes">What applying would change, for people: never env values or override values.</param>
/// <param name="ImmutableViolations">Fields that may not change after creation; non-empty means the apply must fail (422).</param>
public sealed record ConfigComparison(IReadOnlyList<string> Changes, IReadOnlyList<ConfigError> ImmutableViolations)
{
    public bool HasChanges => Changes.Count > 0 || ImmutableViolations.Count > 0;
}

/// <summary>
/// Compares a running sandbox's config with a proposed one. Image, env and each mount's identity (backend, mount,
/// volume, origin, container, bucket, prefix, region, endpoint, credentials) are immutable; the set of mounts too, though their order and acls may change.
/// Immutable differences are reported only as violations, not as changes.
/// </summary>
public static class ConfigDiff
{
    public static ConfigComparison Compare(SandboxConfig current, SandboxConfig proposed)
    {
        var changes = new List<string>();
        var violations = new List<ConfigError>();

        if (current.Image != proposed.Image)
            violations.Add(new ConfigError("image", $"cannot change after creation (was \"{current.Image}\")"));
        if (KeyDelta(current.Env, proposed.Env) is { } envDelta)
            violations.Add(new ConfigError("env", $"cannot change after creation ({envDelta})"));
        CompareFs(current.Fs, proposed.Fs, changes, violations);

        if (KeyDelta(current.Secrets, proposed.Secrets) is { } secretsDelta) changes.Add("secrets: " + secretsDelta);
        CompareEgress(current.Egress, proposed.Egress, changes);
        if (current.EgressDefault != proposed.EgressDefault) changes.Add($"egressDefault: {Name(current.EgressDefault)} -> {Name(proposed.EgressDefault)}");
        if (current.AskTimeout != proposed.AskTimeout) changes.Add($"askTimeout: {current.AskTimeout} -> {proposed.AskTimeout}");
        if (current.Ttl != proposed.Ttl) changes.Add($"ttl: {current.Ttl} -> {proposed.Ttl}");
        CompareResources(current.Resources, proposed.Resources, changes);

        return new ConfigComparison(changes.AsReadOnly(), violations.AsReadOnly());
    }

    /// <summary><c>+ADDED -REMOVED ~CHANGED</c> over the keys, or null when the maps are equal. Values are never shown.</summary>
    private static string? KeyDelta(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        var parts = new List<string>();
        foreach (var (key, value) in after)
            if (!before.TryGetValue(key, out var old)) parts.Add("+" + key);
            else if (old != value) parts.Add("~" + key);
        foreach (var key in before.Keys)
            if (!after.ContainsKey(key)) parts.Add("-" + key);
        // Keep the order: added and changed in the new order, then removed.
        return parts.Count == 0 ? null : string.Join(" ", parts.OrderBy(p => p[0] == '-' ? 1 : 0));
    }

    private static void CompareFs(IReadOnlyList<FsMount> current, IReadOnlyList<FsMount> proposed, List<string> changes, List<ConfigError> violations)
    {
        var byMount = current.ToDictionary(m => m.Mount, StringComparer.Ordinal);
        var proposedMounts = proposed.Select(m => m.Mount).ToHashSet(StringComparer.Ordinal);
        var added = proposed.Where(m => !byMount.ContainsKey(m.Mount)).Select(m => "+" + m.Mount);
        var removed = current.Where(m => !proposedMounts.Contains(m.Mount)).Select(m => "-" + m.Mount);
        var delta = string.Join(" ", added.Concat(removed));
        if (delta.Length > 0)
            violations.Add(new ConfigError("fs", $"mounts cannot be added or removed after creation ({delta})"));

        for (var i = 0; i < proposed.Count; i++)
        {
            var next = proposed[i];
            if (!byMount.TryGetValue(next.Mount, out var old)) continue;
            var path = $"fs[{i}]";
            Immutable(violations, path + ".backend", ConfigJson.Name(old.Backend), ConfigJson.Name(next.Backend));
            Immutable(violations, path + ".volume", old.Volume, next.Volume);
            Immutable(violations, path + ".origin", old.Origin, next.Origin);
            Immutable(violations, path + ".container", old.Container, next.Container);
            Immutable(violations, path + ".bucket", old.Bucket, next.Bucket);
            Immutable(violations, path + ".prefix", old.Prefix, next.Prefix);
            Immutable(violations, path + ".region", old.Region, next.Region);
            Immutable(violations, path + ".endpoint", old.Endpoint, next.Endpoint);
            Immutable(violations, path + ".credentials", old.Credentials, next.Credentials);
            if (!Equality.Lists(old.Acls, next.Acls)) changes.Add(path + ".acls changed");
        }

        if (delta.Length == 0 && !current.Select(m => m.Mount).SequenceEqual(proposed.Select(m => m.Mount)))
            changes.Add("fs: mounts reordered");
    }

    private static void Immutable(List<ConfigError> violations, string path, string? before, string? after)
    {
        if (before != after)
            violations.Add(new ConfigError(path, $"cannot change after creation (was {(before is null ? "not set" : $"\"{before}\"")})"));
    }

    private static void CompareEgress(IReadOnlyList<EgressRule> current, IReadOnlyList<EgressRule> proposed, List<string> changes)
    {
        if (current.Count != proposed.Count)
        {
            changes.Add($"egress: {Rules(current.Count)} -> {Rules(proposed.Count)}");
            return;
        }
        for (var i = 0; i < current.Count; i++)
        {
            var (a, b) = (current[i], proposed[i]);
            if (a == b) continue;
            var fields = new List<string>();
            if (a.Access != b.Access) fields.Add("access");
            if (a.Host != b.Host) fields.Add("host");
            if (!Equality.Lists(a.Ports, b.Ports)) fields.Add("ports");
            if (!Equality.Lists(a.Methods, b.Methods)) fields.Add("methods");
            if (!Equality.Lists(a.Paths, b.Paths)) fields.Add("paths");
            if (a.Override != b.Override) fields.Add("override");
            changes.Add($"egress[{i}] changed ({string.Join(", ", fields)})");
        }

        static string Rules(int n) => n == 1 ? "1 rule" : $"{n} rules";
    }

    private static string Name(EgressDefault d) => d == EgressDefault.Ask ? "ask" : "deny";

    private static void CompareResources(Resources current, Resources proposed, List<string> changes)
    {
        if (current.Cpus != proposed.Cpus)
            changes.Add($"resources.cpus: {current.Cpus.ToString(CultureInfo.InvariantCulture)} -> {proposed.Cpus.ToString(CultureInfo.InvariantCulture)}");
        if (current.MemoryMb != proposed.MemoryMb) changes.Add($"resources.memoryMb: {current.MemoryMb} -> {proposed.MemoryMb}");
        if (current.Pids != proposed.Pids) changes.Add($"resources.pids: {current.Pids} -> {proposed.Pids}");
    }
}
