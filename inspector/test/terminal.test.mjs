// The Inspector's Terminal tab in a real browser (chromium through playwright-core) against a live daemon and a real
// sandbox: xterm.js over the daemon's terminal WebSocket, with a pty that hive-init allocates in the sandbox.
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
let daemon, browser, context, page;
const sandbox = `term-${Math.random().toString(36).slice(2, 8)}`;

before(async () => {
  mkdirSync(shots, { recursive: true });
  daemon = await TestDaemon.start();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  context = await browser.newContext({ viewport: { width: 1400, height: 800 }, colorScheme: "dark" });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: daemon.url });
  page = await context.newPage();
  const { stdout } = await run(hiveCli, ["inspector", "--no-open"], { env: { ...daemon.env(), HIVE_URL: daemon.url } });
  await page.goto(stdout.trim().split("\n").pop());
  await daemon.api("PUT", `/v1/sandboxes/${sandbox}`, { image: "hive/minimal" });
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

/** The text on the active terminal's screen (xterm's DOM renderer), one line per row. */
const screen = () => page.evaluate(() =>
  [...document.querySelectorAll(".term-stage .xterm-rows > div")].map((r) => r.textContent.replace(/\u00a0/g, " ")).join("\n"));

async function waitForScreen(re, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  while (!re.test(await screen())) {
    if (Date.now() > deadline) assert.fail(`${re} never showed; the terminal shows:\n${await screen()}`);
    await page.waitForTimeout(50);
  }
}

async function typeLine(text) {
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}

test("typing `echo hi; exit 3` in the terminal shows hi and the exit status", async () => {
  await page.goto(`${daemon.url}/#/s/${sandbox}/terminal`);
  await page.waitForSelector(".term-label.active[data-status=running]", { timeout: 20_000 });
  await page.click(".term-stage");
  await waitForScreen(/[$#]\s*$/m); // the shell's prompt
  await typeLine("echo hi; exit 3");
  await waitForScreen(/^hi\s*$/m);
  await waitForScreen(/\[exited with status 3\]/);
  await page.waitForSelector(".term-label.active[data-status='exited 3']");
  await page.screenshot({ path: join(shots, "terminal.png") });
  const events = await daemon.api("GET", `/v1/sandboxes/${sandbox}/events?types=exec.*&follow=false`);
  const request = events.find((e) => e.type === "exec.request" && e.terminal === true);
  assert.ok(request, JSON.stringify(events));
  assert.ok(events.some((e) => e.type === "exec.response" && e.requestId === request.id && e.exitCode === 3), JSON.stringify(events));
});

test("a second terminal runs beside the first: Ctrl-C stops its foreground job, a resize reaches stty, paste types", async () => {
  await page.click("#term-new");
  await page.waitForSelector(".term-label.active[data-status=running]", { timeout: 20_000 });
  assert.equal(await page.locator(".term-label").count(), 2);
  await page.click(".term-stage");
  await waitForScreen(/[$#]\s*$/m);
  await typeLine("sleep 1000");
  await page.waitForTimeout(300);
  await page.keyboard.press("Control+C");
  await typeLine("echo two-$((1+1))");
  await waitForScreen(/^two-2\s*$/m);

  await typeLine("stty size");
  await waitForScreen(/^\d+ \d+\s*$/m);
  const before = (await screen()).match(/^(\d+ \d+)\s*$/m)[1];
  await page.setViewportSize({ width: 900, height: 500 });
  // The resize reaches the shell asynchronously (fit, then a resize message, then SIGWINCH): ask again, each answer
  // marked so that an earlier one still on the screen is never read as the new size.
  let after = before;
  for (let i = 0; i < 20 && after === before; i++) {
    await page.waitForTimeout(250);
    await typeLine(`echo size${i}-$(stty size | tr ' ' x)`);
    const marked = new RegExp(`^size${i}-(\\d+)x(\\d+)\\s*$`, "m");
    await waitForScreen(marked);
    const [, rows, cols] = (await screen()).match(marked);
    after = `${rows} ${cols}`;
  }
  assert.notEqual(after, before, "the window size follows the page");

  await page.evaluate(() => navigator.clipboard.writeText("echo pasted-$((3*3))"));
  await page.keyboard.press("Control+Shift+V");
  await page.keyboard.press("Enter");
  await waitForScreen(/^pasted-9\s*$/m);
  await page.screenshot({ path: join(shots, "terminal-second.png") });
  await page.setViewportSize({ width: 1400, height: 800 });
});
