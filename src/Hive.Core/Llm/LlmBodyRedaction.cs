using System.Net;
using System.Text;
using System.Text.Json;
using Hive.Core.Config;
using Hive.Core.Egress;
using Hive.Core.Secrets;

namespace Hive.Core.Llm;

/// <summary>
/// What of a model call's body may be kept: decoded as UTF-8, every real secret value (in each encoding the proxy knows)
/// replaced by its stand-in, every egress override value replaced by <c>***</c>, then cut to <see cref="MaxStoredBytes"/>.
/// Replacing comes before cutting, so a cut can never keep the first half of a value.
/// </summary>
public static class LlmBodyRedaction
{
    /// <summary>At most this many bytes of each body are stored.</summary>
    public const int MaxStoredBytes = 1024 * 1024;

    /// <summary>Captured beyond <see cref="MaxStoredBytes"/>, so that a value straddling the cut is whole when it is replaced.</summary>
    public const int Margin = 64 * 1024;

    /// <summary>Bytes a capture keeps: a stored body's worth plus the margin.</summary>
    public const int MaxCaptured = MaxStoredBytes + Margin;

    /// <summary>Override values shorter than this are not hunted for in free text ("1" would blank out everything).</summary>
    public const int MinOverrideLength = 6;

    public const string Redacted = OverrideApplier.Redacted;

    /// <summary>
    /// The body to store from <paramref name="decoded"/> (the body's first bytes after its content encoding was undone).
    /// <paramref name="cut"/>: <paramref name="decoded"/> is not the whole body.
    /// </summary>
    public static LlmBody Keep(ReadOnlySpan<byte> decoded, bool cut, string? contentType, long wireBytes, Redactor redactor)
    {
        var take = Math.Min(decoded.Length, MaxCaptured);
        var text = redactor.Redact(Encoding.UTF8.GetString(decoded[..take]));
        var truncated = cut || take < decoded.Length;
        if (Encoding.UTF8.GetByteCount(text) > MaxStoredBytes)
        {
            text = CutToBytes(text, MaxStoredBytes);
            truncated = true;
        }
        return new LlmBody(text, contentType, wireBytes, truncated);
    }

    /// <summary>The longest prefix of <paramref name="text"/> of at most <paramref name="maxBytes"/> UTF-8 bytes, never splitting a surrogate pair.</summary>
    public static string CutToBytes(string text, int maxBytes)
    {
        var bytes = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var pair = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            var n = pair ? 4 : text[i] < 0x80 ? 1 : text[i] < 0x800 ? 2 : 3;
            if (bytes + n > maxBytes) return text[..i];
            bytes += n;
            if (pair) i++;
        }
        return text;
    }

    /// <summary>The replacements for one sandbox's bodies: its bound secrets and the override values of its egress rules.</summary>
    public sealed class Redactor
    {
        private readonly ResponseScrub[] _secrets;
        private readonly string[] _overrideForms; // longest first

        public Redactor(IEnumerable<SecretSubstitution> secrets, IEnumerable<EgressRule> rules)
        {
            _secrets = [.. secrets.Where(s => s.Bindings.Count > 0).Select(s => new ResponseScrub(ReplacementPatterns.Build(s.Bindings)))];
            _overrideForms = [.. rules.Select(r => r.Override).OfType<EgressOverride>()
                .SelectMany(o => o.Headers.Values.Concat(o.Query.Values))
                .Where(v => v.Length >= MinOverrideLength)
                .SelectMany(v => new[] { v, Uri.EscapeDataString(v), WebUtility.UrlEncode(v), JsonEncodedText.Encode(v).Value })
                .Distinct(StringComparer.Ordinal)
                .OrderByDescending(v => v.Length)];
        }

        public string Redact(string text)
        {
            // Secrets first: their stand-ins keep the body readable; an override value inside a stand-in is not possible.
            foreach (var scrub in _secrets) text = scrub.Scrub(text);
            foreach (var form in _overrideForms)
                if (text.Contains(form, StringComparison.Ordinal)) text = text.Replace(form, Redacted, StringComparison.Ordinal);
            return text;
        }
    }
}
