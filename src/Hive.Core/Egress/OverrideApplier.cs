using System.Net;
using Hive.Core.Config;

namespace Hive.Core.Egress;

/// <summary>
/// Applies a rule's <c>override</c> to an allowed request, and redacts its values wherever a request is shown.
/// Pure string functions; create once per rule (<see cref="EgressPolicy.GetOverride"/> holds them).
/// </summary>
/// <remarks>
/// <para><b>Headers</b> are set: the proxy removes every existing header of that name (any case) and adds the
/// override's value (<see cref="Headers"/>).</para>
/// <para><b>Query</b> parameters are set too (<see cref="RewriteQuery"/>): the first parameter whose decoded name
/// equals an override name (case-sensitive, percent-decoding and <c>+</c> as space applied to the request's name)
/// takes the override's value in place; later ones with the same name are removed, so the upstream cannot pick an
/// agent-supplied duplicate; override names that were absent are appended in the override's order. All other
/// parameters keep their order and their exact bytes. Override names and values are percent-encoded with
/// everything but RFC 3986 unreserved characters escaped.</para>
/// </remarks>
public sealed class OverrideApplier
{
    public const string Redacted = ConfigJson.Redacted;

    private readonly KeyValuePair<string, string>[] _headers;
    private readonly string[] _queryNames;
    private readonly string[] _queryParams; // encoded name=value, aligned with _queryNames
    private readonly string[] _secretForms; // each value as it may appear in a query, longest first

    public OverrideApplier(EgressOverride value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _headers = [.. value.Headers];
        _queryNames = [.. value.Query.Keys];
        _queryParams = [.. value.Query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))];
        _secretForms = [.. value.Query.Values.Concat(value.Headers.Values)
            .Where(v => v.Length > 0)
            .SelectMany(v => new[] { v, Uri.EscapeDataString(v), WebUtility.UrlEncode(v) })
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(v => v.Length)];
    }

    /// <summary>Headers to set on the forwarded request, replacing any of the same name (case-insensitive).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    public bool HasQuery => _queryNames.Length > 0;

    /// <summary>Whether <paramref name="name"/> is one of the override's headers (case-insensitive).</summary>
    public bool IsOverriddenHeader(string name)
    {
        foreach (var header in _headers)
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>A header value as it may be shown: <c>***</c> for an overridden header, the value otherwise.</summary>
    public string RedactHeader(string name, string value) => IsOverriddenHeader(name) ? Redacted : value;

    /// <summary>
    /// The query to forward (without <c>?</c>) for the request's raw query (null or empty when it has none); null when
    /// the result is empty. Returns <paramref name="query"/> itself when there is no query override.
    /// </summary>
    public string? RewriteQuery(string? query)
    {
        if (_queryNames.Length == 0) return query;
        var seen = new bool[_queryNames.Length];
        var output = new List<string>();
        foreach (var part in Split(query))
        {
            var index = IndexOfName(part);
            if (index < 0) output.Add(part);
            else if (!seen[index])
            {
                seen[index] = true;
                output.Add(_queryParams[index]);
            }
        }
        for (var i = 0; i < _queryNames.Length; i++)
            if (!seen[i]) output.Add(_queryParams[i]);
        return output.Count == 0 ? null : string.Join('&', output);
    }

    /// <summary>
    /// <paramref name="query"/> as events may show it: every parameter named by the override has its value replaced by
    /// <c>***</c>, and any other appearance of an override value (raw or encoded) is replaced as well.
    /// </summary>
    public string? RedactQuery(string? query)
    {
        if (string.IsNullOrEmpty(query)) return query;
        var parts = Split(query);
        for (var i = 0; i < parts.Length; i++)
            if (IndexOfName(parts[i]) >= 0) parts[i] = NameOf(parts[i]) + "=" + Redacted;
        return ScrubValues(string.Join('&', parts));
    }

    /// <summary><see cref="RedactQuery(string?)"/> for a rule that may have no override.</summary>
    public static string? RedactQuery(string? query, OverrideApplier? applier) => applier is null ? query : applier.RedactQuery(query);

    /// <summary>Replaces every appearance of an override value (header or query, raw or encoded) in <paramref name="text"/>.</summary>
    public string ScrubValues(string text)
    {
        foreach (var form in _secretForms)
            if (text.Contains(form, StringComparison.Ordinal)) text = text.Replace(form, Redacted, StringComparison.Ordinal);
        return text;
    }

    private static string[] Split(string? query) => string.IsNullOrEmpty(query) ? [] : query.Split('&');

    private static string NameOf(string part)
    {
        var eq = part.IndexOf('=');
        return eq < 0 ? part : part[..eq];
    }

    private int IndexOfName(string part)
    {
        var name = NameOf(part);
        if (name.Length == 0) return -1;
        var decoded = name.AsSpan().IndexOfAny('%', '+') >= 0 ? WebUtility.UrlDecode(name) : name;
        return Array.IndexOf(_queryNames, decoded);
    }
}
