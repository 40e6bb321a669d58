using System.Net;
using System.Text;

namespace Hive.Core.Secrets;

/// <summary>
/// Swaps stand-ins for real values on one sandbox's requests (docs/secrets.md). Pure: the proxy builds one per set of
/// bindings (rebuild on set, rotate, delete) and calls <see cref="Apply"/> for each request the egress rules allowed.
/// </summary>
/// <remarks>
/// <para><b>Detection</b> looks everywhere: every header value (also inside <c>Basic</c> credentials of
/// <c>Authorization</c> and <c>Proxy-Authorization</c>), the raw and percent-decoded query and path. A stand-in of a
/// revoked secret anywhere gives <see cref="SubstitutionResult.Revoked"/>; otherwise a stand-in whose secret's hosts do
/// not include the request host gives <see cref="SubstitutionResult.Misuse"/>.</para>
/// <para><b>Substitution</b>, on the secret's hosts only: header values except those that echo back
/// (<see cref="NeverSubstituted"/>), inside <c>Authorization: Basic</c> (decoded, replaced, re-encoded), and query
/// parameter values (the real value percent-encoded). Never in parameter names or the path.</para>
/// <para><b>Injection</b>: each bound secret whose hosts match and that the request did not use gets its scheme added
/// when the request carries no credential in that place (<c>Authorization</c> for bearer and basic, the named header,
/// the named query parameter) and no other secret for that place was used. When several secrets would fill the same
/// place, the first in binding order does.</para>
/// </remarks>
public sealed class SecretSubstitution
{
    /// <summary>
    /// Headers that echo back or identify the client (and <c>Proxy-Authorization</c>, which is for the proxy and never
    /// goes upstream): stand-ins in them are never replaced. No catalogued or custom scheme uses cookies.
    /// </summary>
    public static IReadOnlySet<string> NeverSubstituted { get; } =
        new HashSet<string>(["User-Agent", "Referer", "Origin", "Cookie", "Proxy-Authorization"], StringComparer.OrdinalIgnoreCase);

    private readonly SecretBinding[] _bindings;
    private readonly RevokedStandIn[] _revoked;
    private readonly StandInMatcher _matcher; // ids: bindings first, then revoked

    public SecretSubstitution(IEnumerable<SecretBinding> bindings, IEnumerable<RevokedStandIn>? revoked = null)
    {
        _bindings = [.. bindings];
        var live = new HashSet<string>(_bindings.Select(b => b.StandIn), StringComparer.Ordinal);
        // A stand-in that is bound again (re-created secret) is live, not revoked.
        _revoked = [.. (revoked ?? []).Where(r => !live.Contains(r.StandIn))];
        _matcher = new StandInMatcher([.. _bindings.Select(b => b.StandIn), .. _revoked.Select(r => r.StandIn)]);
    }

    public static SecretSubstitution Empty { get; } = new([]);

    /// <summary>No bindings and no revoked stand-ins: the proxy skips every secret step.</summary>
    public bool IsEmpty => _bindings.Length == 0 && _revoked.Length == 0;

    /// <summary>
    /// <paramref name="text"/> with every real value of these bindings replaced by <c>***</c>: for error messages that
    /// might quote a request after substitution.
    /// </summary>
    public string Scrub(string text)
    {
        foreach (var b in _bindings)
        {
            if (text.Contains(b.Value, StringComparison.Ordinal)) text = text.Replace(b.Value, "***", StringComparison.Ordinal);
            var escaped = Uri.EscapeDataString(b.Value);
            if (!ReferenceEquals(escaped, b.Value) && text.Contains(escaped, StringComparison.Ordinal)) text = text.Replace(escaped, "***", StringComparison.Ordinal);
        }
        return text;
    }

    public IReadOnlyList<SecretBinding> Bindings => _bindings;

    /// <summary>The stand-ins of secrets no longer bound (what a remote host must also fail closed on).</summary>
    public IReadOnlyList<RevokedStandIn> Revoked => _revoked;

    /// <summary>The real values, for redactors that must hide them elsewhere (tool-call events); never to be shown.</summary>
    public IEnumerable<string> ValuesToRedact => _bindings.Select(b => b.Value);

    /// <param name="host">The request's canonical destination host (no port).</param>
    /// <param name="headers">The request headers, in order.</param>
    /// <param name="query">The raw query without <c>?</c>; null or empty for none.</param>
    /// <param name="path">The raw path, scanned for misuse only (and to recognise git smart HTTP); optional.</param>
    public SubstitutionResult Apply(string host, IReadOnlyList<KeyValuePair<string, string>> headers, string? query, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(headers);
        if (_bindings.Length == 0 && _revoked.Length == 0) return new SubstitutionResult.Forward(headers, query, [], [], false);

        // Detection.
        var scan = new Scan(this, host);
        foreach (var header in headers)
        {
            scan.Text(header.Value);
            if (IsAuthorization(header.Key) && TryDecodeBasic(header.Value, out var decoded)) scan.Text(decoded);
        }
        if (!string.IsNullOrEmpty(query)) scan.Encoded(query);
        if (!string.IsNullOrEmpty(path)) scan.Encoded(path);
        if (scan.Revoked is { } revoked) return new SubstitutionResult.Revoked(revoked);
        if (scan.Misuse is { } misuse) return new SubstitutionResult.Misuse(misuse, host);
        if (!scan.Found && !scan.AnyHostMatches()) return new SubstitutionResult.Forward(headers, query, [], [], false);

        // Substitution (every stand-in found is on its secret's hosts).
        var used = new bool[_bindings.Length];
        var outHeaders = headers;
        var outQuery = query;
        if (scan.Found)
        {
            List<KeyValuePair<string, string>>? copy = null;
            for (var i = 0; i < headers.Count; i++)
            {
                var (name, value) = headers[i];
                if (NeverSubstituted.Contains(name)) continue;
                var replaced = _matcher.Replace(value, Real, id => used[id] = true);
                if (string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase) && TryDecodeBasic(replaced, out var credentials))
                {
                    var inner = _matcher.Replace(credentials, Real, id => used[id] = true);
                    if (!ReferenceEquals(inner, credentials)) replaced = SchemeOf(replaced) + " " + Convert.ToBase64String(Encoding.UTF8.GetBytes(inner));
                }
                if (ReferenceEquals(replaced, value)) continue;
                copy ??= [.. headers];
                copy[i] = new(name, replaced);
            }
            if (copy is not null) outHeaders = copy;
            if (!string.IsNullOrEmpty(query)) outQuery = SubstituteQuery(query, used);
        }

        // Injection.
        List<KeyValuePair<string, string>>? injectedHeaders = null;
        List<string>? injected = null;
        // A place counts as filled when a secret meant for it was used: no second secret is added beside it.
        var filled = new List<string>();
        for (var i = 0; i < _bindings.Length; i++)
            if (used[i]) filled.Add(SlotOf(_bindings[i].Secret.Auth));
        for (var i = 0; i < _bindings.Length; i++)
        {
            var binding = _bindings[i];
            if (used[i] || !scan.HostMatches(i)) continue;
            var auth = binding.Secret.Auth;
            if (auth.Type == SecretAuthType.Query)
            {
                var slot = SlotOf(auth);
                if (filled.Contains(slot) || HasQueryParameter(outQuery, auth.Name!)) continue;
                var parameter = Uri.EscapeDataString(auth.Name!) + "=" + Uri.EscapeDataString(auth.Render(binding.Value));
                outQuery = string.IsNullOrEmpty(outQuery) ? parameter : outQuery + "&" + parameter;
                filled.Add(slot);
            }
            else
            {
                var headerName = auth.HeaderName!;
                var slot = SlotOf(auth);
                if (filled.Contains(slot) || HasHeader(outHeaders, headerName)) continue;
                var rendered = auth.BasicUser is not null && IsGitSmartHttp(path, query)
                    ? "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(auth.BasicUser + ":" + binding.Value))
                    : auth.Render(binding.Value);
                injectedHeaders ??= [.. outHeaders];
                injectedHeaders.Add(new(headerName, rendered));
                filled.Add(slot);
            }
            used[i] = true;
            (injected ??= []).Add(binding.Name);
        }
        if (injectedHeaders is not null) outHeaders = injectedHeaders;

        var names = new List<string>();
        for (var i = 0; i < _bindings.Length; i++)
            if (used[i] && !names.Contains(_bindings[i].Name)) names.Add(_bindings[i].Name);
        var changed = !ReferenceEquals(outHeaders, headers) || !string.Equals(outQuery, query, StringComparison.Ordinal);
        return new SubstitutionResult.Forward(outHeaders, outQuery, names, injected ?? [], changed);
    }

    private static string SlotOf(SecretAuth auth) => auth.Type == SecretAuthType.Query ? "?" + auth.Name : auth.HeaderName!.ToLowerInvariant();

    private string Real(int id) => _bindings[id].Value;

    private string SubstituteQuery(string query, bool[] used)
    {
        if (!_matcher.ContainsAny(query) && query.AsSpan().IndexOfAny('%', '+') < 0) return query;
        var parts = query.Split('&');
        var changed = false;
        for (var p = 0; p < parts.Length; p++)
        {
            var part = parts[p];
            var eq = part.IndexOf('=');
            if (eq < 0) continue;
            var value = part[(eq + 1)..];
            var replaced = _matcher.Replace(value, id => Uri.EscapeDataString(Real(id)), id => used[id] = true);
            if (ReferenceEquals(replaced, value) && value.AsSpan().IndexOfAny('%', '+') >= 0)
            {
                // Only an encoded form holds the stand-in: decode, replace, re-encode the whole value.
                var decoded = WebUtility.UrlDecode(value);
                var inner = _matcher.Replace(decoded, Real, id => used[id] = true);
                if (!ReferenceEquals(inner, decoded)) replaced = Uri.EscapeDataString(inner);
            }
            if (ReferenceEquals(replaced, value)) continue;
            parts[p] = part[..(eq + 1)] + replaced;
            changed = true;
        }
        return changed ? string.Join('&', parts) : query;
    }

    private static bool IsAuthorization(string name) =>
        string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "Proxy-Authorization", StringComparison.OrdinalIgnoreCase);

    private static string SchemeOf(string value) => value.AsSpan().Trim()[..5].ToString();

    /// <summary>The decoded <c>user:password</c> of a <c>Basic</c> credential (scheme any case), if it is one.</summary>
    public static bool TryDecodeBasic(string value, out string credentials)
    {
        credentials = "";
        var span = value.AsSpan().Trim();
        if (span.Length < 7 || !span[..6].Equals("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        var payload = span[6..].Trim();
        if (payload.Length == 0 || payload.Length > 16384) return false;
        Span<byte> buffer = payload.Length <= 1024 ? stackalloc byte[payload.Length] : new byte[payload.Length];
        int written;
        if (payload.Length % 4 == 0)
        {
            if (!Convert.TryFromBase64Chars(payload, buffer, out written)) return false;
        }
        else
        {
            // Some clients leave out the padding.
            if (payload.Length % 4 == 1 || payload.Contains('=')) return false;
            var padded = string.Concat(payload, payload.Length % 4 == 2 ? "==" : "=");
            if (!Convert.TryFromBase64String(padded, buffer, out written)) return false;
        }
        try
        {
            credentials = new UTF8Encoding(false, true).GetString(buffer[..written]);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static bool HasHeader(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
    {
        foreach (var header in headers)
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private static bool HasQueryParameter(string? query, string name)
    {
        if (string.IsNullOrEmpty(query)) return false;
        foreach (var part in query.Split('&'))
        {
            var eq = part.IndexOf('=');
            var raw = eq < 0 ? part : part[..eq];
            var decoded = raw.AsSpan().IndexOfAny('%', '+') >= 0 ? WebUtility.UrlDecode(raw) : raw;
            if (string.Equals(decoded, name, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>git's smart HTTP protocol: <c>/info/refs?service=git-…</c>, <c>/git-upload-pack</c>, <c>/git-receive-pack</c>.</summary>
    internal static bool IsGitSmartHttp(string? path, string? query)
    {
        if (string.IsNullOrEmpty(path)) return false;
        if (path.EndsWith("/git-upload-pack", StringComparison.Ordinal) || path.EndsWith("/git-receive-pack", StringComparison.Ordinal)) return true;
        return path.EndsWith("/info/refs", StringComparison.Ordinal) && query is not null && query.Contains("service=git-", StringComparison.Ordinal);
    }

    public override string ToString() => $"{_bindings.Length} bound secrets, {_revoked.Length} revoked stand-ins";

    /// <summary>Collects what the stand-ins in a request say about it.</summary>
    private sealed class Scan(SecretSubstitution owner, string host)
    {
        private sbyte[]? _hostMatches; // 0 unknown, 1 yes, -1 no
        public bool Found;
        public string? Revoked;
        public string? Misuse;

        public bool HostMatches(int id)
        {
            _hostMatches ??= new sbyte[owner._bindings.Length];
            if (_hostMatches[id] == 0) _hostMatches[id] = owner._bindings[id].Secret.Hosts.Matches(host) ? (sbyte)1 : (sbyte)-1;
            return _hostMatches[id] > 0;
        }

        public bool AnyHostMatches()
        {
            for (var i = 0; i < owner._bindings.Length; i++)
                if (HostMatches(i)) return true;
            return false;
        }

        public void Text(ReadOnlySpan<char> text)
        {
            var start = 0;
            while (owner._matcher.Find(text, start, out var position, out var id, out var length))
            {
                Found = true;
                if (id >= owner._bindings.Length) Revoked ??= owner._revoked[id - owner._bindings.Length].SecretName;
                else if (!HostMatches(id)) Misuse ??= owner._bindings[id].Name;
                start = position + length;
            }
        }

        /// <summary>Raw text, and its percent-decoded form when it has escapes.</summary>
        public void Encoded(string text)
        {
            Text(text);
            if (text.AsSpan().IndexOfAny('%', '+') >= 0) Text(WebUtility.UrlDecode(text));
        }
    }
}
