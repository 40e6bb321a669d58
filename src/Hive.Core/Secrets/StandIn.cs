using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Hive.Core.Secrets;

/// <summary>
/// Stand-ins: what a sandbox sees in place of a secret's value (docs/secrets.md). A stand-in keeps the value's known
/// prefix (<see cref="KnownPrefixes"/>), its length and, position by position, its alphabet class: an ASCII digit
/// becomes a digit, a lower-case letter a lower-case letter, an upper-case letter an upper-case letter; any other
/// character is kept. A value whose variable part is all hex digits of one case, with both digits and letters (and at
/// least 16 long), keeps that:
/// every position becomes a hex digit of that case.
/// <para>The replacement characters come from HMAC-SHA256 under the daemon key over (sandbox, secret) with uniform
/// rejection sampling, so a stand-in is deterministic per (sandbox, secret, key), independent of the value's
/// characters, and differs between sandboxes and secrets. It never equals the value.</para>
/// <para>A value whose shape leaves fewer than <see cref="MinEntropyBits"/> bits of randomness (short, or mostly
/// punctuation) cannot be stood in for safely while keeping its shape: it gets the fallback form
/// <c>hive-standin-</c> + 26 lower-case letters and digits (about 134 bits) instead.</para>
/// </summary>
public static class StandIn
{
    public const int MinEntropyBits = 80;
    public const string FallbackPrefix = "hive-standin-";
    public const int FallbackRandomLength = 26;

    /// <summary>Prefixes that are kept verbatim, longest match first.</summary>
    public static IReadOnlyList<string> KnownPrefixes { get; } =
    [
        "sk-ant-api03-", "sk-ant-admin01-", "sk-ant-oat01-", "sk-ant-",
        "sk-proj-", "sk-svcacct-", "sk-admin-", "sk-or-v1-", "sk-",
        "github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
        "AIza", "xai-", "gsk_",
    ];

    private const string Digits = "0123456789";
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string HexLower = "0123456789abcdef";
    private const string HexUpper = "0123456789ABCDEF";
    private const string FallbackAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>The known prefix <paramref name="value"/> starts with (ordinal), or "".</summary>
    public static string PrefixOf(string value)
    {
        foreach (var prefix in KnownPrefixes)
            if (value.Length > prefix.Length && value.StartsWith(prefix, StringComparison.Ordinal)) return prefix;
        return "";
    }

    /// <summary>Bits of randomness a shaped stand-in for <paramref name="value"/> would carry.</summary>
    public static double ShapedEntropyBits(string value)
    {
        var prefix = PrefixOf(value);
        var alphabets = Alphabets(value, prefix.Length);
        double bits = 0;
        foreach (var a in alphabets) if (a is not null) bits += Math.Log2(a.Length);
        return bits;
    }

    /// <summary>Whether the stand-in for <paramref name="value"/> keeps its shape (else it is the fallback form).</summary>
    public static bool IsShaped(string value) => ShapedEntropyBits(value) >= MinEntropyBits;

    /// <summary>The stand-in for <paramref name="realValue"/> of secret <paramref name="secretName"/> in <paramref name="sandbox"/>.</summary>
    /// <param name="key">The daemon's stand-in key (at least 16 bytes).</param>
    public static string Create(string realValue, string sandbox, string secretName, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(realValue);
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(secretName);
        if (key.Length < 16) throw new ArgumentException("the stand-in key must be at least 16 bytes", nameof(key));
        if (realValue.Length == 0) throw new ArgumentException("a secret value must not be empty", nameof(realValue));

        var stream = new RandomStream(key, sandbox, secretName);
        var prefix = PrefixOf(realValue);
        var alphabets = Alphabets(realValue, prefix.Length);
        double bits = 0;
        foreach (var a in alphabets) if (a is not null) bits += Math.Log2(a.Length);

        if (bits < MinEntropyBits)
        {
            var fallback = new char[FallbackPrefix.Length + FallbackRandomLength];
            FallbackPrefix.CopyTo(fallback);
            for (var i = FallbackPrefix.Length; i < fallback.Length; i++) fallback[i] = stream.Pick(FallbackAlphabet);
            var text = new string(fallback);
            // Astronomically unlikely; kept so that the guarantee holds.
            return text == realValue ? FallbackPrefix + "x" + text[(FallbackPrefix.Length + 1)..] : text;
        }

        var chars = realValue.ToCharArray();
        var first = -1;
        for (var i = 0; i < chars.Length; i++)
        {
            if (alphabets[i] is not { } alphabet) continue;
            if (first < 0) first = i;
            chars[i] = stream.Pick(alphabet);
        }
        if (chars.AsSpan().SequenceEqual(realValue))
        {
            // Probability below 2^-80; the guarantee still has to hold: move the first random position one step on.
            var alphabet = alphabets[first]!;
            chars[first] = alphabet[(alphabet.IndexOf(chars[first]) + 1) % alphabet.Length];
        }
        return new string(chars);
    }

    /// <summary>Per position: the alphabet to draw from, or null to keep the character.</summary>
    private static string?[] Alphabets(string value, int prefixLength)
    {
        var result = new string?[value.Length];
        var rest = value.AsSpan(prefixLength);
        var hex = rest.Length >= 16 && (IsAll(rest, HexLower) || IsAll(rest, HexUpper)) && rest.IndexOfAnyInRange('0', '9') >= 0
            && (rest.IndexOfAnyInRange('a', 'f') >= 0 || rest.IndexOfAnyInRange('A', 'F') >= 0);
        var hexAlphabet = hex && rest.IndexOfAnyInRange('A', 'F') >= 0 ? HexUpper : HexLower;
        for (var i = prefixLength; i < value.Length; i++)
        {
            var c = value[i];
            result[i] = hex ? hexAlphabet
                : char.IsAsciiDigit(c) ? Digits
                : char.IsAsciiLetterLower(c) ? Lower
                : char.IsAsciiLetterUpper(c) ? Upper
                : null;
        }
        return result;
    }

    private static bool IsAll(ReadOnlySpan<char> text, string alphabet)
    {
        foreach (var c in text) if (!alphabet.Contains(c)) return false;
        return true;
    }

    /// <summary>HMAC-SHA256(key, "hive-standin-v1" ‖ len ‖ sandbox ‖ len ‖ secret ‖ counter) blocks, consumed byte by byte.</summary>
    private sealed class RandomStream
    {
        private readonly byte[] _key;
        private readonly byte[] _message;
        private readonly byte[] _block = new byte[32];
        private int _position = 32;
        private uint _counter;

        public RandomStream(ReadOnlySpan<byte> key, string sandbox, string secret)
        {
            _key = key.ToArray();
            var label = Encoding.UTF8.GetBytes("hive-standin-v1");
            var s = Encoding.UTF8.GetBytes(sandbox);
            var n = Encoding.UTF8.GetBytes(secret);
            _message = new byte[label.Length + 4 + s.Length + 4 + n.Length + 4];
            var span = _message.AsSpan();
            label.CopyTo(span);
            span = span[label.Length..];
            BinaryPrimitives.WriteInt32BigEndian(span, s.Length);
            s.CopyTo(span[4..]);
            span = span[(4 + s.Length)..];
            BinaryPrimitives.WriteInt32BigEndian(span, n.Length);
            n.CopyTo(span[4..]);
        }

        private byte NextByte()
        {
            if (_position == _block.Length)
            {
                BinaryPrimitives.WriteUInt32BigEndian(_message.AsSpan(_message.Length - 4), _counter++);
                HMACSHA256.HashData(_key, _message, _block);
                _position = 0;
            }
            return _block[_position++];
        }

        /// <summary>A uniformly chosen character of <paramref name="alphabet"/> (rejection sampling, no modulo bias).</summary>
        public char Pick(string alphabet)
        {
            var limit = 256 - 256 % alphabet.Length;
            while (true)
            {
                var b = NextByte();
                if (b < limit) return alphabet[b % alphabet.Length];
            }
        }
    }
}
