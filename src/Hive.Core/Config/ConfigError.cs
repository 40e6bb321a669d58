namespace Hive.Core.Config;

/// <summary>A problem with one place in a config. <see cref="Path"/> is a JSON path such as <c>egress[2].ports[0]</c>.</summary>
public sealed record ConfigError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

public sealed record ConfigParseResult(SandboxConfig? Config, IReadOnlyList<ConfigError> Errors)
{
    public bool Ok => Config is not null;
}
