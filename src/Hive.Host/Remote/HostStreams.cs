using System.IO.Pipelines;
using System.Threading.Channels;
using Hive.Host.Abstractions.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Routing;

namespace Hive.Host.Remote;

/// <summary>
/// Exec and terminal: one full-duplex HTTP/2 request each. The request body is a header frame (<see cref="WireExec"/>)
/// and, for a terminal, keystroke and resize frames until the user leaves (the body's end); the response is output
/// frames as they come, then one exit or error frame. The controller going away (a reset stream) cancels the command.
/// </summary>
internal static class HostStreams
{
    public const string ContentType = "application/vnd.hive.frames";

    public static void Map(RouteGroupBuilder s, ISandboxHost host, HostedConfigs configs)
    {
        s.MapPost("/" + HostRoutes.Ops.Exec, async (string name, HttpContext c) =>
        {
            var ct = c.RequestAborted;
            var reader = new FrameReader(c.Request.Body);
            var (sandbox, header) = await ReadHeaderAsync(reader, name, configs, ct);
            var writer = await StartAsync(c, ct);
            await RunAsync(writer, async () => WireOutcome.From(await host.ExecAsync(sandbox, header.Spec.ToSpec(), (stream, data, token) =>
            {
                Frames.Write(writer, stream == ExecStream.Stdout ? FrameType.Stdout : FrameType.Stderr, data.Span);
                return Flushed(writer.FlushAsync(token));
            }, ct)));
            return Results.Empty;
        });

        s.MapPost("/" + HostRoutes.Ops.Terminal, async (string name, HttpContext c) =>
        {
            Unlimited(c);
            var ct = c.RequestAborted;
            var reader = new FrameReader(c.Request.Body);
            var (sandbox, header) = await ReadHeaderAsync(reader, name, configs, ct);
            var size = new TerminalSize(header.Rows ?? TerminalSize.Default.Rows, header.Cols ?? TerminalSize.Default.Cols);
            if (!size.IsValid) throw new HostException(HostErrorKind.Invalid, "Bad request", $"rows, cols: must be between 1 and {TerminalSize.Max}");
            var input = Channel.CreateBounded<TerminalInput>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
            using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var reading = ReadInputAsync(reader, input.Writer, stopReading.Token);
            var writer = await StartAsync(c, ct);
            await RunAsync(writer, async () => WireOutcome.From(await host.TerminalAsync(sandbox, header.Spec.ToSpec(), size, input.Reader.ReadAllAsync(ct), (data, token) =>
            {
                Frames.Write(writer, FrameType.Output, data.Span);
                return Flushed(writer.FlushAsync(token));
            }, ct)));
            // Keystrokes still arriving after the exit are dropped.
            await stopReading.CancelAsync();
            await reading;
            return Results.Empty;
        });
    }

    /// <summary>
    /// A terminal's request body is a person typing: idle for minutes, and as long as the session lasts. Kestrel's
    /// minimum body data rate and size limit are for uploads; they would cut an idle session.
    /// </summary>
    internal static void Unlimited(HttpContext c)
    {
        if (c.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate) rate.MinDataRate = null;
        if (c.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = null;
    }

    private static async Task<(HostedSandbox, WireExec)> ReadHeaderAsync(FrameReader reader, string name, HostedConfigs configs, CancellationToken ct)
    {
        var first = await reader.ReadAsync(ct);
        if (first is not { Type: FrameType.Json } f)
            throw new HostException(HostErrorKind.Invalid, "Bad request", "the request body must start with a JSON header frame { config, spec }");
        var header = WireJson.Read<WireExec>(f.Payload.Span, "header");
        return (configs.Hosted(name, header.Config), header);
    }

    private static async Task<PipeWriter> StartAsync(HttpContext c, CancellationToken ct)
    {
        c.Response.ContentType = ContentType;
        await c.Response.StartAsync(ct);
        return c.Response.BodyWriter;
    }

    /// <summary>Runs the command and ends the stream with its exit frame, or with an error frame when the host failed it.</summary>
    private static async Task RunAsync(PipeWriter writer, Func<Task<WireOutcome>> run)
    {
        WireOutcome outcome;
        try
        {
            outcome = await run();
        }
        catch (HostException e)
        {
            await Frames.WriteJsonAsync(writer, FrameType.Error, WireProblem.From(e), CancellationToken.None);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await Frames.WriteJsonAsync(writer, FrameType.Error, WireProblem.Internal(e.Message), CancellationToken.None);
            return;
        }
        await Frames.WriteJsonAsync(writer, FrameType.Exit, outcome, CancellationToken.None);
    }

    private static async Task ReadInputAsync(FrameReader reader, ChannelWriter<TerminalInput> input, CancellationToken ct)
    {
        try
        {
            while (await reader.ReadAsync(ct) is { } frame)
            {
                switch (frame.Type)
                {
                    case FrameType.Keys:
                        // The channel holds it past this frame's buffer: one copy per keystroke frame.
                        await input.WriteAsync(TerminalInput.Typed(frame.Payload.ToArray()), ct);
                        break;
                    case FrameType.Resize:
                        var size = Frames.ReadResize(frame.Payload.Span);
                        if (size.IsValid) await input.WriteAsync(TerminalInput.Resized(size), ct);
                        break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidDataException or ChannelClosedException) { }
        input.TryComplete();
    }

    private static ValueTask Flushed(ValueTask<FlushResult> flush) =>
        flush.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(flush.AsTask());
}
