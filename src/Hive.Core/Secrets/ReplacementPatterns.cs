using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Hive.Core.Secrets;

/// <summary>
/// What the proxy replaces in responses from one host (docs/secrets.md, "Responses"): for every secret bound to the
/// sandbox whose hosts include that host, the real value and each encoding of it that the request side produces or
/// reads, mapped to the stand-in in the same encoding. Never shows a value.
/// </summary>
/// <remarks>
/// The forms: as is; percent-encoded (upper- and lower-case hex) and form-encoded; JSON-escaped; base64 of the value and Basic credentials
/// exactly as the proxy builds them (<c>user:value</c>, <c>value:</c>); and base64 (standard and URL-safe) of the value
/// at each of the three offsets it can have inside a longer base64 text. For that last form only the characters that
/// depend on the value alone are replaced: the one character at each end that mixes in a neighbour's bits keeps up to
/// 4 bits of the value's first and last byte. Forms shorter than <see cref="MinEncodedLength"/> are left out (they
/// would match unrelated bytes); the value itself is always in.
/// </remarks>
public sealed class ReplacementPatterns
{
    public const int MinEncodedLength = 8;

    public static ReplacementPatterns Empty { get; } = new([]);

    private ReplacementPatterns(List<KeyValuePair<string, string>> pairs)
    {
        Pairs = pairs;
        SameLength = pairs.TrueForAll(p => p.Key.Length == p.Value.Length);
        _plain = new(() => Compile(fitted: false));
        _fitted = new(() => Compile(fitted: true));
        _headers = new(() => new ResponseScrub(this));
    }

    /// <summary>Real form → stand-in form, each distinct real form once, longest first.</summary>
    internal IReadOnlyList<KeyValuePair<string, string>> Pairs { get; }

    public bool IsEmpty => Pairs.Count == 0;

    /// <summary>Every replacement has the length of what it replaces: the body's length does not change.</summary>
    public bool SameLength { get; }

    public int Count => Pairs.Count;

    /// <summary>A replacer for one stream. <paramref name="fitted"/>: each replacement cut or padded with <c>*</c> to the
    /// length of what it replaces, for streams whose framing counts bytes (WebSocket frames after an upgrade).</summary>
    public StreamReplacer CreateReplacer(bool fitted = false) => new(fitted ? _fitted.Value : _plain.Value);

    /// <summary>The scrub for header and trailer values, built once (its search structure is costly to build).</summary>
    public ResponseScrub HeaderScrub => _headers.Value;

    private readonly Lazy<ResponseScrub> _headers;
    private readonly Lazy<StreamReplacer.Compiled> _plain;
    private readonly Lazy<StreamReplacer.Compiled> _fitted;

    private StreamReplacer.Compiled Compile(bool fitted) =>
        StreamReplacer.Compile(Pairs.Select(p =>
        {
            var (from, to) = (Encoding.UTF8.GetBytes(p.Key), Encoding.UTF8.GetBytes(p.Value));
            if (fitted && to.Length != from.Length)
            {
                var fit = new byte[from.Length];
                fit.AsSpan().Fill((byte)'*');
                to.AsSpan(0, Math.Min(to.Length, fit.Length)).CopyTo(fit);
                to = fit;
            }
            return KeyValuePair.Create(from, to);
        }));

    private static readonly ConditionalWeakTable<SecretSubstitution, ConcurrentDictionary<string, ReplacementPatterns>> Cache = new();
    private const int MaxCachedHosts = 256;

    /// <summary>The patterns for responses from <paramref name="host"/> (canonical, no port); <see cref="Empty"/> when no
    /// bound secret has that host. Cached per secret table and host.</summary>
    public static ReplacementPatterns For(SecretSubstitution secrets, string host)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentNullException.ThrowIfNull(host);
        if (secrets.Bindings.Count == 0) return Empty;
        var byHost = Cache.GetValue(secrets, _ => new ConcurrentDictionary<string, ReplacementPatterns>(StringComparer.Ordinal));
        if (byHost.TryGetValue(host, out var cached)) return cached;
        var patterns = Build(secrets.Bindings.Where(b => b.Secret.Hosts.Matches(host)));
        // A wildcard host has endless names: past the cap they are built per request instead of kept.
        if (byHost.Count < MaxCachedHosts) byHost.TryAdd(host, patterns);
        return patterns;
    }

    /// <summary>The patterns for these bindings, whatever their hosts.</summary>
    public static ReplacementPatterns Build(IEnumerable<SecretBinding> bindings)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string real, string standIn, bool encoded)
        {
            if (real.Length == 0 || (encoded && real.Length < MinEncodedLength)) return;
            if (string.Equals(real, standIn, StringComparison.Ordinal) || !seen.Add(real)) return;
            pairs.Add(new(real, standIn));
        }

        foreach (var b in bindings)
        {
            var (v, s) = (b.Value, b.StandIn);
            Add(v, s, encoded: false);
            foreach (var encode in TextForms) Add(encode(v), encode(s), encoded: true);
            var auth = b.Secret.Auth;
            var credentials = new List<(string, string)> { (v, s), (auth.BasicCredentials(v), auth.BasicCredentials(s)), (v + ":", s + ":") };
            if (auth.BasicUser is { } user) credentials.Add((user + ":" + v, user + ":" + s));
            foreach (var (cv, cs) in credentials)
            {
                Add(Base64(cv), Base64(cs), encoded: true);
                Add(Base64Url(cv), Base64Url(cs), encoded: true);
            }
            // Inside longer base64: the stand-in is fitted to the value's length so that both keep the same offsets.
            var vb = Encoding.UTF8.GetBytes(v);
            var sb = Encoding.UTF8.GetBytes(Fit(s, v.Length));
            if (sb.Length != vb.Length) continue; // non-ASCII value: no byte-exact fit
            for (var offset = 0; offset < 3; offset++)
            {
                var skip = (3 - offset) % 3;
                if (vb.Length - skip < 3) continue;
                var whole = (vb.Length - skip) / 3 * 3;
                var (rv, rs) = (Convert.ToBase64String(vb, skip, whole), Convert.ToBase64String(sb, skip, whole));
                Add(rv, rs, encoded: true);
                Add(ToUrl(rv), ToUrl(rs), encoded: true);
            }
        }
        pairs.Sort((a, b) => b.Key.Length.CompareTo(a.Key.Length));
        return pairs.Count == 0 ? Empty : new ReplacementPatterns(pairs);
    }

    private static readonly Func<string, string>[] TextForms =
    [
        Uri.EscapeDataString,
        v => LowerHexEscapes(Uri.EscapeDataString(v)),
        v => WebUtility.UrlEncode(v),
        v => JsonEncodedText.Encode(v).Value,
        v => JsonEncodedText.Encode(v, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value,
        v => JsonEncodedText.Encode(v, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value.Replace("/", "\\/", StringComparison.Ordinal),
    ];

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
    private static string Base64Url(string text) => ToUrl(Base64(text)).TrimEnd('=');
    private static string ToUrl(string base64) => base64.Replace('+', '-').Replace('/', '_');

    private static string LowerHexEscapes(string escaped)
    {
        if (!escaped.Contains('%')) return escaped;
        var chars = escaped.ToCharArray();
        for (var i = 0; i + 2 < chars.Length; i++)
            if (chars[i] == '%') { chars[i + 1] = char.ToLowerInvariant(chars[i + 1]); chars[i + 2] = char.ToLowerInvariant(chars[i + 2]); }
        return new string(chars);
    }

    /// <summary><paramref name="text"/> cut or padded with <c>*</c> to <paramref name="length"/>.</summary>
    private static string Fit(string text, int length) =>
        text.Length == length ? text : text.Length > length ? text[..length] : text.PadRight(length, '*');

    public override string ToString() => $"{Pairs.Count} response patterns";
}
