using Hive.Core.Config;

namespace Hive.Daemon.Api;

/// <summary>An error the API answers with as application/problem+json.</summary>
public sealed class ApiProblem(int status, string title, string detail, IReadOnlyList<ConfigError>? errors = null) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public IReadOnlyList<ConfigError>? Errors { get; } = errors;

    public static ApiProblem NotFound(string what) => new(404, "Not found", what);
    public static ApiProblem Conflict(string detail) => new(409, "Conflict", detail);
    public static ApiProblem BadRequest(string detail) => new(400, "Bad request", detail);

    public static ApiProblem Invalid(IReadOnlyList<ConfigError> errors, string title = "Invalid configuration") =>
        new(400, title, errors.Count == 1 ? errors[0].ToString() : $"{errors.Count} errors: {string.Join("; ", errors)}", errors);

    public static ApiProblem Unprocessable(IReadOnlyList<ConfigError> errors) =>
        new(422, "Immutable field changed", string.Join("; ", errors), errors);
}
