// A loopback HTTPS server that answers like the Anthropic Messages API (streamed server-sent events), with a
// certificate for api.anthropic.com from a throwaway CA made with the openssl CLI (as examples/tests does).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const HOST = "api.anthropic.com";

export class FakeAnthropic {
  static async start() {
    const dir = mkdtempSync(join(tmpdir(), "hive-ui-anthropic-"));
    const ssl = (...args) => execFileSync("openssl", args, { stdio: "ignore" });
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.pem"), "-days", "2", "-subj", "/CN=hive inspector test CA");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "leaf.key"), "-out", join(dir, "leaf.csr"), "-subj", `/CN=${HOST}`);
    writeFileSync(join(dir, "leaf.ext"), `subjectAltName=DNS:${HOST}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
    ssl("x509", "-req", "-in", join(dir, "leaf.csr"), "-CA", join(dir, "ca.pem"), "-CAkey", join(dir, "ca.key"), "-CAcreateserial", "-out", join(dir, "leaf.pem"), "-days", "2", "-extfile", join(dir, "leaf.ext"));
    const fake = new FakeAnthropic();
    fake.keys = [];
    fake.dir = dir;
    fake.caPem = join(dir, "ca.pem");
    fake.server = createServer({ key: readFileSync(join(dir, "leaf.key")), cert: readFileSync(join(dir, "leaf.pem")) }, (req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const request = JSON.parse(body || "{}");
        const model = request.model ?? "claude";
        res.writeHead(200, { "content-type": "text/event-stream" });
        const send = (e) => res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
        send({ type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model, content: [], usage: { input_tokens: 1200, output_tokens: 1 } } });
        send({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
        for (const w of ["Hello ", "from ", "the ", "fake."]) send({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: w } });
        // Like an API's debug echo: the credential it received (the proxy must hand the sandbox its stand-in instead).
        if (req.headers["x-api-key"]) send({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: ` Your key: ${req.headers["x-api-key"]}` } });
        send({ type: "content_block_stop", index: 0 });
        fake.keys.push(req.headers["x-api-key"]);
        if (request.tools?.length) {
          send({ type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "toolu_2", name: request.tools[0].name, input: {} } });
          for (const piece of ['{"path": "/work', 'space/notes.md"}']) send({ type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: piece } });
          send({ type: "content_block_stop", index: 1 });
        }
        send({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 345 } });
        send({ type: "message_stop" });
        res.end();
      });
    });
    await new Promise((ok) => fake.server.listen(0, "127.0.0.1", ok));
    fake.port = fake.server.address().port;
    return fake;
  }

  async close() {
    await new Promise((ok) => this.server.close(() => ok()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
