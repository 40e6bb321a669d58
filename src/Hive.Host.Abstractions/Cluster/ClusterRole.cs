namespace Hive.Host.Abstractions.Cluster;

/// <summary>What a cluster certificate lets its holder be: the controller (dials hosts) or a host (serves sandboxes).</summary>
public enum ClusterRole { Controller, Host }

/// <summary>How a role appears in a certificate: the subject OU and a SAN URI.</summary>
public static class ClusterRoles
{
    public const string UriPrefix = "hive://role/";

    public static string Word(ClusterRole role) => role switch
    {
        ClusterRole.Controller => "controller",
        ClusterRole.Host => "host",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>The subject OU: <c>hive-controller</c> or <c>hive-host</c>.</summary>
    public static string OrganizationalUnit(ClusterRole role) => "hive-" + Word(role);

    public static string Uri(ClusterRole role) => UriPrefix + Word(role);

    public static bool TryParse(string? word, out ClusterRole role)
    {
        switch (word)
        {
            case "controller": role = ClusterRole.Controller; return true;
            case "host": role = ClusterRole.Host; return true;
            default: role = default; return false;
        }
    }
}
