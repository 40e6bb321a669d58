namespace Hive.Mcp.Tools;

/// <summary>What one MCP session keeps between tool calls: the working directory, as a shell would.</summary>
public sealed class ShellSession(string initialCwd)
{
    private readonly Lock _gate = new();
    private string _cwd = initialCwd;

    public string InitialCwd { get; } = initialCwd;

    public string Cwd
    {
        get { lock (_gate) return _cwd; }
        set { lock (_gate) _cwd = value; }
    }
}
