using System.Text;
using Hive.Core.Config;
using Hive.Core.Files;

namespace Hive.Core.Tests.Files;

public class AclMatcherTests
{
    private static AclMatcher One(string pattern) => AclMatcher.Compile([new AclRule(pattern, AclAccess.Rw)]);

    private static AclMatcher Rules(params (string Path, AclAccess Access)[] rules) =>
        AclMatcher.Compile(rules.Select(r => new AclRule(r.Path, r.Access)).ToArray());

    // ---- single pattern: does it match? -------------------------------------------------------------------------

    [Theory]
    // ** at the end matches the directory itself and everything below
    [InlineData("/workspace/**", "/workspace", true)]
    [InlineData("/workspace/**", "/workspace/", true)]
    [InlineData("/workspace/**", "/workspace/a", true)]
    [InlineData("/workspace/**", "/workspace/a/b/c/d", true)]
    [InlineData("/workspace/**", "/workspace/.git/config", true)]
    [InlineData("/workspace/**", "/workspacex", false)]
    [InlineData("/workspace/**", "/workspace2/a", false)]
    [InlineData("/workspace/**", "/work", false)]
    [InlineData("/workspace/**", "/", false)]
    [InlineData("/workspace/**", "/other/workspace/a", false)]
    [InlineData("/workspace/**", "/Workspace/a", false)]
    [InlineData("/**", "/", true)]
    [InlineData("/**", "/a", true)]
    [InlineData("/**", "/a/b/c", true)]
    // exact paths
    [InlineData("/workspace", "/workspace", true)]
    [InlineData("/workspace", "/workspace/", true)]
    [InlineData("/workspace", "/workspace/a", false)]
    [InlineData("/workspace/a.txt", "/workspace/a.txt", true)]
    [InlineData("/workspace/a.txt", "/workspace/A.txt", false)]
    [InlineData("/workspace/a.txt", "/workspace/a.txt/b", false)]
    [InlineData("/workspace/a.txt", "/workspace/a.tx", false)]
    [InlineData("/workspace/a.txt", "/workspace/a.txtx", false)]
    [InlineData("/workspace/a.txt", "/workspace/sub/a.txt", false)]
    // * stays within one segment
    [InlineData("/workspace/*", "/workspace/a", true)]
    [InlineData("/workspace/*", "/workspace/.env", true)]
    [InlineData("/workspace/*", "/workspace/a/b", false)]
    [InlineData("/workspace/*", "/workspace", false)]
    [InlineData("/workspace/*", "/workspace/", false)]
    [InlineData("/workspace/*.md", "/workspace/README.md", true)]
    [InlineData("/workspace/*.md", "/workspace/.md", true)]
    [InlineData("/workspace/*.md", "/workspace/README.MD", false)]
    [InlineData("/workspace/*.md", "/workspace/README.md.bak", false)]
    [InlineData("/workspace/*.md", "/workspace/docs/README.md", false)]
    [InlineData("/workspace/a*", "/workspace/a", true)]
    [InlineData("/workspace/a*", "/workspace/abc", true)]
    [InlineData("/workspace/a*", "/workspace/ba", false)]
    [InlineData("/workspace/*a", "/workspace/a", true)]
    [InlineData("/workspace/*a", "/workspace/banana", true)]
    [InlineData("/workspace/*a", "/workspace/ab", false)]
    [InlineData("/workspace/a*b*c", "/workspace/abc", true)]
    [InlineData("/workspace/a*b*c", "/workspace/aXbYc", true)]
    [InlineData("/workspace/a*b*c", "/workspace/aXbYcZc", true)]
    [InlineData("/workspace/a*b*c", "/workspace/aXcYb", false)]
    [InlineData("/workspace/*/*.py", "/workspace/src/main.py", true)]
    [InlineData("/workspace/*/*.py", "/workspace/main.py", false)]
    [InlineData("/workspace/*/*.py", "/workspace/src/pkg/main.py", false)]
    [InlineData("/workspace/**/*.py", "/workspace/main.py", true)]
    [InlineData("/workspace/**/*.py", "/workspace/src/main.py", true)]
    [InlineData("/workspace/**/*.py", "/workspace/src/pkg/deep/main.py", true)]
    [InlineData("/workspace/**/*.py", "/workspace/src/main.pyc", false)]
    [InlineData("/workspace/**/*.py", "/workspace", false)]
    // ? is exactly one character, never /
    [InlineData("/workspace/?", "/workspace/a", true)]
    [InlineData("/workspace/?", "/workspace/ab", false)]
    [InlineData("/workspace/?", "/workspace", false)]
    [InlineData("/workspace/?", "/workspace/", false)]
    [InlineData("/workspace/a?c", "/workspace/abc", true)]
    [InlineData("/workspace/a?c", "/workspace/ac", false)]
    [InlineData("/workspace/a?c", "/workspace/a/c", false)]
    [InlineData("/workspace/a?c", "/workspace/abbc", false)]
    [InlineData("/workspace/??", "/workspace/ab", true)]
    [InlineData("/workspace/??", "/workspace/a", false)]
    [InlineData("/workspace/file?.txt", "/workspace/file1.txt", true)]
    [InlineData("/workspace/file?.txt", "/workspace/file10.txt", false)]
    [InlineData("/workspace/?*", "/workspace/a", true)]
    [InlineData("/workspace/?*", "/workspace/abc", true)]
    [InlineData("/workspace/*?", "/workspace/a", true)]
    [InlineData("/workspace/*?*", "/workspace/abc", true)]
    // ? and * count characters, not bytes
    [InlineData("/workspace/?", "/workspace/é", true)]
    [InlineData("/workspace/?", "/workspace/日", true)]
    [InlineData("/workspace/?", "/workspace/😀", true)]
    [InlineData("/workspace/??", "/workspace/é", false)]
    [InlineData("/workspace/a?c", "/workspace/aéc", true)]
    [InlineData("/workspace/*é", "/workspace/café", true)]
    [InlineData("/workspace/caf?", "/workspace/café", true)]
    [InlineData("/workspace/café", "/workspace/café", true)]
    [InlineData("/workspace/café", "/workspace/cafe", false)]
    [InlineData("/workspace/日本/*", "/workspace/日本/語", true)]
    [InlineData("/workspace/*?", "/workspace/日本", true)]
    // ** in the middle
    [InlineData("/workspace/**/secret", "/workspace/secret", true)]
    [InlineData("/workspace/**/secret", "/workspace/a/secret", true)]
    [InlineData("/workspace/**/secret", "/workspace/a/b/secret", true)]
    [InlineData("/workspace/**/secret", "/workspace/a/secret/x", false)]
    [InlineData("/workspace/**/secret", "/workspace/secretx", false)]
    [InlineData("/workspace/**/secret/**", "/workspace/secret", true)]
    [InlineData("/workspace/**/secret/**", "/workspace/secret/x", true)]
    [InlineData("/workspace/**/secret/**", "/workspace/a/b/secret/x/y", true)]
    [InlineData("/workspace/**/secret/**", "/workspace/a/b/notsecret/x", false)]
    [InlineData("/workspace/**/a/**/b", "/workspace/a/b", true)]
    [InlineData("/workspace/**/a/**/b", "/workspace/x/a/y/z/b", true)]
    [InlineData("/workspace/**/a/**/b", "/workspace/a/a/b", true)]
    [InlineData("/workspace/**/a/**/b", "/workspace/b/a", false)]
    [InlineData("/workspace/**/a/**/b", "/workspace/a/b/c", false)]
    [InlineData("/workspace/**/**/x", "/workspace/x", true)]
    [InlineData("/workspace/**/**/x", "/workspace/1/2/3/x", true)]
    [InlineData("/**/node_modules/**", "/workspace/node_modules", true)]
    [InlineData("/**/node_modules/**", "/workspace/app/node_modules/react/index.js", true)]
    [InlineData("/**/node_modules/**", "/workspace/app/node_modulesx/a", false)]
    [InlineData("/workspace/a/**/*.key", "/workspace/a/x.key", true)]
    [InlineData("/workspace/a/**/*.key", "/workspace/a/b/c/x.key", true)]
    [InlineData("/workspace/a/**/*.key", "/workspace/b/x.key", false)]
    [InlineData("/workspace/*/**", "/workspace", false)]
    [InlineData("/workspace/*/**", "/workspace/a", true)]
    [InlineData("/workspace/*/**", "/workspace/a/b", true)]
    [InlineData("/workspace/**/*", "/workspace", false)]
    [InlineData("/workspace/**/*", "/workspace/a", true)]
    [InlineData("/workspace/**/*", "/workspace/a/b/c", true)]
    // greedy backtracking must not give up early
    [InlineData("/w/**/a/b", "/w/a/a/a/b", true)]
    [InlineData("/w/**/a/b", "/w/a/b/a/b", true)]
    [InlineData("/w/**/a/b", "/w/a/b/a/c", false)]
    [InlineData("/w/**/x*y/z", "/w/x/xy/z", true)]
    // case sensitivity
    [InlineData("/workspace/Secret", "/workspace/secret", false)]
    [InlineData("/workspace/secret", "/workspace/SECRET", false)]
    [InlineData("/workspace/*.KEY", "/workspace/a.key", false)]
    // wildcard characters in names are matched by wildcards, literally otherwise
    [InlineData("/workspace/*", "/workspace/*", true)]
    [InlineData("/workspace/?", "/workspace/*", true)]
    [InlineData("/workspace/[ab]", "/workspace/[ab]", true)]
    [InlineData("/workspace/[ab]", "/workspace/a", false)]
    [InlineData("/workspace/a b", "/workspace/a b", true)]
    [InlineData("/workspace/a\\b", "/workspace/a\\b", true)]
    public void Pattern_matches_path(string pattern, string path, bool expected)
    {
        Assert.Equal(expected ? AclAccess.Rw : AclAccess.Deny, One(pattern).Decide(path));
        Assert.Equal(expected ? AclAccess.Rw : AclAccess.Deny, One(pattern).Decide(Encoding.UTF8.GetBytes(path)));
    }

    // ---- paths that are not normalised fail closed ----------------------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("workspace/a")]
    [InlineData("./workspace")]
    [InlineData("/workspace/../etc/passwd")]
    [InlineData("/workspace/..")]
    [InlineData("/workspace/./a")]
    [InlineData("/workspace/.")]
    [InlineData("/..")]
    [InlineData("/../workspace/a")]
    [InlineData("/workspace//a")]
    [InlineData("//workspace/a")]
    [InlineData("/workspace/a//")]
    [InlineData("/workspace/a\0b")]
    public void Unnormalised_paths_are_denied(string path)
    {
        var matcher = Rules(("/**", AclAccess.Rw));
        Assert.Equal(AclAccess.Deny, matcher.Decide(path));
        Assert.False(matcher.MayAllowBelow(path));
        Assert.Equal(AclAccess.Deny, matcher.UniformBelow(path));
        Assert.False(matcher.IsSubtreeRw(path));
    }

    [Theory]
    [InlineData("/workspace/..a")]
    [InlineData("/workspace/a..")]
    [InlineData("/workspace/...")]
    [InlineData("/workspace/.a")]
    [InlineData("/workspace/a.")]
    public void Dots_inside_names_are_just_names(string path) =>
        Assert.Equal(AclAccess.Rw, Rules(("/workspace/**", AclAccess.Rw)).Decide(path));

    [Fact]
    public void Non_utf8_names_match_wildcards_one_byte_per_character()
    {
        var matcher = Rules(("/w/?", AclAccess.Ro), ("/w/*", AclAccess.Rw));
        Assert.Equal(AclAccess.Ro, matcher.Decide([.. "/w/"u8, 0xFF]));
        Assert.Equal(AclAccess.Rw, matcher.Decide([.. "/w/"u8, 0xFF, 0xFE]));
        Assert.Equal(AclAccess.Ro, matcher.Decide([.. "/w/"u8, 0xC3])); // truncated sequence
        Assert.Equal(AclAccess.Rw, matcher.Decide([.. "/w/"u8, 0xC3, 0x41]));
    }

    [Fact]
    public void Deep_paths_work_beyond_the_stack_buffer()
    {
        var deep = "/w" + string.Concat(Enumerable.Repeat("/d", 500));
        var matcher = Rules(("/w/**/x", AclAccess.Ro), ("/w/**", AclAccess.Rw));
        Assert.Equal(AclAccess.Rw, matcher.Decide(deep));
        Assert.Equal(AclAccess.Ro, matcher.Decide(deep + "/x"));
        Assert.True(matcher.MayAllowBelow(deep));
        Assert.Null(matcher.UniformBelow(deep));
    }

    // ---- first match wins -----------------------------------------------------------------------------------------

    public static TheoryData<string, string, AclAccess> FirstMatchCases()
    {
        var data = new TheoryData<string, string, AclAccess>();
        // rules: deny secrets, ro docs, rw the rest
        const string set1 = "set1";
        data.Add(set1, "/workspace", AclAccess.Rw);
        data.Add(set1, "/workspace/src/a.c", AclAccess.Rw);
        data.Add(set1, "/workspace/.env", AclAccess.Deny);
        data.Add(set1, "/workspace/sub/.env", AclAccess.Deny);
        data.Add(set1, "/workspace/.envrc", AclAccess.Rw);
        data.Add(set1, "/workspace/secrets", AclAccess.Deny);
        data.Add(set1, "/workspace/secrets/key.pem", AclAccess.Deny);
        data.Add(set1, "/workspace/secretsx", AclAccess.Rw);
        data.Add(set1, "/workspace/docs", AclAccess.Ro);
        data.Add(set1, "/workspace/docs/a/b.md", AclAccess.Ro);
        data.Add(set1, "/workspace/docs/.env", AclAccess.Deny);
        data.Add(set1, "/workspace/id.key", AclAccess.Deny);
        data.Add(set1, "/workspace/a/b/id.key", AclAccess.Deny);
        data.Add(set1, "/workspace/a/b/id.keys", AclAccess.Rw);
        data.Add(set1, "/elsewhere", AclAccess.Deny);
        // rules: rw first, deny later is shadowed
        const string set2 = "set2";
        data.Add(set2, "/workspace/secrets/key", AclAccess.Rw);
        data.Add(set2, "/workspace", AclAccess.Rw);
        // rules: deny all first: nothing else matters
        const string set3 = "set3";
        data.Add(set3, "/workspace", AclAccess.Deny);
        data.Add(set3, "/workspace/pub/a", AclAccess.Deny);
        // rules: only a subtree, nothing else
        const string set4 = "set4";
        data.Add(set4, "/workspace", AclAccess.Deny);
        data.Add(set4, "/workspace/pub", AclAccess.Rw);
        data.Add(set4, "/workspace/pub/a/b", AclAccess.Rw);
        data.Add(set4, "/workspace/pubx", AclAccess.Deny);
        data.Add(set4, "/workspace/other", AclAccess.Deny);
        data.Add(set4, "/workspace/ro", AclAccess.Ro);
        data.Add(set4, "/workspace/ro/x", AclAccess.Ro);
        // rules: children of secret hidden, the directory itself visible
        const string set5 = "set5";
        data.Add(set5, "/workspace/secret", AclAccess.Rw);
        data.Add(set5, "/workspace/secret/key", AclAccess.Deny);
        data.Add(set5, "/workspace/secret/sub/key", AclAccess.Rw);
        return data;
    }

    private static AclMatcher Set(string name) => name switch
    {
        "set1" => Rules(
            ("/workspace/**/.env", AclAccess.Deny),
            ("/workspace/secrets/**", AclAccess.Deny),
            ("/workspace/**/*.key", AclAccess.Deny),
            ("/workspace/docs/**", AclAccess.Ro),
            ("/workspace/**", AclAccess.Rw)),
        "set2" => Rules(("/workspace/**", AclAccess.Rw), ("/workspace/secrets/**", AclAccess.Deny)),
        "set3" => Rules(("/workspace/**", AclAccess.Deny), ("/workspace/pub/**", AclAccess.Rw)),
        "set4" => Rules(("/workspace/pub/**", AclAccess.Rw), ("/workspace/ro/**", AclAccess.Ro)),
        "set5" => Rules(("/workspace/secret/*", AclAccess.Deny), ("/workspace/**", AclAccess.Rw)),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(FirstMatchCases))]
    public void First_match_wins(string set, string path, AclAccess expected) => Assert.Equal(expected, Set(set).Decide(path));

    [Fact]
    public void No_rules_deny_everything()
    {
        var matcher = AclMatcher.Compile([]);
        Assert.Equal(AclAccess.Deny, matcher.Decide("/workspace"));
        Assert.Equal(AclAccess.Deny, matcher.Decide("/workspace/a"));
        Assert.False(matcher.MayAllowBelow("/workspace"));
        Assert.Equal(AclAccess.Deny, matcher.UniformBelow("/workspace"));
        Assert.Equal(FsVisibility.Traverse, matcher.Resolve("/workspace", isDirectory: true, isMountRoot: true));
        Assert.Equal(FsVisibility.Hidden, matcher.Resolve("/workspace/a", isDirectory: true));
    }

    [Fact]
    public void Allow_all_allows_the_mount_and_below()
    {
        var matcher = AclMatcher.AllowAll("/workspace");
        Assert.Equal(AclAccess.Rw, matcher.Decide("/workspace"));
        Assert.Equal(AclAccess.Rw, matcher.Decide("/workspace/a/b"));
        Assert.True(matcher.IsSubtreeRw("/workspace"));
    }

    // ---- below a directory: may something be allowed, is everything the same ------------------------------------

    [Theory]
    // set4: rw /workspace/pub/**, ro /workspace/ro/**
    [InlineData("set4", "/workspace", true)]
    [InlineData("set4", "/workspace/pub", true)]
    [InlineData("set4", "/workspace/other", false)]
    [InlineData("set4", "/workspace/pubx", false)]
    [InlineData("set4", "/elsewhere", false)]
    [InlineData("set4", "/", true)]
    // set3: deny /workspace/** first: nothing below can be allowed
    [InlineData("set3", "/workspace", false)]
    [InlineData("set3", "/workspace/pub", false)]
    // set1
    [InlineData("set1", "/workspace/secrets", false)]
    [InlineData("set1", "/workspace/secrets/a", false)]
    [InlineData("set1", "/workspace/docs", true)]
    [InlineData("set1", "/workspace", true)]
    // set5: the children of /workspace/secret are denied, grandchildren are not
    [InlineData("set5", "/workspace/secret", true)]
    public void May_allow_below(string set, string directory, bool expected) =>
        Assert.Equal(expected, Set(set).MayAllowBelow(directory));

    [Theory]
    [InlineData("set1", "/workspace", null)]
    [InlineData("set1", "/workspace/secrets", AclAccess.Deny)]
    [InlineData("set1", "/workspace/docs", null)] // .env and *.key inside docs are denied
    [InlineData("set1", "/workspace/src", null)]
    [InlineData("set2", "/workspace", AclAccess.Rw)]
    [InlineData("set2", "/workspace/secrets", AclAccess.Rw)]
    [InlineData("set3", "/workspace", AclAccess.Deny)]
    [InlineData("set3", "/workspace/pub", AclAccess.Deny)]
    [InlineData("set4", "/workspace/pub", AclAccess.Rw)]
    [InlineData("set4", "/workspace/pub/a", AclAccess.Rw)]
    [InlineData("set4", "/workspace/ro", AclAccess.Ro)]
    [InlineData("set4", "/workspace", null)]
    [InlineData("set4", "/workspace/other", AclAccess.Deny)]
    [InlineData("set5", "/workspace/secret", null)]
    [InlineData("set5", "/workspace/secret/sub", AclAccess.Rw)]
    [InlineData("set5", "/workspace/other", AclAccess.Rw)]
    public void Uniform_below(string set, string directory, AclAccess? expected) =>
        Assert.Equal(expected, Set(set).UniformBelow(directory));

    [Theory]
    [InlineData("/workspace/*/**", "/workspace", AclAccess.Rw)]
    [InlineData("/workspace/**/*", "/workspace", AclAccess.Rw)]
    [InlineData("/workspace/*/*/**", "/workspace", null)] // /workspace/a is not matched
    [InlineData("/workspace/*", "/workspace", null)] // /workspace/a/b is not matched
    [InlineData("/workspace/*.txt", "/workspace", null)]
    [InlineData("/workspace/a/**", "/workspace", null)]
    [InlineData("/workspace/a/**", "/workspace/a", AclAccess.Rw)]
    [InlineData("/workspace/a/**", "/workspace/b", AclAccess.Deny)]
    [InlineData("/**", "/x/y", AclAccess.Rw)]
    public void Uniform_below_single_rule(string pattern, string directory, AclAccess? expected) =>
        Assert.Equal(expected, One(pattern).UniformBelow(directory));

    [Theory]
    [InlineData("set2", "/workspace", true)]
    [InlineData("set2", "/workspace/secrets", true)]
    [InlineData("set1", "/workspace/src", false)] // a *.key below would be denied
    [InlineData("set1", "/workspace/docs", false)]
    [InlineData("set4", "/workspace/pub", true)]
    [InlineData("set4", "/workspace/ro", false)]
    [InlineData("set4", "/workspace", false)]
    [InlineData("set5", "/workspace/secret", false)] // moving it would expose its denied children
    [InlineData("set5", "/workspace/secret/sub", false)] // itself denied
    [InlineData("set5", "/workspace/other", true)]
    public void Subtree_rw(string set, string directory, bool expected) => Assert.Equal(expected, Set(set).IsSubtreeRw(directory));

    // ---- visibility and listing -------------------------------------------------------------------------------------

    [Theory]
    [InlineData("set4", "/workspace", true, false, FsVisibility.Traverse)]
    [InlineData("set4", "/workspace", true, true, FsVisibility.Traverse)]
    [InlineData("set4", "/workspace/pub", true, false, FsVisibility.Rw)]
    [InlineData("set4", "/workspace/pub/x", false, false, FsVisibility.Rw)]
    [InlineData("set4", "/workspace/ro", true, false, FsVisibility.Ro)]
    [InlineData("set4", "/workspace/other", true, false, FsVisibility.Hidden)]
    [InlineData("set4", "/workspace/other", false, false, FsVisibility.Hidden)]
    [InlineData("set4", "/workspace/pubfile", false, false, FsVisibility.Hidden)]
    [InlineData("set3", "/workspace", true, true, FsVisibility.Traverse)] // the mount root never vanishes
    [InlineData("set3", "/workspace/pub", true, false, FsVisibility.Hidden)]
    [InlineData("set1", "/workspace/secrets", true, false, FsVisibility.Hidden)]
    [InlineData("set1", "/workspace/.env", false, false, FsVisibility.Hidden)]
    [InlineData("set1", "/workspace/.env", true, false, FsVisibility.Traverse)] // a directory named .env: its children are rw
    [InlineData("set1", "/workspace/docs", true, false, FsVisibility.Ro)]
    [InlineData("set5", "/workspace/secret", true, false, FsVisibility.Rw)]
    [InlineData("set5", "/workspace/secret/key", false, false, FsVisibility.Hidden)]
    // a denied directory whose grandchildren are allowed is on the way to them
    [InlineData("set5", "/workspace/secret/sub", true, false, FsVisibility.Traverse)]
    [InlineData("set5", "/workspace/secret/sub", false, false, FsVisibility.Hidden)]
    public void Visibility(string set, string path, bool isDirectory, bool isRoot, FsVisibility expected)
    {
        Assert.Equal(expected, Set(set).Resolve(path, isDirectory, isRoot));
        if (isDirectory) Assert.Equal(expected != FsVisibility.Hidden, Set(set).CanList(path, isRoot));
    }

    [Fact]
    public void Denied_directory_on_the_way_to_grandchildren_is_traversable()
    {
        var matcher = Rules(("/w/a/*", AclAccess.Deny), ("/w/**", AclAccess.Rw));
        Assert.Equal(FsVisibility.Traverse, matcher.Resolve("/w/a/b", isDirectory: true));
        Assert.Equal(FsVisibility.Hidden, matcher.Resolve("/w/a/b", isDirectory: false));
        Assert.Equal(FsVisibility.Rw, matcher.Resolve("/w/a/b/c", isDirectory: false));
    }

    // ---- cross-checks: the NFA used below directories agrees with the matcher ---------------------------------------

    public static TheoryData<string> Patterns() =>
    [
        "/w/**", "/w/*", "/w/a", "/w/a/**", "/w/**/a", "/w/**/a/**", "/w/*/b", "/w/*/**", "/w/**/*", "/w/a*/**",
        "/w/?/**", "/w/**/*.x", "/**", "/w/a/b/c", "/w/**/**/c", "/w/a/**/b/**/c",
    ];

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Reach_below_agrees_with_matching(string pattern)
    {
        var matcher = One(pattern);
        string[] names = ["a", "b", "c", "x.x", "ab", "zz"];
        var paths = new List<string> { "/w" };
        var level = new List<string> { "/w" };
        for (var depth = 0; depth < 3; depth++)
        {
            level = level.SelectMany(p => names.Select(n => p + "/" + n)).ToList();
            paths.AddRange(level);
        }
        foreach (var dir in paths)
        {
            var below = paths.Where(p => p.StartsWith(dir + "/", StringComparison.Ordinal)).ToList();
            if (below.Count == 0) continue;
            var anyMatch = below.Any(p => matcher.Decide(p) == AclAccess.Rw);
            var allMatch = below.All(p => matcher.Decide(p) == AclAccess.Rw);
            // MayAllowBelow is conservative: never false when something below (in the sample) matches.
            if (anyMatch) Assert.True(matcher.MayAllowBelow(dir), $"{pattern} below {dir}");
            // UniformBelow says Rw only if everything below matches.
            if (matcher.UniformBelow(dir) == AclAccess.Rw) Assert.True(allMatch, $"{pattern} all below {dir}");
            if (matcher.UniformBelow(dir) == AclAccess.Deny) Assert.False(anyMatch, $"{pattern} none below {dir}");
        }
    }

    // ---- how rules are written ---------------------------------------------------------------------------------------

    [Theory]
    [InlineData("/workspace/**/", "/workspace/a", true)]
    [InlineData("/workspace//a", "/workspace/a", true)]
    [InlineData("/workspace/**/**", "/workspace", true)]
    [InlineData("/workspace/a**b", "/workspace/aXYb", true)]
    [InlineData("/workspace/a**b", "/workspace/a/b", false)]
    public void Unvalidated_patterns_still_compile_sensibly(string pattern, string path, bool expected) =>
        Assert.Equal(expected ? AclAccess.Rw : AclAccess.Deny, One(pattern).Decide(path));

    [Fact]
    public void Rules_are_kept_in_order()
    {
        var matcher = Set("set1");
        Assert.Equal(5, matcher.Rules.Count);
        Assert.Equal("/workspace/**/.env", matcher.Rules[0].Path);
    }

    [Fact]
    public void Matching_does_not_allocate()
    {
        var matcher = Set("set1");
        var path = "/workspace/a/b/c/d/file.txt"u8.ToArray();
        matcher.Decide(path);
        matcher.MayAllowBelow(path);
        matcher.UniformBelow(path);
        Assert.Equal(0, Allocations.Quietest(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                matcher.Decide(path);
                matcher.MayAllowBelow(path);
                matcher.UniformBelow(path);
                matcher.Resolve(path, isDirectory: true);
            }
        }));
    }

    // ---- randomised cross-check against a regular-expression reference -----------------------------------------------

    private static System.Text.RegularExpressions.Regex Reference(string pattern)
    {
        var sb = new StringBuilder("^");
        foreach (var segment in pattern.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == "**") { sb.Append("(/[^/]+)*"); continue; }
            sb.Append('/');
            foreach (var c in segment)
                sb.Append(c switch { '*' => "[^/]*", '?' => "[^/]", _ => System.Text.RegularExpressions.Regex.Escape(c.ToString()) });
        }
        return new System.Text.RegularExpressions.Regex(sb.Append('$').ToString(), System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    }

    [Fact]
    public void Random_patterns_agree_with_a_regex_reference()
    {
        var random = new Random(4242);
        string[] patternSegments = ["a", "b", "ab", "*", "?", "**", "a*", "*b", "?a", "a?b", "*a*", ".a", "**"];
        string[] names = ["a", "b", "ab", "ba", "aab", "abb", ".a", "a.b", "aa", "bab"];
        var checkedCases = 0;
        for (var p = 0; p < 400; p++)
        {
            var depth = random.Next(1, 5);
            var pattern = "/" + string.Join('/', Enumerable.Range(0, depth).Select(_ => patternSegments[random.Next(patternSegments.Length)]));
            // ** only as a whole segment (what the config accepts); "**" entries above already are
            var matcher = One(pattern);
            var reference = Reference(pattern);
            for (var q = 0; q < 40; q++)
            {
                var pathDepth = random.Next(0, 6);
                var path = "/" + string.Join('/', Enumerable.Range(0, pathDepth).Select(_ => names[random.Next(names.Length)]));
                var expected = reference.IsMatch(path == "/" ? "" : path);
                Assert.True(expected == (matcher.Decide(path) == AclAccess.Rw), $"{pattern} vs {path}: reference says {expected}");
                checkedCases++;
            }
        }
        Assert.Equal(16000, checkedCases);
    }

    [Fact]
    public void Random_rule_lists_keep_below_answers_sound()
    {
        var random = new Random(7);
        string[] patternSegments = ["w", "a", "b", "*", "?", "**", "a*", "*.k"];
        string[] names = ["a", "b", "x.k", "ab"];
        var paths = new List<string> { "/w" };
        var level = new List<string> { "/w" };
        for (var d = 0; d < 3; d++)
        {
            level = level.SelectMany(p => names.Select(n => p + "/" + n)).ToList();
            paths.AddRange(level);
        }
        for (var trial = 0; trial < 150; trial++)
        {
            var rules = Enumerable.Range(0, random.Next(1, 4)).Select(_ =>
                new AclRule("/w/" + string.Join('/', Enumerable.Range(0, random.Next(1, 4)).Select(_ => patternSegments[random.Next(patternSegments.Length)])),
                    (AclAccess)random.Next(3))).ToArray();
            var matcher = AclMatcher.Compile(rules);
            foreach (var dir in paths)
            {
                var below = paths.Where(p => p.StartsWith(dir + "/", StringComparison.Ordinal)).Select(matcher.Decide).ToList();
                if (below.Count == 0) continue;
                var label = string.Join("; ", rules.Select(r => $"{r.Access} {r.Path}")) + " below " + dir;
                if (below.Any(a => a != AclAccess.Deny)) Assert.True(matcher.MayAllowBelow(dir), label);
                if (matcher.UniformBelow(dir) is { } uniform) Assert.All(below, a => Assert.Equal(uniform, a));
            }
        }
    }
    // ---- may something below be hidden? (what a directory's link count and size would betray) ----------------------

    [Theory]
    [InlineData("/workspace", true)]             // secrets/** and **/*.key can hide below it
    [InlineData("/workspace/docs", true)]        // **/*.key reaches into docs
    [InlineData("/workspace/secrets", true)]     // all denied
    [InlineData("/workspace/pub", true)]
    public void May_hide_below_with_a_pattern_that_reaches_everywhere(string path, bool expected) =>
        Assert.Equal(expected, Rules(("/workspace/secrets/**", AclAccess.Deny), ("/workspace/**/*.key", AclAccess.Deny),
            ("/workspace/**", AclAccess.Rw)).MayHideBelow(path));

    [Theory]
    [InlineData("/workspace", true)]             // secret/** lies below
    [InlineData("/workspace/src", false)]        // nothing denied can match below src, rw covers all
    [InlineData("/workspace/ro", false)]         // ro is visible
    [InlineData("/workspace/secret", true)]
    [InlineData("/other", true)]                 // no rule covers it: denied
    public void May_hide_below_follows_first_match(string path, bool expected) =>
        Assert.Equal(expected, Rules(("/workspace/secret/**", AclAccess.Deny), ("/workspace/ro/**", AclAccess.Ro),
            ("/workspace/**", AclAccess.Rw)).MayHideBelow(path));

    [Fact]
    public void Nothing_is_hidden_below_an_all_rw_mount() =>
        Assert.False(Rules(("/workspace/**", AclAccess.Rw)).MayHideBelow("/workspace"));
}
