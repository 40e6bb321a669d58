namespace Hive.Runtime.Images;

/// <summary>
/// An exclusive lock on <c>&lt;images&gt;/.lock-&lt;name&gt;</c>. .NET takes flock(LOCK_EX|LOCK_NB) for FileShare.None,
/// so the lock holds across processes and is released by the kernel when the holder dies.
/// </summary>
internal sealed class ImageBuildLock : IDisposable
{
    private readonly FileStream _stream;

    private ImageBuildLock(FileStream stream) => _stream = stream;

    public static async Task<ImageBuildLock> AcquireAsync(string path, Action? onWait, CancellationToken ct)
    {
        var waited = false;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                return new ImageBuildLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException ex) when (IsContention(ex))
            {
                if (!waited)
                {
                    waited = true;
                    onWait?.Invoke();
                }
                await Task.Delay(200, ct).ConfigureAwait(false);
            }
        }
    }

    // A held flock surfaces as a plain IOException whose HResult is EWOULDBLOCK (11); missing directories and
    // the like have their own exception types or errnos, and must not make us wait forever.
    private static bool IsContention(IOException ex) => ex.GetType() == typeof(IOException) && ex.HResult == 11;

    public void Dispose() => _stream.Dispose();
}
