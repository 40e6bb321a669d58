using System.Text;
using Hive.Core.Llm;

namespace Hive.Core.Tests.Llm;

public class LlmUsageTests
{
    private static LlmUsage Json(string body) => LlmUsage.Read(Encoding.UTF8.GetBytes(body), eventStream: false);
    private static LlmUsage Sse(string body) => LlmUsage.Read(Encoding.UTF8.GetBytes(body), eventStream: true);

    [Fact]
    public void Anthropic_message() =>
        Assert.Equal(new LlmUsage("claude-sonnet-4-5", 25, 12), Json("""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hi"}],
             "stop_reason":"end_turn","usage":{"input_tokens":25,"cache_read_input_tokens":0,"output_tokens":12}}
            """));

    [Fact]
    public void Anthropic_stream_takes_input_from_message_start_and_the_running_output_total_from_message_delta() =>
        Assert.Equal(new LlmUsage("claude-sonnet-4-5", 25, 15), Sse("""
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","type":"message","model":"claude-sonnet-4-5","usage":{"input_tokens":25,"output_tokens":1}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}

            event: message_stop
            data: {"type":"message_stop"}

            """));

    [Fact]
    public void Openai_chat_completion() =>
        Assert.Equal(new LlmUsage("gpt-4o-2024-08-06", 9, 3), Json("""
            {"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[],
             "usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}
            """));

    [Fact]
    public void Openai_chat_stream_with_usage_in_the_last_chunk_and_done_marker() =>
        Assert.Equal(new LlmUsage("gpt-4o", 9, 3), Sse(
            "data: {\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\r\n\r\n" +
            "data: {\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}\r\n\r\n" +
            "data: [DONE]\r\n\r\n"));

    [Fact]
    public void Openai_responses_stream_reads_the_completed_response() =>
        Assert.Equal(new LlmUsage("gpt-5", 40, 7), Sse("""
            event: response.created
            data: {"type":"response.created","response":{"id":"resp_1","model":"gpt-5","usage":null}}

            event: response.output_text.delta
            data: {"type":"response.output_text.delta","delta":"Hi"}

            event: response.completed
            data: {"type":"response.completed","response":{"id":"resp_1","model":"gpt-5","usage":{"input_tokens":40,"output_tokens":7}}}

            """));

    [Fact]
    public void Gemini_counts_thoughts_as_output() =>
        Assert.Equal(new LlmUsage("gemini-2.5-flash", 8, 30), Json("""
            {"candidates":[{"content":{"parts":[{"text":"Hi"}]}}],"modelVersion":"gemini-2.5-flash",
             "usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":20,"thoughtsTokenCount":10,"totalTokenCount":38}}
            """));

    [Fact]
    public void A_data_field_split_over_several_lines_is_one_document() =>
        Assert.Equal(new LlmUsage("m", 1, 2), Sse("data: {\"model\":\"m\",\r\ndata: \"usage\":{\"input_tokens\":1,\"output_tokens\":2}}\r\n\r\n"));

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"model\": ")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"usage\": \"many\", \"model\": 5}")]
    [InlineData("{\"usage\": {\"input_tokens\": 1e400, \"output_tokens\": \"x\"}}")]
    public void Malformed_or_foreign_bodies_give_nothing_and_never_throw(string body)
    {
        Assert.Equal(LlmUsage.Unknown, Json(body));
        Assert.Equal(LlmUsage.Unknown, Sse("data: " + body + "\n\n"));
    }

    [Fact]
    public void A_stream_cut_mid_event_keeps_what_came_before() =>
        Assert.Equal(new LlmUsage("m", 3, null), Sse("data: {\"model\":\"m\",\"usage\":{\"input_tokens\":3}}\n\ndata: {\"usage\":{\"output_t"));
}

public class LlmEndpointsTests
{
    [Theory]
    [InlineData("api.anthropic.com", "POST", "/v1/messages", "anthropic")]
    [InlineData("API.Anthropic.com", "POST", "/v1/messages", "anthropic")]
    [InlineData("api.anthropic.com", "GET", "/v1/messages", null)]
    [InlineData("api.anthropic.com", "POST", "/v1/files", null)]
    [InlineData("api.openai.com", "POST", "/v1/chat/completions", "openai")]
    [InlineData("api.openai.com", "POST", "/v1/responses", "openai")]
    [InlineData("api.openai.com", "POST", "/v1/embeddings", "openai")]
    [InlineData("generativelanguage.googleapis.com", "POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "google")]
    [InlineData("api.groq.com", "POST", "/openai/v1/chat/completions", "groq")]
    [InlineData("openrouter.ai", "POST", "/api/v1/chat/completions", "openrouter")]
    [InlineData("api.github.com", "POST", "/v1/chat/completions", null)]
    [InlineData("evil.example", "POST", "/v1/messages", null)]
    public void Recognises_model_calls_by_host_method_and_path(string host, string method, string path, string? provider) =>
        Assert.Equal(provider, LlmEndpoints.Provider(host, method, path));
}
