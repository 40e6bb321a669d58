using System.Text;

namespace Hive.EndToEnd.Infrastructure;

/// <summary>One request the fuzzer sends: method, path and query (already escaped as sent), body, headers.</summary>
public sealed record FuzzRequest(string Method, string Target, byte[]? Body, string? ContentType, bool AcceptEventStream, bool SandboxIngress)
{
    public override string ToString() =>
        $"{Method} {Target}{(AcceptEventStream ? " (Accept: text/event-stream)" : "")} body: {(Body is null ? "none" : Preview(Body))}";

    private static string Preview(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 160)));
        return $"{body.Length} bytes {text}{(body.Length > 160 ? "…" : "")}";
    }
}

/// <summary>
/// Generates requests over every route of the daemon's API from a seed: well-formed ones and broken ones (wrong
/// types, lone surrogates, invalid UTF-8, cut JSON, deep nesting, oversized bodies, hostile names and paths, wrong
/// methods, unknown routes). The same seed gives the same requests. Pure: it only builds them.
/// </summary>
public sealed class ApiFuzzer(int seed, string sandbox)
{
    private readonly Random _random = new(seed);

    private static readonly string[] Methods = ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"];

    private IReadOnlyList<Func<FuzzRequest>> Routes => [
        () => Req("GET", "/v1/health"),
        () => Req("GET", "/v1/sandboxes"),
        () => Req("PUT", $"/v1/sandboxes/{Name()}", Config()),
        () => Req("GET", $"/v1/sandboxes/{Name()}"),
        () => Req("DELETE", $"/v1/sandboxes/{DeletableName()}"),
        () => Req("GET", $"/v1/sandboxes/{Name()}/config"),
        () => Req("PUT", $"/v1/sandboxes/{Name()}/config", Config()),
        () => Req("POST", $"/v1/sandboxes/{Name()}/exec", Exec(), sse: _random.Next(4) == 0),
        () => Req("GET", $"/v1/sandboxes/{Name()}/files/{FilePath()}"),
        () => Req("PUT", $"/v1/sandboxes/{Name()}/files/{FilePath()}", Bytes(_random.Next(0, 2048))),
        () => Req("DELETE", $"/v1/sandboxes/{Name()}/files/{FilePath()}"),
        () => Req("GET", $"/v1/events?{EventQuery()}"),
        () => Req("GET", $"/v1/sandboxes/{Name()}/events?{EventQuery()}"),
        () => Req("GET", "/v1/secrets"),
        () => Req("PUT", $"/v1/secrets/{SecretName()}", Secret()),
        () => Req("DELETE", $"/v1/secrets/{SecretName()}{Pick("", "?sandbox=" + sandbox, "?sandbox=%00", "?sandbox=" + Long(300))}"),
        () => Req("POST", $"/v1/secrets/{SecretName()}/rotate", Mutate(Pick("""{ "value": "rotated-value-123" }""", """{ "value": 5 }""", "{}"))),
        () => Req("GET", $"/v1/secrets/{SecretName()}/activity?{Pick("", "status=4xx", "status=zzz", "limit=0", "limit=abc", "limit=99999999999", "before=-1", "before=1e9")}"),
        () => Req(Pick(Methods), $"/sandboxes/{Name()}/{FilePath()}", Bytes(_random.Next(0, 64)), ingress: true),
        () => Req(Pick(Methods), Pick("/", "/v1", "/v2/sandboxes", "/v1/nothing", "/v1/sandboxes/a/b/c/d", "/%ff", "/v1/sandboxes/" + Long(300) + "/exec")),
        () => Req(Pick("PATCH", "POST", "PUT", "DELETE"), Pick("/v1/health", "/v1/sandboxes", "/v1/events", $"/v1/sandboxes/{sandbox}/config")),
        () => Req("GET", "/openapi/v1.json"),
    ];

    public FuzzRequest Next() => Pick(Routes)();

    private FuzzRequest Req(string method, string target, byte[]? body = null, bool sse = false, bool ingress = false) =>
        new(method, target, body, body is null ? null : Pick("application/json", "application/json", "text/plain", "application/octet-stream", null), sse, ingress);

    private string Name() => Pick(sandbox, sandbox, sandbox, "fz-missing", "", "a", Long(64), Long(300), "..", "%2e%2e", "x%2Fy", "name;x", "%00", "%C3%A4", "%ED%A0%80", "-lead");

    // Deleting the sandbox under test would make the rest of the run about a missing sandbox: rarely.
    private string DeletableName() => _random.Next(20) == 0 ? sandbox : Pick("fz-missing", Long(300), "%00", "..");

    private string SecretName() => Pick("fz-secret", "fz-secret", "missing", Long(256), Long(300), "%00", "a%2Fb", "..", "%ED%A0%80", "-x");

    private string FilePath() => Pick("workspace/a.txt", "workspace/" + Long(255), "workspace/" + Long(300), "workspace/" + Long(300) + "/x",
        "workspace/dir/", "../../etc/passwd", "workspace/%2e%2e/%2e%2e/etc", "workspace/%00", "", "tmp/x", "workspace/%ff%fe",
        "workspace/" + string.Join("/", Enumerable.Repeat("d", 200)));

    private string EventQuery() => string.Join("&", new[]
    {
        Pick("", "follow=false", "follow=false", "follow=0"),
        Pick("", "types=egress.*", "types=exec.*,sandbox.*", "types=%00", "types=" + Long(300), "types=*"),
        Pick("", "after=0", "after=-1", "after=abc", "after=99999999999999999999", "limit=0", "limit=-5", "limit=abc"),
    }.Where(p => p.Length > 0 && (p.StartsWith("follow") || _random.Next(2) == 0)).Append("follow=false"));

    private byte[] Config() => Mutate(Pick(
        """{ "image": "hive/minimal", "ttl": 600 }""",
        """{ "image": "hive/minimal", "ttl": "soon" }""",
        """{ "image": "hive/minimal", "egress": [ { "access": "allow", "host": "a.test", "ports": [443] } ] }""",
        """{ "image": "hive/minimal", "resources": { "cpus": 1e308, "memoryMb": -1 } }""",
        """{ "image": "hive/minimal", "fs": [ { "backend": "local", "mount": "/workspace" } ] }""",
        """{ "image": 7 }""", "[]", "null", ""));

    private byte[] Exec() => Mutate(Pick(
        """{ "command": "echo hi", "timeoutMs": 5000 }""",
        """{ "command": ["sh", "-c", "echo hi >&2; exit 3"], "timeoutMs": 5000 }""",
        """{ "command": "cat", "stdin": "piped", "timeoutMs": 5000 }""",
        """{ "command": "true", "timeoutMs": "soon" }""",
        """{ "command": "true", "timeoutMs": 1e99 }""",
        """{ "command": "true", "timeoutMs": -1 }""",
        """{ "command": "true", "timeoutMs": [] }""",
        """{ "command": "true", "timeoutMs": null }""",
        """{ "command": ["true", 5], "timeoutMs": 5000 }""",
        """{ "command": "true", "cwd": "relative", "timeoutMs": 5000 }""",
        """{ "command": "true", "env": { "A": 1, "=": "x" }, "timeoutMs": 5000 }""",
        """{ "command": "\ud800", "timeoutMs": 5000 }""",
        """{ "command": "true", "stdin": "\udc00", "timeoutMs": 5000 }""",
        """{ "command": "" }""", "{}", "[]", "7"));

    private byte[] Secret() => Mutate(Pick(
        """{ "value": "s3cr3t-value-123", "hosts": ["api.test"], "auth": { "type": "bearer" }, "global": true }""",
        """{ "value": "s3cr3t-value-123", "provider": "openai", "global": true }""",
        """{ "value": "\ud800", "hosts": ["api.test"], "auth": { "type": "bearer" } }""",
        """{ "value": 5, "hosts": "api.test", "auth": "bearer" }""",
        """{ "value": "x", "hosts": [], "auth": { "type": "header" }, "sandbox": "%00" }""",
        "{}", "[]"));

    /// <summary>Usually the body as written; sometimes broken in one of the ways outside testing found.</summary>
    private byte[] Mutate(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        switch (_random.Next(14))
        {
            case 0: return bytes[..(bytes.Length == 0 ? 0 : _random.Next(bytes.Length))]; // cut short
            case 1: return Insert(bytes, [0xff]);                                          // invalid UTF-8
            case 2: return Insert(bytes, [0xc3]);                                          // a sequence cut short
            case 3: return Insert(bytes, [0xed, 0xa0, 0x80]);                              // a UTF-8-encoded surrogate
            case 4: return Insert(bytes, "\\ud800"u8.ToArray());                          // an escaped lone surrogate
            case 5: return Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000));
            case 6: return Bytes(_random.Next(1, 256));                                    // noise
            case 7: return _random.Next(8) == 0 ? Huge() : bytes;
            case 8: return Encoding.UTF8.GetBytes(json.Replace("5000", "99999999999999999999999"));
            case 9: return Encoding.UTF8.GetBytes(json.Replace("\"", "'"));
            default: return bytes;
        }
    }

    // Past the 4 MiB a JSON body may be: 413.
    private byte[] Huge() => Encoding.UTF8.GetBytes("{ \"value\": \"" + new string('a', 5 * 1024 * 1024) + "\" }");

    private byte[] Insert(byte[] bytes, byte[] what)
    {
        // Inside a string when there is one, so the bytes reach a value rather than the syntax.
        var quotes = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] == (byte)'"').ToArray();
        var at = quotes.Length > 0 ? quotes[_random.Next(quotes.Length)] + 1 : _random.Next(bytes.Length + 1);
        at = Math.Min(at, bytes.Length);
        return [.. bytes[..at], .. what, .. bytes[at..]];
    }

    private byte[] Bytes(int n)
    {
        var b = new byte[n];
        _random.NextBytes(b);
        return b;
    }

    private static string Long(int n) => new('a', n);

    private T Pick<T>(params IReadOnlyList<T> options) => options[_random.Next(options.Count)];
}
