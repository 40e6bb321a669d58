// The Files and Usage tabs in a real browser against a live daemon: files the agent writes (through exec, inside a
// hive/base sandbox) appear in the tree, highlighted in the viewer, as image previews and in the changed view; a
// hostile file name and hostile content stay text; the usage tab charts the sandbox's cgroup samples.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { TestDaemon, hiveCli, repoRoot } from "./daemon.mjs";

const run = promisify(execFile);
const shots = join(repoRoot, "out", "inspector-screenshots");
let daemon, browser, page;
const violations = [];
const sandbox = `files-${Math.random().toString(36).slice(2, 8)}`;
const HOSTILE = `<img src=x onerror="window.__xss='name'">.txt`;

before(async () => {
  mkdirSync(shots, { recursive: true });
  daemon = await TestDaemon.start({ baseImage: true, settings: { usage: { intervalSeconds: 0.5, samples: 120 } } });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  page = await (await browser.newContext({ viewport: { width: 1400, height: 760 }, colorScheme: "dark" })).newPage();
  // Anything the CSP had to block would be an injection attempt reaching the page: there must be none.
  await page.addInitScript(() => document.addEventListener("securitypolicyviolation", (e) => (window.__violations ??= []).push(`${e.violatedDirective} ${e.blockedURI}`)));
  page.on("console", (m) => { if (/Content Security Policy/.test(m.text())) violations.push(m.text()); });
  const { stdout } = await run(hiveCli, ["inspector", "--no-open"], { env: { ...daemon.env(), HIVE_URL: daemon.url } });
  await page.goto(stdout.trim());
  await daemon.api("PUT", `/v1/sandboxes/${sandbox}`, { image: "hive/base" });
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });

/** Runs a python3 program inside the sandbox as the agent (through exec, so its writes go through the FUSE mount). */
async function agent(program) {
  const r = await daemon.api("POST", `/v1/sandboxes/${sandbox}/exec`, { command: ["python3", "-c", program], cwd: "/workspace", timeoutMs: 60_000 });
  assert.equal(r.exitCode, 0, JSON.stringify(r));
  return r.stdout;
}

const node = (path) => `#file-tree .tn[data-path="${path.replace(/["\\]/g, "\\$&")}"]`;

test("a file the agent just wrote appears in the tree and opens highlighted", async () => {
  await page.goto(`${daemon.url}/#/s/${sandbox}/files`);
  await page.waitForSelector(node("/workspace") + '[aria-expanded="true"]');
  await agent(`
import os
os.makedirs("src", exist_ok=True)
open("src/hello.py", "w").write('# greet\\ndef hello(name):\\n    return "hi " + name  # 42\\n\\nprint(hello("hive"))\\n')
`);
  // The open directory is listed again when its fs events arrive: no reload, no click.
  await page.waitForSelector(node("/workspace/src"), { timeout: 10_000 });
  await page.click(node("/workspace/src"));
  await page.click(node("/workspace/src/hello.py"));
  await page.waitForSelector("#file-text");
  assert.equal(await page.textContent("#file-path"), "/workspace/src/hello.py");
  assert.equal(await page.getAttribute("#file-text", "data-lang"), "py");
  const text = await page.textContent("#file-text");
  assert.equal(text, '# greet\ndef hello(name):\n    return "hi " + name  # 42\n\nprint(hello("hive"))\n');
  assert.deepEqual(await page.$$eval("#file-text .tok-k", (t) => t.map((x) => x.textContent)), ["def", "return"]);
  assert.deepEqual(await page.$$eval("#file-text .tok-s", (t) => t.map((x) => x.textContent)), ['"hi "', '"hive"']);
  assert.deepEqual(await page.$$eval("#file-text .tok-c", (t) => t.map((x) => x.textContent)), ["# greet", "# 42"]);
  // Download is a same-origin link to the files API (the session cookie goes with it).
  const href = await page.getAttribute("#file-download", "href");
  assert.equal(href, `/v1/sandboxes/${sandbox}/files/workspace/src/hello.py`);
  assert.equal(await page.getAttribute("#file-download", "download"), "hello.py");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#file-download")]);
  assert.equal(download.suggestedFilename(), "hello.py");
  await shot("5-files-viewer");
});

test("images preview through a typed blob in an <img>; binary files show as hex; big files show their first 256 KiB", async () => {
  await agent(`
import zlib, struct
w = h = 64
raw = b"".join(b"\\x00" + bytes(v for x in range(w) for v in ((x * 4) % 256, (y * 4) % 256, 160)) for y in range(h))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open("pic.png", "wb").write(b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
open("data.bin", "wb").write(bytes(range(256)) * 8)
open("big.log", "w").write(("x" * 99 + "\\n") * 4000)
`);
  await page.click("#refresh-tree");
  await page.click(node("/workspace/pic.png"));
  await page.waitForSelector("#file-image");
  assert.match(await page.getAttribute("#file-image", "src"), /^blob:/);
  await page.waitForFunction(() => document.querySelector("#file-image")?.naturalWidth === 64);
  await shot("6-files-image");

  await page.click(node("/workspace/data.bin"));
  await page.waitForSelector("#file-binary");
  assert.match(await page.textContent(".hex"), /^00000000  00 01 02 03/);

  await page.click(node("/workspace/big.log"));
  await page.waitForSelector("#file-truncated");
  assert.match(await page.textContent("#file-truncated"), /first 256 KiB of 391 KiB/);
  assert.equal((await page.textContent("#file-text")).length, 256 * 1024);
});

test("a hostile file name and hostile content stay text: no element, no script, nothing for the CSP to block", async () => {
  await page.evaluate(() => { window.__xss = undefined; });
  await agent(`
open(${JSON.stringify(HOSTILE)}, "w").write("<script>window.__xss='content'</script><img src=x onerror=\\"window.__xss='img'\\">\\n")
open("evil.svg", "w").write('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" onload="window.__xss=\\'svg\\'"><script>window.__xss="svg-script"</script><rect width="40" height="40" fill="red"/></svg>')
open("evil.html", "w").write("<html><body><script>window.__xss='html'</script></body></html>")
`);
  await page.waitForSelector(node(`/workspace/${HOSTILE}`), { timeout: 10_000 });
  assert.equal(await page.textContent(node(`/workspace/${HOSTILE}`) + " .name"), HOSTILE);
  await page.click(node(`/workspace/${HOSTILE}`));
  await page.waitForSelector("#file-text");
  assert.match(await page.textContent("#file-text"), /^<script>window.__xss='content'<\/script><img src=x/);
  await page.click(node("/workspace/evil.html"));
  await page.waitForFunction(() => /<html>/.test(document.querySelector("#file-text")?.textContent ?? ""));
  await page.click(node("/workspace/evil.svg"));
  await page.waitForSelector("#file-image");
  await page.waitForFunction(() => document.querySelector("#file-image")?.complete);
  await page.click("#show-changed");
  await page.waitForSelector(`#changed a[data-path="/workspace/${HOSTILE.replace(/"/g, '\\"')}"]`);
  await new Promise((ok) => setTimeout(ok, 500));
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  // Only the Inspector's own elements: no <img src=x>, no <script> from a file, no iframe or object.
  assert.equal(await page.$$eval('img[src="x"], main script, iframe, object, embed', (e) => e.length), 0);
  assert.deepEqual(await page.evaluate(() => window.__violations ?? []), []);
  assert.deepEqual(violations, []);
  await page.click("#show-tree");
});

test("the changed view lists what the agent wrote, with counts and time, and opens it", async () => {
  await agent(`
import os
open("notes.md", "w").write("one\\n")
with open("notes.md", "a") as f: f.write("two\\n")
open("gone.txt", "w").write("x")
os.remove("gone.txt")
os.rename("src/hello.py", "src/hi.py")
`);
  await page.click("#show-changed");
  const link = (p) => `#changed a[data-path="${p}"]`;
  await page.waitForSelector(link("/workspace/notes.md"), { timeout: 10_000 });
  await page.waitForSelector(link("/workspace/src/hi.py"));
  const row = async (p) => page.$eval(link(p), (a) => a.closest(".ch").textContent);
  assert.match(await row("/workspace/notes.md"), /created 1 · written 1/);
  assert.match(await row("/workspace/gone.txt"), /deleted 1/);
  assert.match(await row("/workspace/src/hi.py"), /renamed 1/);
  assert.match(await page.$eval(link("/workspace/gone.txt"), (a) => a.className), /deleted/);
  assert.match(await page.$eval(link("/workspace/src/hello.py"), (a) => a.className), /deleted/);
  assert.doesNotMatch(await page.$eval(link("/workspace/src/hi.py"), (a) => a.className), /deleted/);
  assert.match(await page.textContent("#changed-count"), /^\d+$/);
  await shot("7-files-changed");
  await page.click(link("/workspace/notes.md"));
  await page.waitForFunction(() => document.querySelector("#file-text")?.textContent === "one\ntwo\n");
  assert.equal(await page.textContent("#file-path"), "/workspace/notes.md");
});

test("the usage tab charts the sandbox's CPU and memory from its cgroup samples", async () => {
  await page.goto(`${daemon.url}/#/s/${sandbox}/usage`);
  await page.waitForSelector("#cpu-chart");
  await agent("import time\nwhile time.process_time() < 1.0: pass");
  await page.waitForFunction(() => /[1-9]/.test(document.querySelector("#usage-memory-now .big")?.textContent ?? ""), null, { timeout: 10_000 });
  await page.waitForFunction(() => (document.querySelector("#cpu-chart polyline")?.getAttribute("points") ?? "").split(" ").length >= 3, null, { timeout: 10_000 });
  await page.waitForFunction(() => (document.querySelector("#memory-chart polyline")?.getAttribute("points") ?? "").split(" ").length >= 3);
  const usage = await daemon.api("GET", `/v1/sandboxes/${sandbox}/usage`);
  assert.ok(usage.samples.some((s) => s.cpuPercent > 5), JSON.stringify(usage.samples.map((s) => s.cpuPercent)));
  assert.match(await page.textContent("#usage-note"), /samples, every 0.5 s/);
  assert.match(await page.textContent("#usage-cpu-now .big"), /%|—/);
  assert.match(await page.textContent("#usage-egress-in .big"), /\d/);
  await shot("8-usage");
});
