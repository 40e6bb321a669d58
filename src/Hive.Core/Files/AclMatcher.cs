using System.Buffers;
using System.Text;
using Hive.Core.Config;

namespace Hive.Core.Files;

/// <summary>
/// The compiled file ACL of one mount (docs/files.md): ordered rules, the first match wins, no match denies.
/// Patterns and paths are absolute in-sandbox paths. <c>*</c> matches within one segment (zero or more characters,
/// never <c>/</c>), <c>**</c> as a whole segment matches any number of segments including none (so
/// <c>/workspace/**</c> matches <c>/workspace</c>), <c>?</c> matches exactly one character (never <c>/</c>).
/// Matching is case-sensitive and ordinal. There is no dot-file exception: <c>*</c> matches <c>.env</c>.
/// </summary>
/// <remarks>
/// <para>
/// Matching works on UTF-8 bytes (what the kernel hands the file system) without allocating: <c>?</c> and the
/// backtracking of <c>*</c> step over whole UTF-8 sequences, so a character is a character whatever its length.
/// A byte that is not part of a valid sequence counts as one character.
/// </para>
/// <para>
/// Paths must be normalised: absolute, no empty, <c>.</c> or <c>..</c> segments. One trailing <c>/</c> is
/// ignored. Anything else fails closed: <see cref="Decide(ReadOnlySpan{byte})"/> returns <see cref="AclAccess.Deny"/>.
/// The file system resolves <c>..</c> itself (the kernel looks up one name at a time), so a matcher never sees one.
/// </para>
/// <para>
/// Directories on the way to an allowed path: a directory that the rules deny but below which some rule could
/// allow something stays visible and traversable, read-only itself, with a listing that shows only entries which
/// are visible in turn (see <see cref="Resolve(ReadOnlySpan{byte}, bool)"/>). Without this, <c>rw /workspace/pub/**</c>
/// alone could never be reached, because <c>/workspace</c> matches no rule. Which rule "could allow something
/// below" is decided from the patterns alone, conservatively: first-match order is honoured (a deny rule that
/// covers every descendant, such as <c>deny /workspace/**</c>, hides everything below it whatever follows), but
/// a later allow rule that earlier partial deny rules happen to shadow completely still counts, so such a
/// directory shows up empty rather than hidden.
/// </para>
/// </remarks>
public sealed class AclMatcher
{
    private const int StackSegments = 128;
    private readonly CompiledRule[] _rules;

    private AclMatcher(CompiledRule[] rules) => _rules = rules;

    /// <summary>The rules this matcher was compiled from, in order.</summary>
    public IReadOnlyList<AclRule> Rules { get; private init; } = [];

    /// <summary>Compiles <paramref name="rules"/>. An empty list denies everything.</summary>
    public static AclMatcher Compile(IReadOnlyList<AclRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var compiled = new CompiledRule[rules.Count];
        for (var i = 0; i < compiled.Length; i++) compiled[i] = CompiledRule.Parse(rules[i]);
        return new AclMatcher(compiled) { Rules = rules.ToArray() };
    }

    /// <summary>A matcher that allows everything read-write (tests, the owner's own access).</summary>
    public static AclMatcher AllowAll(string mount) => Compile([new AclRule(mount.TrimEnd('/') + "/**", AclAccess.Rw)]);

    /// <summary>The access of <paramref name="path"/>: the first rule that matches decides; none matching denies.</summary>
    public AclAccess Decide(string path) => WithUtf8(path, this, static (m, p) => m.Decide(p));

    /// <inheritdoc cref="Decide(string)"/>
    public AclAccess Decide(ReadOnlySpan<byte> path)
    {
        var count = CountSegments(path);
        if (count < 0) return AclAccess.Deny;
        int[]? rented = null;
        Span<int> bounds = count <= StackSegments ? stackalloc int[StackSegments * 2] : (rented = ArrayPool<int>.Shared.Rent(count * 2));
        try
        {
            Split(path, bounds);
            var segments = new Segments(path, bounds[..(count * 2)]);
            foreach (var rule in _rules)
                if (rule.Matches(segments)) return rule.Access;
            return AclAccess.Deny;
        }
        finally
        {
            if (rented is not null) ArrayPool<int>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// True when some strict descendant of <paramref name="path"/> could be allowed (ro or rw): a rule that can match
    /// below it allows, before any deny rule that covers everything below it.
    /// </summary>
    public bool MayAllowBelow(string path) => WithUtf8(path, this, static (m, p) => m.MayAllowBelow(p));

    /// <inheritdoc cref="MayAllowBelow(string)"/>
    public bool MayAllowBelow(ReadOnlySpan<byte> path) => Below(path, BelowMode.Allow) == BelowAnswer.Yes;

    /// <summary>
    /// The access that every strict descendant of <paramref name="path"/> is guaranteed to have, or null when it may
    /// differ between descendants (or cannot be shown to be the same from the patterns alone).
    /// </summary>
    public AclAccess? UniformBelow(string path) => WithUtf8(path, this, static (m, p) => m.UniformBelow(p));

    /// <inheritdoc cref="UniformBelow(string)"/>
    public AclAccess? UniformBelow(ReadOnlySpan<byte> path) => Below(path, BelowMode.Uniform) switch
    {
        BelowAnswer.Rw => AclAccess.Rw,
        BelowAnswer.Ro => AclAccess.Ro,
        BelowAnswer.Deny => AclAccess.Deny,
        _ => null,
    };

    /// <summary>
    /// True when some strict descendant of <paramref name="path"/> may be hidden from the sandbox: a deny rule can match
    /// below it before an allow rule covers everything below it (or nothing covers everything, and unmatched paths are
    /// denied). The file system then reports what a directory's link count and size would betray as unknown.
    /// </summary>
    public bool MayHideBelow(string path) => WithUtf8(path, this, static (m, p) => m.MayHideBelow(p));

    /// <inheritdoc cref="MayHideBelow(string)"/>
    public bool MayHideBelow(ReadOnlySpan<byte> path) => Below(path, BelowMode.Hide) == BelowAnswer.Yes;

    /// <summary>True when <paramref name="path"/> and everything below it is read-write (what moving a directory needs).</summary>
    public bool IsSubtreeRw(ReadOnlySpan<byte> path) => Decide(path) == AclAccess.Rw && UniformBelow(path) == AclAccess.Rw;

    /// <inheritdoc cref="IsSubtreeRw(ReadOnlySpan{byte})"/>
    public bool IsSubtreeRw(string path) => WithUtf8(path, this, static (m, p) => m.IsSubtreeRw(p));

    /// <summary>
    /// How an entry appears to the sandbox: its own access when the rules allow it; <see cref="FsVisibility.Traverse"/>
    /// for a denied directory below which something may be allowed (and for the mount root, which can never vanish);
    /// otherwise <see cref="FsVisibility.Hidden"/>.
    /// </summary>
    public FsVisibility Resolve(ReadOnlySpan<byte> path, bool isDirectory, bool isMountRoot = false)
    {
        switch (Decide(path))
        {
            case AclAccess.Rw: return FsVisibility.Rw;
            case AclAccess.Ro: return FsVisibility.Ro;
        }
        if (isMountRoot) return FsVisibility.Traverse;
        return isDirectory && MayAllowBelow(path) ? FsVisibility.Traverse : FsVisibility.Hidden;
    }

    /// <inheritdoc cref="Resolve(ReadOnlySpan{byte}, bool, bool)"/>
    public FsVisibility Resolve(string path, bool isDirectory, bool isMountRoot = false)
    {
        var max = Encoding.UTF8.GetMaxByteCount(path.Length);
        byte[]? rented = null;
        Span<byte> buffer = max <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var n = Encoding.UTF8.GetBytes(path, buffer);
            return Resolve(buffer[..n], isDirectory, isMountRoot);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>True when a listing of <paramref name="directory"/> may be read (it is visible as a directory).</summary>
    public bool CanList(ReadOnlySpan<byte> directory, bool isMountRoot = false) =>
        Resolve(directory, isDirectory: true, isMountRoot) != FsVisibility.Hidden;

    /// <inheritdoc cref="CanList(ReadOnlySpan{byte}, bool)"/>
    public bool CanList(string directory, bool isMountRoot = false) =>
        Resolve(directory, isDirectory: true, isMountRoot) != FsVisibility.Hidden;

    private enum BelowAnswer { No, Yes, Rw, Ro, Deny, Mixed }

    private enum BelowMode { Allow, Uniform, Hide }

    private BelowAnswer Below(ReadOnlySpan<byte> path, BelowMode mode)
    {
        var count = CountSegments(path);
        if (count < 0) return mode switch { BelowMode.Uniform => BelowAnswer.Deny, BelowMode.Hide => BelowAnswer.Yes, _ => BelowAnswer.No };
        var uniform = mode == BelowMode.Uniform;
        int[]? rented = null;
        Span<int> bounds = count <= StackSegments ? stackalloc int[StackSegments * 2] : (rented = ArrayPool<int>.Shared.Rent(count * 2));
        try
        {
            Split(path, bounds);
            var segments = new Segments(path, bounds[..(count * 2)]);
            AclAccess? seen = null;
            foreach (var rule in _rules)
            {
                var reach = rule.ReachBelow(segments);
                if (reach == Reach.None) continue;
                if (mode == BelowMode.Hide)
                {
                    if (rule.Access == AclAccess.Deny) return BelowAnswer.Yes;
                    if (reach == Reach.All) return BelowAnswer.No;
                    continue;
                }
                if (!uniform)
                {
                    if (rule.Access != AclAccess.Deny) return BelowAnswer.Yes;
                    if (reach == Reach.All) return BelowAnswer.No;
                    continue;
                }
                if (seen is null) seen = rule.Access;
                else if (seen != rule.Access) return BelowAnswer.Mixed;
                if (reach == Reach.All) return ToAnswer(seen.Value);
            }
            if (mode == BelowMode.Hide) return BelowAnswer.Yes;
            if (!uniform) return BelowAnswer.No;
            // Whatever no rule matches is denied, so only an all-deny picture stays uniform.
            return seen is null or AclAccess.Deny ? BelowAnswer.Deny : BelowAnswer.Mixed;
        }
        finally
        {
            if (rented is not null) ArrayPool<int>.Shared.Return(rented);
        }
    }

    private static BelowAnswer ToAnswer(AclAccess access) => access switch
    {
        AclAccess.Rw => BelowAnswer.Rw,
        AclAccess.Ro => BelowAnswer.Ro,
        _ => BelowAnswer.Deny,
    };

    /// <summary>Number of segments of a normalised absolute path, or -1 when it is not one.</summary>
    internal static int CountSegments(ReadOnlySpan<byte> path)
    {
        if (path.Length == 0 || path[0] != (byte)'/') return -1;
        if (path.Length > 1 && path[^1] == (byte)'/') path = path[..^1];
        if (path.Length == 1) return 0;
        var count = 0;
        var start = 1;
        while (true)
        {
            var rest = path[start..];
            var slash = rest.IndexOf((byte)'/');
            var segment = slash < 0 ? rest : rest[..slash];
            if (segment.Length == 0) return -1;
            if (segment[0] == (byte)'.' && (segment.Length == 1 || (segment.Length == 2 && segment[1] == (byte)'.'))) return -1;
            if (segment.IndexOf((byte)0) >= 0) return -1;
            count++;
            if (slash < 0) return count;
            start += slash + 1;
        }
    }

    /// <summary>Writes (start, end) pairs of each segment into <paramref name="bounds"/>.</summary>
    private static void Split(ReadOnlySpan<byte> path, Span<int> bounds)
    {
        var end = path.Length > 1 && path[^1] == (byte)'/' ? path.Length - 1 : path.Length;
        var n = 0;
        var start = 1;
        while (start < end)
        {
            var slash = path[start..end].IndexOf((byte)'/');
            var stop = slash < 0 ? end : start + slash;
            bounds[n++] = start;
            bounds[n++] = stop;
            start = stop + 1;
        }
    }

    private static T WithUtf8<T>(string path, AclMatcher matcher, Utf8Func<T> func)
    {
        ArgumentNullException.ThrowIfNull(path);
        var max = Encoding.UTF8.GetMaxByteCount(path.Length);
        byte[]? rented = null;
        Span<byte> buffer = max <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var n = Encoding.UTF8.GetBytes(path, buffer);
            return func(matcher, buffer[..n]);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private delegate T Utf8Func<T>(AclMatcher matcher, ReadOnlySpan<byte> path);
}

/// <summary>How a path appears to the sandbox.</summary>
public enum FsVisibility : byte
{
    /// <summary>Does not exist for the sandbox (ENOENT, left out of listings).</summary>
    Hidden,
    /// <summary>A denied directory on the way to allowed paths: visible, read-only, listing filtered.</summary>
    Traverse,
    /// <summary>Readable, every write fails with EROFS.</summary>
    Ro,
    /// <summary>Readable and writable.</summary>
    Rw,
}
