using System.Runtime.CompilerServices;
using Hive.Core.Config;

namespace Hive.Host.Abstractions.Wire;

/// <summary>A sandbox's config on the wire: JSON text written once per config object, parsed back to an equal config.</summary>
public static class ConfigWire
{
    private static readonly ConditionalWeakTable<SandboxConfig, string> Written = new();

    public static string Write(SandboxConfig config) => Written.GetValue(config, c => ConfigJson.Serialize(c, redact: false));

    public static WireSandbox Write(HostedSandbox sandbox) => new(sandbox.Name, Write(sandbox.Config));

    public static SandboxConfig Read(string json, string sandbox, string field = "config")
    {
        var parsed = ConfigParser.Parse(json, sandbox);
        if (!parsed.Ok)
            throw new HostException(HostErrorKind.Invalid, "Invalid configuration",
                $"{field}: the config sent for sandbox {sandbox} does not parse: {string.Join("; ", parsed.Errors)}", parsed.Errors);
        return parsed.Config!;
    }
}
