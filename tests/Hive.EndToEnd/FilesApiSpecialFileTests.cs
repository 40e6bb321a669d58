using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Hive.EndToEnd.Infrastructure;
using static Hive.EndToEnd.Infrastructure.BaseDaemon;

namespace Hive.EndToEnd;

/// <summary>
/// Special files the agent makes in /workspace (a FIFO, a UNIX socket) through the owner's files API: every call
/// answers at once (a FIFO opened for reading or writing would block a daemon thread until someone opens the other end).
/// </summary>
[Collection("base")]
public sealed class FilesApiSpecialFileTests(BaseDaemon fixture)
{
    /// <summary>kind → the command that makes /workspace/special, and the word the 409 names it by.</summary>
    public static TheoryData<string, string, string> Specials => new()
    {
        { "fifo", "mkfifo /workspace/special", "FIFO" },
        { "socket", "python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('/workspace/special')\"", "UNIX socket" },
    };

    [Theory]
    [MemberData(nameof(Specials))]
    public async Task Get_and_put_on_a_special_file_answer_409_at_once_and_delete_removes_it(string kind, string make, string word)
    {
        var sb = await fixture.Hive.GetOrCreateSandboxAsync(SharedDaemon.NewName("special"), Base());
        try
        {
            await OkAsync(sb, make);
            using var http = new HttpClient { BaseAddress = new Uri(fixture.Daemon.Url), Timeout = TimeSpan.FromSeconds(15) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Daemon.Token);
            var url = $"/v1/sandboxes/{sb.Name}/files/workspace/special";
            var clock = Stopwatch.StartNew();

            foreach (var request in new Func<Task<HttpResponseMessage>>[]
            {
                () => http.GetAsync(url),
                () => http.PutAsync(url, new StringContent("written")),
            })
            {
                using var response = await request();
                Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                Assert.Contains(word, problem["detail"]!.GetValue<string>());
            }
            Assert.Equal($"{kind}\n", await OkAsync(sb, "test -p /workspace/special && echo fifo || { test -S /workspace/special && echo socket; }"));

            using (var listing = await http.GetAsync($"/v1/sandboxes/{sb.Name}/files/workspace"))
            {
                Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
                var entry = JsonNode.Parse(await listing.Content.ReadAsStringAsync())!.AsArray().Single(e => e!["name"]!.GetValue<string>() == "special")!;
                Assert.Equal(kind, entry["type"]!.GetValue<string>());
            }
            using (var delete = await http.DeleteAsync(url)) Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the files API took {clock.Elapsed}");
            Assert.Equal("gone\n", await OkAsync(sb, "test -e /workspace/special || echo gone"));
            // The daemon still answers (no thread of it is stuck on the FIFO).
            await sb.Files.WriteAsync("/workspace/after.txt", "ok");
            Assert.Equal("ok", await sb.Files.ReadTextAsync("/workspace/after.txt"));
        }
        finally
        {
            await sb.DeleteAsync();
        }
    }
}
