using System.Globalization;
namespace Hive.Files.Owner;

/// <summary>
/// How long one backend call of the files API may take (30 s, or <c>HIVE_FILES_TIMEOUT_MS</c>). A call that overruns
/// answers 504; its thread is left to finish on its own, since a system call stuck in the kernel cannot be cancelled.
/// </summary>
public sealed class FilesDeadline(TimeSpan timeout)
{
    public const string EnvironmentVariable = "HIVE_FILES_TIMEOUT_MS";
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    public TimeSpan Timeout { get; } = timeout;

    /// <summary>From <c>HIVE_FILES_TIMEOUT_MS</c> (a positive number of milliseconds) or the default.</summary>
    public static FilesDeadline FromEnvironment(Func<string, string?>? env = null)
    {
        var value = (env ?? Environment.GetEnvironmentVariable)(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(value)) return new FilesDeadline(Default);
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms <= 0)
            throw new InvalidOperationException($"{EnvironmentVariable}: \"{value}\" is not a positive number of milliseconds");
        return new FilesDeadline(TimeSpan.FromMilliseconds(ms));
    }

    /// <summary>Runs <paramref name="call"/> on the thread pool; past the deadline, calls <paramref name="abandoned"/> and throws a 504.</summary>
    public async Task<T> RunAsync<T>(Func<T> call, string path, string op, CancellationToken ct, Action? abandoned = null)
    {
        var task = Task.Run(call, CancellationToken.None);
        try
        {
            return await task.WaitAsync(Timeout, ct);
        }
        catch (TimeoutException)
        {
            abandoned?.Invoke();
            throw new OwnerFilesException(504, "File operation timed out",
                $"{path}: {op} did not finish within {Timeout.TotalMilliseconds:0} ms; the storage behind the mount is not answering");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && !task.IsCompleted)
        {
            abandoned?.Invoke();
            throw;
        }
    }
}
