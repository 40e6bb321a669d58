using System.Text;
using Hive.EndToEnd.Infrastructure;

namespace Hive.EndToEnd;

/// <summary>
/// Issue 11, defect 4: a secret's host that reflects what it received (error pages, debug endpoints) must not hand the
/// real value back into the sandbox. The loopback upstream's <c>/reflect</c> says back every header, in its body (plain
/// and inside base64) and as <c>X-Echo-*</c> headers, compressed or in small chunks; the sandbox must see its stand-in
/// there, never the value.
/// </summary>
[Collection("secrets")]
public sealed class SecretReflectionTests(SecretDaemon fx)
{
    // One line per case: what curl sends (after the URL's host and port), the env var whose stand-in it carries, and
    // how that stand-in must show up in the reflection ({s} the stand-in, {basic} the Basic credentials built from it).
    public static TheoryData<string, string, string> Reflections => new()
    {
        { "-H \"X-Api-Key: $API_KEY\" https://api.example.test:$HTTPS/reflect", "API_KEY", "X-Echo-X-Api-Key: {s}" },
        { "-H \"X-Api-Key: $API_KEY\" \"https://api.example.test:$HTTPS/reflect?chunk=7\"", "API_KEY", "X-Api-Key: {s}" },
        { "-H \"X-Api-Key: $API_KEY\" \"https://api.example.test:$HTTPS/reflect?chunk=1\"", "API_KEY", "X-Api-Key: {s}" },
        { "--compressed -H \"X-Api-Key: $API_KEY\" \"https://api.example.test:$HTTPS/reflect?encoding=gzip\"", "API_KEY", "X-Api-Key: {s}" },
        { "--compressed -H \"X-Api-Key: $API_KEY\" \"https://api.example.test:$HTTPS/reflect?encoding=gzip&chunk=5\"", "API_KEY", "X-Api-Key: {s}" },
        { "--compressed -H \"X-Api-Key: $API_KEY\" \"https://api.example.test:$HTTPS/reflect?encoding=deflate\"", "API_KEY", "X-Api-Key: {s}" },
        { "-H \"X-Api-Key: $API_KEY\" \"https://api.example.test:$HTTPS/reflect?encoding=br\"", "API_KEY", "X-Api-Key: {s}" },
        { "-H \"X-Api-Key: $API_KEY\" http://api.example.test:$HTTP/reflect", "API_KEY", "X-Api-Key: {s}" },
        { "--http2 -H \"X-Api-Key: $API_KEY\" https://api.example.test:$HTTPS/reflect", "API_KEY", "x-echo-x-api-key: {s}" },
        { "\"https://api.example.test:$HTTPS/reflect?api_key=$API_KEY\"", "API_KEY", "api_key={e}" },
        { "https://api.example.test:$HTTPS/reflect/injected", "API_KEY", "X-Api-Key: {s}" },
        { "-H \"Authorization: Bearer $OPENAI_API_KEY\" https://api.openai.com:$HTTPS/reflect", "OPENAI_API_KEY", "Authorization: Bearer {s}" },
        { "-u \"x-access-token:$GIT_TOKEN\" https://git.example.test:$HTTPS/reflect", "GIT_TOKEN", "Authorization: Basic {basic}" },
    };

    [Theory]
    [MemberData(nameof(Reflections))]
    public async Task A_reflected_value_comes_back_as_the_stand_in(string request, string variable, string expected)
    {
        var standIn = (await fx.ShAsync($"printf %s \"${variable}\"")).Stdout;
        var r = await fx.ShAsync($"curl -sS -D - {request}");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        AssertNoValue(r.Stdout + r.Stderr);
        var shown = expected.Replace("{s}", standIn).Replace("{e}", Uri.EscapeDataString(standIn))
            .Replace("{basic}", Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:" + standIn)));
        Assert.Contains(shown, r.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("you sent", r.Stdout);
    }

    [Fact]
    public async Task A_scrubbed_stream_is_not_held_back()
    {
        // /sse sends an event every 400 ms: each must arrive when sent, not when the stream ends.
        var r = await fx.ShAsync("curl -sSN -H \"X-Api-Key: $API_KEY\" https://api.example.test:$HTTPS/sse | while read -r line; do [ -n \"$line\" ] && echo \"$(date +%s.%N) $line\"; done");
        var times = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => double.Parse(l.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(4, times.Length);
        Assert.True(times[^1] - times[0] > 0.8, $"the events arrived together: {r.Stdout}");
    }

    [Fact]
    public async Task An_encoding_the_proxy_cannot_decode_is_refused_with_a_reason()
    {
        var r = await fx.ShAsync("curl -sS -w '\\n%{http_code}' -H \"X-Api-Key: $API_KEY\" \"https://api.example.test:$HTTPS/reflect?encoding=zstd\"");
        AssertNoValue(r.Stdout + r.Stderr);
        Assert.EndsWith("502", r.Stdout.TrimEnd());
        Assert.Contains("Content-Encoding zstd", r.Stdout);
    }

    [Fact]
    public async Task The_proxy_asks_a_secret_host_for_an_identity_body()
    {
        var r = await fx.ShAsync("curl -sS --compressed -H \"X-Api-Key: $API_KEY\" https://api.example.test:$HTTPS/reflect");
        Assert.Contains("Accept-Encoding: identity\n", r.Stdout);
        // Elsewhere the sandbox's own Accept-Encoding goes through.
        var other = await fx.ShAsync("curl -sS --compressed https://other.example.test:$HTTPS/reflect");
        Assert.DoesNotContain("Accept-Encoding: identity\n", other.Stdout);
    }

    [Fact]
    public async Task A_websocket_handshake_reflected_in_a_frame_comes_back_as_the_stand_in()
    {
        var standIn = (await fx.ShAsync("printf %s \"$API_KEY\"")).Stdout;
        var r = await fx.ShAsync("""
            python3 - <<'PY'
            import base64, os, socket, ssl
            host, port = "api.example.test", int(os.environ["HTTPS"])
            s = ssl.create_default_context().wrap_socket(socket.create_connection((host, port)), server_hostname=host)
            key = base64.b64encode(os.urandom(16)).decode()
            s.sendall(("GET /ws-reflect HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"
                       "X-Api-Key: %s\r\n\r\n" % (host, port, key, os.environ["API_KEY"])).encode())
            data = b""
            while b"\r\n\r\n" not in data: data += s.recv(4096)
            head, data = data.split(b"\r\n\r\n", 1)
            print(head.split(b"\r\n")[0].decode())
            def need(n):
                global data
                while len(data) < n:
                    chunk = s.recv(4096)
                    if not chunk: raise SystemExit("closed")
                    data += chunk
            need(2)
            length = data[1] & 0x7f; start = 2
            if length == 126: need(4); length = int.from_bytes(data[2:4], "big"); start = 4
            need(start + length)
            print("rsv=%d" % ((data[0] >> 4) & 7))
            print(data[start:start + length].decode())
            PY
            """);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        AssertNoValue(r.Stdout + r.Stderr);
        Assert.StartsWith("HTTP/1.1 101", r.Stdout);
        Assert.Contains("rsv=0", r.Stdout); // an uncompressed frame, its length unchanged by the replacement
        Assert.True(r.Stdout.Contains("X-Api-Key: " + standIn, StringComparison.OrdinalIgnoreCase), r.Stdout);
    }

    /// <summary><see cref="SecretDaemon.AssertNoValue"/>, plus what is left of a value inside longer base64.</summary>
    private void AssertNoValue(string text)
    {
        fx.AssertNoValue(text, "a reflected response");
        foreach (var value in fx.RealValues)
            foreach (var lead in new[] { "", "#", "##" })
                Assert.False(text.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes(lead + value))[4..^4], StringComparison.Ordinal),
                    "a real secret value appears, base64-encoded, in a reflected response");
    }
}
