namespace HiveClient;

/// <summary>One invalid field of a request, by JSON path (e.g. <c>egress[2].ports[0]</c>).</summary>
public sealed record HiveFieldError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>
/// An error the daemon answered with (<c>application/problem+json</c>), or a failure to reach it.
/// <see cref="Exception.Message"/> is the problem's detail: a sentence a person can act on.
/// </summary>
public class HiveException : Exception
{
    public HiveException(string message, int status = 0, string? title = null, string? type = null,
        IReadOnlyList<HiveFieldError>? errors = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
        Title = title;
        Type = type;
        Errors = errors ?? [];
    }

    /// <summary>HTTP status; 0 when the daemon was not reached.</summary>
    public int Status { get; }

    public string? Title { get; }

    /// <summary>Same as <see cref="Exception.Message"/>.</summary>
    public string Detail => Message;

    /// <summary>The problem type URI, when the daemon gave one.</summary>
    public string? Type { get; }

    /// <summary>Field errors of a validation failure; empty otherwise.</summary>
    public IReadOnlyList<HiveFieldError> Errors { get; }

    internal static HiveException FromProblem(int status, Problem? p, string? fallback)
    {
        var detail = p?.Detail is { Length: > 0 } d ? d
            : p?.Title is { Length: > 0 } t ? t
            : fallback is { Length: > 0 } f ? f
            : $"The daemon answered HTTP {status}.";
        IReadOnlyList<HiveFieldError>? errors = p?.Errors;
        return status switch
        {
            404 => new HiveNotFoundException(detail, p?.Title, p?.Type),
            409 => new HiveConflictException(detail, p?.Title, p?.Type),
            400 or 422 => new HiveValidationException(detail, status, p?.Title, p?.Type, errors),
            401 or 403 => new HiveAuthException(detail, status, p?.Title, p?.Type),
            _ => new HiveException(detail, status, p?.Title, p?.Type, errors),
        };
    }
}

/// <summary>404: the sandbox, file or other resource does not exist.</summary>
public sealed class HiveNotFoundException(string message, string? title = null, string? type = null)
    : HiveException(message, 404, title, type);

/// <summary>409: the request conflicts with the current state (e.g. another config apply is running).</summary>
public sealed class HiveConflictException(string message, string? title = null, string? type = null)
    : HiveException(message, 409, title, type);

/// <summary>400 or 422: the request is invalid; see <see cref="HiveException.Errors"/>.</summary>
public sealed class HiveValidationException(string message, int status = 400, string? title = null, string? type = null, IReadOnlyList<HiveFieldError>? errors = null)
    : HiveException(message, status, title, type, errors);

/// <summary>401 or 403: no token, a wrong token, or not allowed.</summary>
public sealed class HiveAuthException(string message, int status = 401, string? title = null, string? type = null)
    : HiveException(message, status, title, type);

/// <summary>The daemon could not be reached (not running, wrong address, or the connection broke).</summary>
public sealed class HiveUnavailableException(string message, Exception? innerException = null)
    : HiveException(message, 0, "Hive daemon unavailable", null, null, innerException);
