namespace Hive.Mcp.Tools;

/// <summary>A failure the model should read and act on: returned as the tool's error text, never as a crash.</summary>
public sealed class ToolException(string message) : Exception(message);
