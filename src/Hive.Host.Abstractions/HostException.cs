using Hive.Core.Config;

namespace Hive.Host.Abstractions;

/// <summary>Why a host refused or failed an operation, in the domain's words; the API maps each kind to HTTP once.</summary>
public enum HostErrorKind
{
    /// <summary>The thing asked for is not there (a path outside every mount, a missing file).</summary>
    NotFound,
    /// <summary>The sandbox's state forbids it now (not running, no terminal support, not a regular file).</summary>
    Conflict,
    /// <summary>The request is well-formed but this host cannot serve it (image missing, backend unavailable).</summary>
    Unprocessable,
    /// <summary>The request itself is wrong (a name too long).</summary>
    Invalid,
    /// <summary>The host did not answer in time (a stuck mount, an unreachable host).</summary>
    Timeout,
    /// <summary>The host cannot be reached or is not registered.</summary>
    Unavailable,
}

/// <summary>A host's domain error: a kind, a short title and a message for people.</summary>
public sealed class HostException(HostErrorKind kind, string title, string message, IReadOnlyList<ConfigError>? errors = null) : Exception(message)
{
    public HostErrorKind Kind { get; } = kind;
    public string Title { get; } = title;
    public IReadOnlyList<ConfigError>? Errors { get; } = errors;

    public static HostException NotFound(string message) => new(HostErrorKind.NotFound, "Not found", message);
    public static HostException Conflict(string message) => new(HostErrorKind.Conflict, "Conflict", message);
}

public static class HostErrorKinds
{
    /// <summary>The one place a host's domain error becomes an HTTP status: the public API and the host wire both use it.</summary>
    public static int HttpStatus(this HostErrorKind kind) => kind switch
    {
        HostErrorKind.NotFound => 404,
        HostErrorKind.Conflict => 409,
        HostErrorKind.Unprocessable => 422,
        HostErrorKind.Invalid => 400,
        HostErrorKind.Timeout => 504,
        HostErrorKind.Unavailable => 503,
        _ => 500,
    };
}
