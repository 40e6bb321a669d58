using System.Text.Json.Nodes;
using Hive.Daemon.Sandboxes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hive.Daemon.Api;

/// <summary>A sandbox's CPU, memory and task counts over time, as its host sampled them from its cgroup.</summary>
public static class UsageEndpoints
{
    public static void MapUsage(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/sandboxes/{name}/usage", async (string name, SandboxManager m, CancellationToken ct) =>
        {
            var (sandbox, usage) = await m.UsageAsync(name, ct);
            return Results.Text(Json(sandbox.Name, sandbox.Status, sandbox.Config.Resources, usage).ToJsonString(), "application/json");
        }).WithTags("Sandboxes").WithSummary("CPU, memory and task samples of the sandbox's cgroup, oldest first (a bounded ring)");

    public static JsonObject Json(string name, string status, Hive.Core.Config.Resources limits, UsageHistory usage)
    {
        var samples = new JsonArray();
        foreach (var s in usage.Samples)
            samples.Add(new JsonObject
            {
                ["ts"] = s.Ts.ToString("O"),
                ["cpuUsec"] = s.CpuUsec,
                ["cpuPercent"] = s.CpuPercent,
                ["memoryBytes"] = s.MemoryBytes,
                ["memoryPeakBytes"] = s.MemoryPeakBytes,
                ["pids"] = s.Pids,
            });
        return new JsonObject
        {
            ["sandbox"] = name,
            ["status"] = status,
            ["intervalSeconds"] = usage.Interval.TotalSeconds,
            ["capacity"] = usage.Capacity,
            ["limits"] = new JsonObject { ["cpus"] = limits.Cpus, ["memoryMb"] = limits.MemoryMb, ["pids"] = limits.Pids },
            ["samples"] = samples,
        };
    }
}
