using System.Reflection;
using System.Text.RegularExpressions;
using Hive.Core.Config;
using Hive.Daemon.Settings;
using Hive.Host.Settings;
using Hive.Server.Settings;

namespace Hive.Docs.Tests;

/// <summary>
/// Every field the parsers accept is described in docs/configuration.md, written as its full path in a code span
/// (<c>`fs[].acls[].path`</c>, <c>`upstream.hosts`</c>). The field lists come from the parsers themselves: each object
/// of a sandbox config, and of daemon.json, is given an unknown field, and the "allowed: …" list of the error is what
/// the parser accepts there.
/// </summary>
public partial class ConfigFieldTests
{
    private const string Probe = "zzUnknownFieldzz";

    /// <summary>Each object of a SandboxConfig: its path in the docs, and a body that puts an unknown field in it.</summary>
    private static readonly (string Path, string Body)[] SandboxObjects =
    [
        ("", $$"""{ "{{Probe}}": 1 }"""),
        ("resources.", $$"""{ "resources": { "{{Probe}}": 1 } }"""),
        ("fs[].", $$"""{ "fs": [ { "{{Probe}}": 1 } ] }"""),
        ("fs[].acls[].", $$"""{ "fs": [ { "backend": "local", "mount": "/w", "acls": [ { "{{Probe}}": 1 } ] } ] }"""),
        ("egress.", $$"""{ "egress": { "{{Probe}}": 1 } }"""),
        ("egress[].", $$"""{ "egress": [ { "{{Probe}}": 1 } ] }"""),
        ("egress[].override.", $$"""{ "egress": [ { "access": "allow", "host": "a.example", "override": { "{{Probe}}": 1 } } ] }"""),
    ];

    private static readonly (string Path, string Body)[] DaemonObjects =
    [
        ("", $$"""{ "{{Probe}}": 1 }"""),
        ("upstream.", $$"""{ "upstream": { "{{Probe}}": 1 } }"""),
        ("cluster.", $$"""{ "cluster": { "{{Probe}}": 1 } }"""),
        ("cluster.tls.", $$"""{ "cluster": { "tls": { "{{Probe}}": 1 } } }"""),
    ];

    public static IEnumerable<string> SandboxConfigFields() =>
        SandboxObjects.SelectMany(o => AllowedSandboxFields(o.Body).Select(f => o.Path + f));

    public static IEnumerable<string> DaemonSettingFields() =>
        DaemonObjects.SelectMany(o => AllowedDaemonFields(o.Body).Select(f => o.Path + f));

    [Fact]
    public void Every_sandbox_config_field_is_in_the_configuration_reference() => AssertDocumented(SandboxConfigFields(), "SandboxConfig");

    [Fact]
    public void Every_daemon_setting_is_in_the_configuration_reference() => AssertDocumented(DaemonSettingFields(), "daemon.json");

    /// <summary>
    /// The probes must reach every field list of the parsers: a new nested object (a new <c>…Fields</c> array in
    /// Hive.Core.Config) without a probe here would otherwise go unchecked.
    /// </summary>
    [Fact]
    public void Every_field_list_of_the_config_parsers_is_probed()
    {
        var probed = SandboxObjects.Select(o => string.Join(",", AllowedSandboxFields(o.Body))).ToHashSet(StringComparer.Ordinal);
        var lists = typeof(ConfigParser).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(ConfigParser).Namespace)
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
                .Where(f => f.FieldType == typeof(string[]) && f.Name.EndsWith("Fields", StringComparison.Ordinal))
                .Select(f => (Name: $"{t.Name}.{f.Name}", Value: string.Join(",", (string[])f.GetValue(null)!))))
            .ToList();
        Assert.NotEmpty(lists);
        var missing = lists.Where(l => !probed.Contains(l.Value)).Select(l => $"{l.Name} [{l.Value}]").ToList();
        Assert.True(missing.Count == 0,
            "field lists no probe in ConfigFieldTests.SandboxObjects reaches (add the object's JSON path and a body): " + string.Join("; ", missing));
    }

    [Fact]
    public void The_probes_find_the_fields_everyone_knows()
    {
        var fields = SandboxConfigFields().ToList();
        Assert.Contains("image", fields);
        Assert.Contains("fs[].acls[].access", fields);
        Assert.Contains("egress[].override.headers", fields);
        Assert.Contains("egress.deny", fields);
        Assert.Contains("upstream.allowPrivate", DaemonSettingFields());
    }

    /// <summary>The check itself: a reference that leaves a field out fails, naming it.</summary>
    [Fact]
    public void A_reference_without_a_field_fails_naming_it()
    {
        var text = File.ReadAllText(ReferencePath).Replace("`resources.pids`", "resources pids", StringComparison.Ordinal);
        Assert.Equal(["resources.pids"], Undocumented(SandboxConfigFields(), text));
    }

    private static string ReferencePath => Path.Combine(RepositoryFiles.DocsDirectory, "configuration.md");

    private static void AssertDocumented(IEnumerable<string> fields, string what)
    {
        var missing = Undocumented(fields, File.ReadAllText(ReferencePath));
        Assert.True(missing.Count == 0,
            $"docs/configuration.md does not describe these {what} fields (write each as its path in a code span, e.g. `fs[].mount`): {string.Join(", ", missing)}");
    }

    private static List<string> Undocumented(IEnumerable<string> fields, string reference) =>
        fields.Where(f => !reference.Contains($"`{f}`", StringComparison.Ordinal)).ToList();

    private static IReadOnlyList<string> AllowedSandboxFields(string body)
    {
        var result = ConfigParser.Parse(body, "docs");
        var error = result.Errors.SingleOrDefault(e => e.Path.EndsWith(Probe, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{body}: the parser did not reject the unknown field (errors: {string.Join("; ", result.Errors)})");
        return Allowed(error.Message);
    }

    private static IReadOnlyList<string> AllowedDaemonFields(string body)
    {
        var home = Directory.CreateTempSubdirectory("hive-docs-");
        var before = Environment.GetEnvironmentVariable("HIVE_HOME");
        try
        {
            File.WriteAllText(Path.Combine(home.FullName, "daemon.json"), body);
            Environment.SetEnvironmentVariable("HIVE_HOME", home.FullName);
            var e = Assert.Throws<FormatException>(() => DaemonSettings.Load());
            Assert.Contains(Probe, e.Message);
            return Allowed(e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HIVE_HOME", before);
            home.Delete(recursive: true);
        }
    }

    private static IReadOnlyList<string> Allowed(string message)
    {
        var m = AllowedList().Match(message);
        Assert.True(m.Success, $"no \"(allowed: …)\" list in the error: {message}");
        return m.Groups["list"].Value.Split(", ");
    }

    [GeneratedRegex(@"\(allowed: (?<list>[^)]*)\)")]
    private static partial Regex AllowedList();
}
