using System.Net.Http.Headers;
using System.Text;

namespace HiveClient;

/// <summary>
/// Files in a sandbox's mounts, by absolute in-sandbox path (<c>/workspace/notes.md</c>). Access is the owner's:
/// recorded in the event log, not subject to the agent's ACLs.
/// </summary>
public sealed class SandboxFiles
{
    private readonly HiveConnection _connection;
    private readonly string _base;

    internal SandboxFiles(HiveConnection connection, string sandboxPath)
    {
        _connection = connection;
        _base = sandboxPath + "/files/";
    }

    internal string FilePath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++) parts[i] = Uri.EscapeDataString(parts[i]);
        return _base + string.Join('/', parts);
    }

    /// <summary>The whole content of a file.</summary>
    public async Task<byte[]> ReadAsync(string path, CancellationToken ct = default)
    {
        using var resp = await GetFileAsync(path, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        return await resp.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
    }

    /// <summary>A file decoded as UTF-8.</summary>
    public async Task<string> ReadTextAsync(string path, CancellationToken ct = default) =>
        Encoding.UTF8.GetString(await ReadAsync(path, ct).ConfigureAwait(false));

    /// <summary>A file as a stream, for large files; dispose it.</summary>
    public async Task<Stream> OpenReadAsync(string path, CancellationToken ct = default)
    {
        var resp = await GetFileAsync(path, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        try
        {
            return new ResponseStream(await resp.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), resp);
        }
        catch
        {
            resp.Dispose();
            throw;
        }
    }

    private async Task<HttpResponseMessage> GetFileAsync(string path, HttpCompletionOption completion, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, FilePath(path));
        var resp = await _connection.SendAsync(req, completion, ct).ConfigureAwait(false);
        if (IsJson(resp))
        {
            resp.Dispose();
            throw new HiveException($"'{path}' is a directory; list it with ListAsync.", 400);
        }
        return resp;
    }

    /// <summary>Writes (creates or replaces) a file, creating its parent directories.</summary>
    public Task WriteAsync(string path, byte[] content, CancellationToken ct = default) =>
        PutAsync(path, new ByteArrayContent(content ?? throw new ArgumentNullException(nameof(content))), ct);

    /// <summary>Writes a file from a stream (read to its end; not disposed).</summary>
    public Task WriteAsync(string path, Stream content, CancellationToken ct = default) =>
        PutAsync(path, new StreamContent(content ?? throw new ArgumentNullException(nameof(content))), ct);

    /// <summary>Writes a file as UTF-8 text.</summary>
    public Task WriteAsync(string path, string content, CancellationToken ct = default) =>
        WriteAsync(path, Encoding.UTF8.GetBytes(content ?? throw new ArgumentNullException(nameof(content))), ct);

    private async Task PutAsync(string path, HttpContent content, CancellationToken ct)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var req = new HttpRequestMessage(HttpMethod.Put, FilePath(path)) { Content = content };
        using var _ = await _connection.SendAsync(req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
    }

    /// <summary>Deletes a file (or an empty directory).</summary>
    public async Task DeleteAsync(string path, CancellationToken ct = default)
    {
        using var req = new HttpRequestMessage(HttpMethod.Delete, FilePath(path));
        using var _ = await _connection.SendAsync(req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
    }

    /// <summary>The entries of a directory.</summary>
    public async Task<IReadOnlyList<FileEntry>> ListAsync(string dirPath, CancellationToken ct = default)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, FilePath(dirPath));
        using var resp = await _connection.SendAsync(req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        if (!IsJson(resp)) throw new HiveException($"'{dirPath}' is a file, not a directory.", 400);
        return await _connection.ReadJsonAsync(resp, HiveJsonContext.Default.ListFileEntry, ct).ConfigureAwait(false);
    }

    private static bool IsJson(HttpResponseMessage resp) =>
        resp.Content.Headers.ContentType?.MediaType is "application/json";

    /// <summary>A response body that disposes its response with it.</summary>
    private sealed class ResponseStream(Stream inner, HttpResponseMessage response) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => inner.ReadAsync(buffer, offset, count, ct);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => inner.ReadAsync(buffer, ct);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
