using System.Diagnostics;

namespace Hive.Core.Processes;

/// <summary>
/// Closes the pipe ends of a started <see cref="Process"/>'s redirected stdin, stdout and stderr when disposed.
/// <see cref="Process.Dispose()"/> leaves open every stream the caller has touched (they are the caller's to close),
/// so without this each command keeps its pipes until a garbage collection finalises them.
/// Declare it after the process (<c>using var pipes = new RedirectedPipes(process)</c>) so it is disposed first.
/// </summary>
public sealed class RedirectedPipes(Process process) : IDisposable
{
    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var start = process.StartInfo;
        if (start.RedirectStandardInput) Close(() => process.StandardInput);
        if (start.RedirectStandardOutput) Close(() => process.StandardOutput);
        if (start.RedirectStandardError) Close(() => process.StandardError);
    }

    private static void Close(Func<IDisposable> stream)
    {
        try
        {
            stream().Dispose();
        }
        catch (InvalidOperationException)
        {
            // never started, or read asynchronously (BeginOutputReadLine): Process.Dispose closes those itself
        }
        catch (IOException)
        {
            // stdin's flush on close hit a reader that already exited: the pipe is closed all the same
        }
    }
}
