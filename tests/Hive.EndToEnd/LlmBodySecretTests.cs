using Hive.EndToEnd.Infrastructure;

namespace Hive.EndToEnd;

/// <summary>
/// A model call made with a bound secret: its kept bodies hold the stand-ins the sandbox sent, and no real value ever
/// lands in the daemon's store (the database and its write-ahead log are read byte for byte).
/// </summary>
[Collection("secrets")]
public sealed class LlmBodySecretTests(SecretDaemon fx)
{
    [Fact]
    public async Task A_model_calls_kept_bodies_hold_stand_ins_and_the_store_never_a_real_value()
    {
        var before = await fx.LastEventIdAsync();
        var r = await fx.ShAsync("""
            curl -sS -m 10 https://api.openai.com:$HTTPS/v1/chat/completions -H "Authorization: Bearer $OPENAI_API_KEY" -H 'content-type: application/json' \
              -d "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"my keys: $OPENAI_API_KEY $API_KEY\"}]}" -o /dev/null -w '%{http_code}'
            """);
        Assert.Equal("200", r.Stdout);
        var calls = await fx.EventsAfterAsync(before, "llm.call");
        for (var i = 0; i < 50 && calls.Count < 1; i++) { await Task.Delay(100); calls = await fx.EventsAfterAsync(before, "llm.call"); }
        var call = await fx.LlmCallAsync(Assert.Single(calls).Id);
        var standIns = (await fx.ShAsync("printf '%s %s' \"$OPENAI_API_KEY\" \"$API_KEY\"")).Stdout;
        Assert.Contains($"my keys: {standIns}", (string)call["request"]!["body"]!);
        Assert.Contains("gpt-test-1", (string)call["response"]!["body"]!); // decoded: the upstream sent it gzip-compressed
        fx.AssertNoValue(call.ToJsonString(), "the kept bodies");
        foreach (var (file, text) in fx.StoreFiles()) fx.AssertNoValue(text, file);
    }
}
