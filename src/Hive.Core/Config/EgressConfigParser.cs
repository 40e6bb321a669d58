using System.Text.Json;

namespace Hive.Core.Config;

/// <summary>Parses <c>egress</c> in list form or <c>{ allow, deny }</c> form into an ordered list of rules.</summary>
internal static class EgressConfigParser
{
    private static readonly string[] GroupFields = ["allow", "deny"];
    private static readonly string[] RuleFields = ["access", "host", "ports", "methods", "paths", "override"];
    private static readonly string[] OverrideFields = ["headers", "query"];
    private static readonly (string, EgressAccess)[] Accesses = [("allow", EgressAccess.Allow), ("deny", EgressAccess.Deny), ("ask", EgressAccess.Ask)];

    public static IReadOnlyList<EgressRule> Parse(ParseContext c, JsonElement? value)
    {
        if (value is not { } v) return [];
        var rules = new List<EgressRule>();
        switch (v.ValueKind)
        {
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in v.EnumerateArray())
                    Add(rules, ParseRule(c, item, JsonPath.Index("egress", i++), implied: null));
                break;
            case JsonValueKind.Object:
                var groups = c.Fields(v, "egress", GroupFields)!;
                var allow = new List<EgressRule>();
                ParseGroup(c, allow, groups, "allow", EgressAccess.Allow);
                ParseGroup(c, rules, groups, "deny", EgressAccess.Deny);
                // Deny rules go first so that an allow can never shadow a deny written beside it.
                rules.AddRange(allow);
                break;
            default:
                c.Error("egress", "must be a list of rules or an object { \"allow\": [rules], \"deny\": [rules] }" + ParseContext.Got(v));
                break;
        }
        return rules.AsReadOnly();
    }

    private static void ParseGroup(ParseContext c, List<EgressRule> rules, Dictionary<string, JsonElement> groups, string name, EgressAccess access)
    {
        if (ConfigParser.Field(groups, name) is not { } group) return;
        var path = "egress." + name;
        var items = c.List(group, path, "must be a list of rules");
        if (items is null) return;
        for (var i = 0; i < items.Length; i++)
            Add(rules, ParseRule(c, items[i], JsonPath.Index(path, i), access));
    }

    private static void Add(List<EgressRule> rules, EgressRule? rule)
    {
        if (rule is not null) rules.Add(rule);
    }

    /// <param name="implied">The access of the group in object form; null in list form, where access is required.</param>
    private static EgressRule? ParseRule(ParseContext c, JsonElement value, string path, EgressAccess? implied)
    {
        var errorsBefore = c.Errors.Count;
        var fields = c.Fields(value, path, RuleFields);
        if (fields is null) return null;

        var access = implied;
        if (ConfigParser.Field(fields, "access") is { } a)
        {
            var given = c.Choice(a, path + ".access", Accesses);
            if (implied is { } group && given is not null && given != group)
            {
                var word = Name(group);
                c.Error(path + ".access", $"must be \"{word}\" inside egress.{word} (or be omitted)");
            }
            access ??= given;
        }
        else if (implied is null) c.Error(path + ".access", "is required: one of allow, deny, ask");

        string? host = null;
        if (ConfigParser.Field(fields, "host") is { } h)
        {
            var text = c.String(h, path + ".host");
            if (text is not null)
            {
                if (HostPattern.TryNormalize(text, out var normalized, out var error)) host = normalized;
                else c.Error(path + ".host", error);
            }
        }
        else c.Error(path + ".host", "is required: " + HostPattern.Forms);

        var ports = ConfigParser.Field(fields, "ports") is { } p ? ParsePorts(c, p, path + ".ports") : null;
        var methods = ConfigParser.Field(fields, "methods") is { } m ? ParseMethods(c, m, path + ".methods") : null;
        var paths = ConfigParser.Field(fields, "paths") is { } u ? ParsePaths(c, u, path + ".paths") : null;

        EgressOverride? overrides = null;
        if (ConfigParser.Field(fields, "override") is { } o)
        {
            overrides = ParseOverride(c, o, path + ".override");
            if (access == EgressAccess.Deny)
                c.Error(path + ".override", "is only allowed on allow rules (a denied request is never forwarded)");
            else if (access == EgressAccess.Ask)
                c.Error(path + ".override", "is only allowed on allow rules (an ask rule holds requests for a person; an allow rule with the override can follow it)");
        }

        if (c.Errors.Count > errorsBefore) return null;
        return new EgressRule
        {
            Access = access!.Value,
            Host = host!,
            Ports = ports,
            Methods = methods,
            Paths = paths,
            Override = overrides is { Headers.Count: 0, Query.Count: 0 } ? null : overrides,
        };
    }

    private static IReadOnlyList<int>? ParsePorts(ParseContext c, JsonElement value, string path)
    {
        var items = c.List(value, path, "must be a non-empty list of ports (omit it to allow any port)", nonEmpty: true);
        if (items is null) return null;
        var ports = new List<int>(items.Length);
        for (var i = 0; i < items.Length; i++)
            if (c.Integer(items[i], JsonPath.Index(path, i), 1, 65535) is { } port && !ports.Contains(port))
                ports.Add(port);
        return ports.AsReadOnly();
    }

    private static IReadOnlyList<string>? ParseMethods(ParseContext c, JsonElement value, string path)
    {
        var items = c.List(value, path, "must be a non-empty list of HTTP methods (omit it to allow any method)", nonEmpty: true);
        if (items is null) return null;
        var methods = new List<string>(items.Length);
        for (var i = 0; i < items.Length; i++)
        {
            var itemPath = JsonPath.Index(path, i);
            var method = c.String(items[i], itemPath);
            if (method is null) continue;
            if (!HttpSyntax.IsToken(method))
            {
                c.Error(itemPath, $"must be an HTTP method such as GET or POST ({HttpSyntax.TokenDescription})");
                continue;
            }
            method = method.ToUpperInvariant();
            if (!methods.Contains(method)) methods.Add(method);
        }
        return methods.AsReadOnly();
    }

    private static IReadOnlyList<string>? ParsePaths(ParseContext c, JsonElement value, string path)
    {
        var items = c.List(value, path, "must be a non-empty list of URL path patterns (omit it to allow any path)", nonEmpty: true);
        if (items is null) return null;
        var paths = new List<string>(items.Length);
        for (var i = 0; i < items.Length; i++)
        {
            var itemPath = JsonPath.Index(path, i);
            var pattern = c.String(items[i], itemPath);
            if (pattern is null) continue;
            if (pattern.Length == 0 || pattern[0] != '/')
                c.Error(itemPath, "must start with / (a URL path pattern such as /repos/**)");
            else if (pattern.Any(ch => char.IsWhiteSpace(ch) || char.IsControl(ch) || ch is '#' or '?'))
                c.Error(itemPath, "must not contain whitespace, control characters, # or ? (the query is not matched)");
            else if (!paths.Contains(pattern))
                paths.Add(pattern);
        }
        return paths.AsReadOnly();
    }

    private static EgressOverride? ParseOverride(ParseContext c, JsonElement value, string path)
    {
        var fields = c.Fields(value, path, OverrideFields);
        if (fields is null) return null;
        var headers = ConfigParser.Field(fields, "headers") is { } h
            ? c.Map(h, path + ".headers", CheckHeaderName, CheckHeaderValue,
                StringComparer.OrdinalIgnoreCase, "duplicate header (header names are case-insensitive)")
            : ConfigParser.Empty;
        var query = ConfigParser.Field(fields, "query") is { } q
            ? c.Map(q, path + ".query", name => name.Length == 0 ? "query parameter name must not be empty" : null, _ => null)
            : ConfigParser.Empty;
        return new EgressOverride { Headers = headers, Query = query };
    }

    private static string? CheckHeaderName(string name)
    {
        if (!HttpSyntax.IsToken(name)) return $"header name must be an HTTP token ({HttpSyntax.TokenDescription})";
        if (HttpSyntax.IsReservedHeader(name)) return "cannot be overridden: the proxy manages this header (hop-by-hop or message framing)";
        return null;
    }

    private static string? CheckHeaderValue(string value) =>
        value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0 ? "value must not contain CR, LF or NUL" : null;

    private static string Name(EgressAccess access) => access == EgressAccess.Allow ? "allow" : "deny";
}
