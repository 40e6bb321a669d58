using Hive.Core.Secrets;
using static Hive.Core.Tests.Secrets.SubstitutionFixture;

namespace Hive.Core.Tests.Secrets;

public class SecretSubstitutionTests
{
    public static TheoryData<string, string, string?, string?, string, string?, string, string> Forwarded() => new()
    {
        // host, headers, query, path, expected headers, expected query, used, injected
        // Bearer.
        { "api.openai.com", "Authorization: Bearer <s:openai>", null, null, "Authorization: Bearer <v:openai>", null, "openai", "" },
        { "api.openai.com", "authorization: bearer <s:openai>", null, null, "authorization: bearer <v:openai>", null, "openai", "" },
        { "API.OpenAI.com", "Authorization: Bearer <s:openai>", null, null, "Authorization: Bearer <v:openai>", null, "openai", "" },
        { "api.openai.com.", "Authorization: Bearer <s:openai>", null, null, "Authorization: Bearer <v:openai>", null, "openai", "" },
        { "api.openai.com", "Authorization: <s:openai>", null, null, "Authorization: <v:openai>", null, "openai", "" },
        { "api.openai.com", "Authorization: Bearer  <s:openai>", null, null, "Authorization: Bearer  <v:openai>", null, "openai", "" },
        { "api.openai.com", "Authorization: Bearer <s:openai-backup>", null, null, "Authorization: Bearer <v:openai-backup>", null, "openai-backup", "" },
        { "api.openai.com", "Content-Type: application/json\nAuthorization: Bearer <s:openai>\nAccept: */*", null, null,
            "Content-Type: application/json\nAuthorization: Bearer <v:openai>\nAccept: */*", null, "openai", "" },
        { "api.openai.com", "X-Both: <s:openai>,<s:openai-backup>", null, null, "X-Both: <v:openai>,<v:openai-backup>", null, "openai,openai-backup", "" },
        { "api.openai.com", "X-Note: pre<s:openai>post", null, null, "X-Note: pre<v:openai>post", null, "openai", "" },
        { "api.openai.com", "X-Twice: <s:openai> <s:openai>\nAuthorization: Bearer x", null, null, "X-Twice: <v:openai> <v:openai>\nAuthorization: Bearer x", null, "openai", "" },
        { "api.groq.com", "X-Nothing: here", null, null, "X-Nothing: here", null, "", "" },
        { "example.org", "Authorization: Bearer mine", "a=1", "/x", "Authorization: Bearer mine", "a=1", "", "" },
        // x-api-key and x-goog-api-key.
        { "api.anthropic.com", "x-api-key: <s:anthropic>\nanthropic-version: 2023-06-01", null, null, "x-api-key: <v:anthropic>\nanthropic-version: 2023-06-01", null, "anthropic", "" },
        { "api.anthropic.com", "X-API-KEY: <s:anthropic>", null, null, "X-API-KEY: <v:anthropic>", null, "anthropic", "" },
        { "api.anthropic.com", "Authorization: Bearer <s:anthropic>", null, null, "Authorization: Bearer <v:anthropic>", null, "anthropic", "" },
        { "generativelanguage.googleapis.com", "x-goog-api-key: <s:google>", null, null, "x-goog-api-key: <v:google>", null, "google", "" },
        { "generativelanguage.googleapis.com", "", "key=<s:google>", "/v1beta/models", "", "key=<v:google>", "google", "" },
        // Injection when the request has no credential of its own.
        { "api.anthropic.com", "", null, null, "x-api-key: <v:anthropic>", null, "anthropic", "anthropic" },
        { "api.anthropic.com", "Accept: */*", null, null, "Accept: */*\nx-api-key: <v:anthropic>", null, "anthropic", "anthropic" },
        { "api.anthropic.com", "x-api-key: my-own-key", null, null, "x-api-key: my-own-key", null, "", "" },
        { "api.anthropic.com", "X-Api-Key: ", null, null, "X-Api-Key: ", null, "", "" },
        { "api.openai.com", "", null, null, "Authorization: Bearer <v:openai>", null, "openai", "openai" },
        { "api.openai.com", "Authorization: Bearer sk-mine", null, null, "Authorization: Bearer sk-mine", null, "", "" },
        { "api.openai.com", "authorization: Basic Zm9vOmJhcg==", null, null, "authorization: Basic Zm9vOmJhcg==", null, "", "" },
        { "generativelanguage.googleapis.com", "", null, null, "x-goog-api-key: <v:google>", null, "google", "google" },
        { "api.github.com", "", null, "/user", "Authorization: Bearer <v:github>", null, "github", "github" },
        { "raw.githubusercontent.com", "", null, "/o/r/main/f", "Authorization: Bearer <v:github>", null, "github", "github" },
        { "github.com", "", "service=git-upload-pack", "/o/r.git/info/refs", "Authorization: Basic <b64:x-access-token:<v:github>>", "service=git-upload-pack", "github", "github" },
        { "github.com", "", null, "/o/r.git/git-receive-pack", "Authorization: Basic <b64:x-access-token:<v:github>>", null, "github", "github" },
        { "github.com", "", null, "/o/r.git/git-upload-pack", "Authorization: Basic <b64:x-access-token:<v:github>>", null, "github", "github" },
        { "github.com", "", null, "/o/r/info/refs", "Authorization: Bearer <v:github>", null, "github", "github" },
        { "api.pay.example", "", null, null, "Authorization: Basic <b64:<v:pay>:>", null, "pay", "pay" },
        { "api.pay.example", "Authorization: Basic <b64:mine:>", null, null, "Authorization: Basic <b64:mine:>", null, "", "" },
        // Several secrets for one place: the first in binding order fills it.
        { "api.openai.com", "Accept: */*", null, null, "Accept: */*\nAuthorization: Bearer <v:openai>", null, "openai", "openai" },
        { "api.openai.com", "X-Other: <s:openai-backup>", null, null, "X-Other: <v:openai-backup>", null, "openai-backup", "" },
        { "api.openai.com", "X-Note: <s:openai>", null, null, "X-Note: <v:openai>", null, "openai", "" },
        // Basic, git style.
        { "github.com", "Authorization: Basic <b64:x-access-token:<s:github>>", null, "/o/r.git/info/refs", "Authorization: Basic <b64:x-access-token:<v:github>>", null, "github", "" },
        { "github.com", "Authorization: Basic <b64:<s:github>:x-oauth-basic>", null, null, "Authorization: Basic <b64:<v:github>:x-oauth-basic>", null, "github", "" },
        { "github.com", "Authorization: basic <b64:<s:github>:x-oauth-basic>", null, null, "Authorization: basic <b64:<v:github>:x-oauth-basic>", null, "github", "" },
        { "github.com", "Authorization: BASIC <b64:<s:github>>", null, null, "Authorization: BASIC <b64:<v:github>>", null, "github", "" },
        { "github.com", "Authorization: Basic <b64:me:<s:github>>", null, null, "Authorization: Basic <b64:me:<v:github>>", null, "github", "" },
        { "api.github.com", "Authorization: token <s:github>", null, null, "Authorization: token <v:github>", null, "github", "" },
        { "github.com", "Authorization: Basic !!!notbase64", null, null, "Authorization: Basic !!!notbase64", null, "", "" },
        { "github.com", "Authorization: Basic {nopad:x-access-token:<s:github>}", null, null, "Authorization: Basic <b64:x-access-token:<v:github>>", null, "github", "" },
        { "github.com", "Authorization: Basic <b64:x-access-token:mine>", null, null, "Authorization: Basic <b64:x-access-token:mine>", null, "", "" },
        { "objects.githubusercontent.com", "Authorization: Bearer <s:github>", null, null, "Authorization: Bearer <v:github>", null, "github", "" },
        { "api.pay.example", "Authorization: Basic <b64:<s:pay>:>", null, null, "Authorization: Basic <b64:<v:pay>:>", null, "pay", "" },
        // Query values.
        { "tiles.maps.example.com", "", "key=<s:maps>&z=1", null, "", "key=<e:<v:maps>>&z=1", "maps", "" },
        { "tiles.maps.example.com", "", "key=<e:<s:maps>>&z=1", null, "", "key=<e:<v:maps>>&z=1", "maps", "" },
        { "tiles.maps.example.com", "", "z=1&alt=<s:maps>&key=mine", null, "", "z=1&alt=<e:<v:maps>>&key=mine", "maps", "" },
        { "maps.example.com", "", "key=<s:maps>&key2=<s:maps>", null, "", "key=<e:<v:maps>>&key2=<e:<v:maps>>", "maps", "" },
        { "a.b.maps.example.com", "", "key=<s:maps>", null, "", "key=<e:<v:maps>>", "maps", "" },
        { "tiles.maps.example.com", "", null, null, "", "key=<e:<v:maps>>", "maps", "maps" },
        { "tiles.maps.example.com", "", "", null, "", "key=<e:<v:maps>>", "maps", "maps" },
        { "tiles.maps.example.com", "", "a=1", null, "", "a=1&key=<e:<v:maps>>", "maps", "maps" },
        { "tiles.maps.example.com", "", "key=mine", null, "", "key=mine", "", "" },
        { "tiles.maps.example.com", "", "k%65y=mine", null, "", "k%65y=mine", "", "" },
        { "tiles.maps.example.com", "", "<s:maps>=1", null, "", "<s:maps>=1&key=<e:<v:maps>>", "maps", "maps" },
        { "tiles.maps.example.com", "X-Custom: <s:maps>", null, null, "X-Custom: <v:maps>", null, "maps", "" },
        { "api.openai.com", "Authorization: Bearer x", "a=b%20c&token=<s:openai>", null, "Authorization: Bearer x", "a=b%20c&token=<v:openai>", "openai", "" },
        { "api.openai.com", "Authorization: Bearer x", "a=b+c&token=<s:openai>", null, "Authorization: Bearer x", "a=b+c&token=<v:openai>", "openai", "" },
        { "api.openai.com", "Authorization: Bearer x", "flag&token=<s:openai>", null, "Authorization: Bearer x", "flag&token=<v:openai>", "openai", "" },
        // Never in headers that echo back (the stand-in stays; the real value is injected where it belongs).
        { "api.openai.com", "User-Agent: agent/<s:openai>", null, null, "User-Agent: agent/<s:openai>\nAuthorization: Bearer <v:openai>", null, "openai", "openai" },
        { "api.openai.com", "user-agent: <s:openai>\nAuthorization: Bearer mine", null, null, "user-agent: <s:openai>\nAuthorization: Bearer mine", null, "", "" },
        { "api.openai.com", "Referer: https://x.test/?k=<s:openai>\nAuthorization: Bearer mine", null, null, "Referer: https://x.test/?k=<s:openai>\nAuthorization: Bearer mine", null, "", "" },
        { "api.openai.com", "Origin: <s:openai>\nAuthorization: Bearer mine", null, null, "Origin: <s:openai>\nAuthorization: Bearer mine", null, "", "" },
        { "api.openai.com", "Cookie: session=<s:openai>\nAuthorization: Bearer mine", null, null, "Cookie: session=<s:openai>\nAuthorization: Bearer mine", null, "", "" },
        { "api.openai.com", "COOKIE: a=<s:openai>\nAuthorization: Bearer <s:openai>", null, null, "COOKIE: a=<s:openai>\nAuthorization: Bearer <v:openai>", null, "openai", "" },
        { "api.anthropic.com", "Referer: <s:anthropic>", null, null, "Referer: <s:anthropic>\nx-api-key: <v:anthropic>", null, "anthropic", "anthropic" },
        { "api.openai.com", "Proxy-Authorization: Bearer <s:openai>\nAuthorization: Bearer mine", null, null, "Proxy-Authorization: Bearer <s:openai>\nAuthorization: Bearer mine", null, "", "" },
        { "api.openai.com", "Proxy-Authorization: Basic <b64:u:<s:openai>>\nAuthorization: Bearer mine", null, null, "Proxy-Authorization: Basic <b64:u:<s:openai>>\nAuthorization: Bearer mine", null, "", "" },
        // Not in the path (forwarded as is on the secret's own host).
        { "api.openai.com", "Authorization: Bearer <s:openai>", null, "/v1/<s:openai>", "Authorization: Bearer <v:openai>", null, "openai", "" },
    };

    [Theory]
    [MemberData(nameof(Forwarded))]
    public void Forwards(string host, string headers, string? query, string? path, string expectedHeaders, string? expectedQuery, string used, string injected)
    {
        var request = Headers(headers);
        var result = Assert.IsType<SubstitutionResult.Forward>(Substitution.Apply(host, request, Expand(query), Expand(path)));
        Assert.False(result.Denied);
        Assert.Equal(Show(Headers(expectedHeaders)), Show(result.Headers));
        Assert.Equal(Expand(expectedQuery), result.Query);
        Assert.Equal(used.Length == 0 ? [] : used.Split(','), result.UsedSecrets);
        Assert.Equal(injected.Length == 0 ? [] : injected.Split(','), result.InjectedSecrets);
        Assert.Equal(Show(request) != Show(result.Headers) || Expand(query) != result.Query, result.Changed);
        if (!result.Changed) Assert.Same(request, result.Headers);
        Assert.Equal(Show(Headers(headers)), Show(request)); // the input list is never modified
    }

    public static TheoryData<string, string, string?, string?, string> Denied() => new()
    {
        // host, headers, query, path, expected ("misuse:NAME" or "revoked:NAME")
        { "evil.example", "Authorization: Bearer <s:openai>", null, null, "misuse:openai" },
        { "evil.example", "x-api-key: <s:anthropic>", null, null, "misuse:anthropic" },
        { "api.anthropic.com", "Authorization: Bearer <s:openai>", null, null, "misuse:openai" },
        { "api.openai.com", "x-api-key: <s:anthropic>", null, null, "misuse:anthropic" },
        { "api.openai.com.evil.test", "Authorization: Bearer <s:openai>", null, null, "misuse:openai" },
        { "evilapi.openai.com", "Authorization: Bearer <s:openai>", null, null, "misuse:openai" },
        { "openai.com", "Authorization: Bearer <s:openai>", null, null, "misuse:openai" },
        { "gist.github.com", "Authorization: Bearer <s:github>", null, null, "misuse:github" },
        { "github.io", "Authorization: Bearer <s:github>", null, null, "misuse:github" },
        { "evil.example", "Authorization: Basic <b64:x-access-token:<s:github>>", null, null, "misuse:github" },
        { "evil.example", "Authorization: basic <b64:<s:github>:x-oauth-basic>", null, null, "misuse:github" },
        { "evil.example", "Proxy-Authorization: Basic <b64:u:<s:github>>", null, null, "misuse:github" },
        { "evil.example", "Authorization: Basic {nopad:x-access-token:<s:github>}", null, null, "misuse:github" },
        { "evil.example", "Authorization: Basic {nopad:<s:github>:x}", null, null, "misuse:github" },
        { "evil.example", "User-Agent: <s:openai>", null, null, "misuse:openai" },
        { "evil.example", "Referer: https://evil.example/?k=<s:anthropic>", null, null, "misuse:anthropic" },
        { "evil.example", "Origin: <s:google>", null, null, "misuse:google" },
        { "evil.example", "Cookie: a=<s:github>", null, null, "misuse:github" },
        { "evil.example", "X-Exfil: xx<s:pay>yy", null, null, "misuse:pay" },
        { "evil.example", "", "q=<s:anthropic>", null, "misuse:anthropic" },
        { "evil.example", "", "<s:anthropic>", null, "misuse:anthropic" },
        { "evil.example", "", "q=<e:<s:maps>>", null, "misuse:maps" },
        { "evil.example", "", "a=1&<s:openai>=2", null, "misuse:openai" },
        { "evil.example", "", null, "/<s:openai>", "misuse:openai" },
        { "evil.example", "", null, "/x/<e:<s:maps>>", "misuse:maps" },
        { "example.com", "", "key=<s:maps>", null, "misuse:maps" },
        { "maps.example.com.evil", "", "key=<s:maps>", null, "misuse:maps" },
        { "api.pay.example.evil", "Authorization: Basic <b64:<s:pay>:>", null, null, "misuse:pay" },
        { "10.0.0.1", "Authorization: Bearer <s:openai>", null, null, "misuse:openai" },
        { "", "Authorization: Bearer <s:openai>", null, null, "misuse:openai" },
        { "not a host", "Authorization: Bearer <s:openai>", null, null, "misuse:openai" },
        // One good use does not excuse another secret on the wrong host.
        { "api.openai.com", "Authorization: Bearer <s:openai>\nX-Also: <s:github>", null, null, "misuse:github" },
        { "api.openai.com", "Authorization: Bearer <s:openai>", "k=<s:anthropic>", null, "misuse:anthropic" },
        // Revoked: anywhere, on any host, before misuse.
        { "api.openai.com", "Authorization: Bearer <s:gone>", null, null, "revoked:gone" },
        { "api.groq.com", "Authorization: Bearer <s:gone>", null, null, "revoked:gone" },
        { "evil.example", "Authorization: Bearer <s:gone>", null, null, "revoked:gone" },
        { "api.openai.com", "User-Agent: <s:gone>", null, null, "revoked:gone" },
        { "api.openai.com", "Cookie: x=<s:gone>", null, null, "revoked:gone" },
        { "api.openai.com", "", "k=<s:gone>", null, "revoked:gone" },
        { "api.openai.com", "", "k=<e:<s:gone>>", null, "revoked:gone" },
        { "api.openai.com", "", null, "/<s:gone>", "revoked:gone" },
        { "github.com", "Authorization: Basic <b64:x-access-token:<s:gone>>", null, null, "revoked:gone" },
        { "evil.example", "X-A: <s:openai>\nX-B: <s:gone>", null, null, "revoked:gone" },
    };

    [Theory]
    [MemberData(nameof(Denied))]
    public void Denies(string host, string headers, string? query, string? path, string expected)
    {
        var result = Substitution.Apply(host, Headers(headers), Expand(query), Expand(path));
        Assert.True(result.Denied);
        var (kind, name) = (expected.Split(':')[0], expected.Split(':')[1]);
        if (kind == "misuse")
        {
            var misuse = Assert.IsType<SubstitutionResult.Misuse>(result);
            Assert.Equal(name, misuse.SecretName);
            Assert.Equal(host, misuse.Host);
        }
        else Assert.Equal(name, Assert.IsType<SubstitutionResult.Revoked>(result).SecretName);
        NoLeakTests.AssertNoValue(result.ToString());
    }

    [Fact]
    public void RotationUsesTheNewValueWithTheSameStandIn()
    {
        var secret = SecretSamples.Provider("openai");
        const string oldValue = "sk-old-0123456789abcdefghijklmnopqrstuvwxyzABCD";
        const string newValue = "sk-new-ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxw";
        var standIn = StandIn.Create(oldValue, "s", "openai", SecretSamples.Key);
        var before = new SecretSubstitution([new SecretBinding(standIn, secret, oldValue)]);
        var after = new SecretSubstitution([new SecretBinding(standIn, secret, newValue)]);
        List<KeyValuePair<string, string>> request = [new("Authorization", "Bearer " + standIn)];
        Assert.Equal("Bearer " + oldValue, Assert.IsType<SubstitutionResult.Forward>(before.Apply("api.openai.com", request, null)).Headers[0].Value);
        Assert.Equal("Bearer " + newValue, Assert.IsType<SubstitutionResult.Forward>(after.Apply("api.openai.com", request, null)).Headers[0].Value);
    }

    [Fact]
    public void DeletionRevokesAtOnce()
    {
        var standIn = StandInOf("openai");
        var deleted = new SecretSubstitution(Bindings.Where(b => b.Name != "openai"), [new RevokedStandIn(standIn, "openai")]);
        List<KeyValuePair<string, string>> request = [new("Authorization", "Bearer " + standIn)];
        Assert.Equal("openai", Assert.IsType<SubstitutionResult.Revoked>(deleted.Apply("api.openai.com", request, null)).SecretName);
        // Nothing is injected for a deleted secret either.
        var bare = Assert.IsType<SubstitutionResult.Forward>(deleted.Apply("api.openai.com", [], null));
        Assert.Equal(["openai-backup"], bare.UsedSecrets);
    }

    [Fact]
    public void ARevokedStandInThatIsBoundAgainIsLive()
    {
        var binding = Bindings.First(b => b.Name == "openai");
        var substitution = new SecretSubstitution([binding], [new RevokedStandIn(binding.StandIn, "openai")]);
        var result = substitution.Apply("api.openai.com", [new("Authorization", "Bearer " + binding.StandIn)], null);
        Assert.Equal(["openai"], Assert.IsType<SubstitutionResult.Forward>(result).UsedSecrets);
    }

    [Fact]
    public void WithoutBindingsEverythingPassesUnchanged()
    {
        List<KeyValuePair<string, string>> request = [new("Authorization", "Bearer " + StandInOf("openai"))];
        var result = Assert.IsType<SubstitutionResult.Forward>(SecretSubstitution.Empty.Apply("evil.example", request, "q=1"));
        Assert.Same(request, result.Headers);
        Assert.Equal("q=1", result.Query);
        Assert.False(result.Changed);
    }

    [Fact]
    public void TheRealValueIsNeverSentToAnotherHost()
    {
        // Exhaustive over hosts × places: whatever the outcome, a real value only appears on its secret's hosts.
        string[] hosts = ["api.openai.com", "api.anthropic.com", "github.com", "api.github.com", "raw.githubusercontent.com",
            "generativelanguage.googleapis.com", "tiles.maps.example.com", "api.pay.example", "evil.example", "example.org"];
        string[] places = ["Authorization: Bearer {0}", "x-api-key: {0}", "X-Custom: {0}", "User-Agent: {0}", "Cookie: c={0}",
            "Authorization: Basic <b64:x-access-token:{0}>", "Referer: {0}"];
        foreach (var host in hosts)
            foreach (var name in SubstitutionFixture.Secrets.Keys)
                foreach (var place in places)
                {
                    var result = Substitution.Apply(host, Headers(string.Format(place, $"<s:{name}>")), Expand($"q=<s:{name}>"));
                    if (result is not SubstitutionResult.Forward forward) continue;
                    var text = Show(forward.Headers) + "?" + forward.Query + "|" + string.Join("|", forward.Headers.Select(h =>
                        SecretSubstitution.TryDecodeBasic(h.Value, out var c) ? c : ""));
                    foreach (var other in SubstitutionFixture.Secrets.Keys)
                        if (text.Contains(Values[other], StringComparison.Ordinal) || text.Contains(Uri.EscapeDataString(Values[other]), StringComparison.Ordinal))
                            Assert.True(SubstitutionFixture.Secrets[other].Hosts.Matches(host), $"{other} sent to {host}");
                }
    }
}
