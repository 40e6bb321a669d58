// A real `hive daemon` on a throwaway HIVE_HOME, a free loopback port and a random /24, as the SDKs' tests start
// one (sdk/typescript/test/helpers/daemon.ts), with the same clean-up of whatever it left on the host.
import { spawn, execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, symlinkSync, mkdtempSync, openSync, closeSync, readFileSync, writeFileSync, readdirSync, rmdirSync, realpathSync, accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const hiveCli = join(repoRoot, "out", "hive", "hive");
/** Where hive/base is built once per machine and shared by test daemons (as the other test suites do). */
export const sharedImageHome = "/var/cache/hive-test";

export function checkPrerequisites() {
  const problems = [];
  if (process.getuid?.() !== 0) problems.push("the live tests must run as root (the daemon starts runc containers, network namespaces and nftables rules)");
  try { accessSync(hiveCli, constants.X_OK); } catch { problems.push(`the hive CLI is not built at ${hiveCli}: run make build`); }
  if (!existsSync(join(repoRoot, "out", "hive", "inspector", "index.html"))) problems.push("the Inspector is not built into out/hive/inspector: run make build");
  if (!existsSync("/usr/bin/chromium")) problems.push("/usr/bin/chromium is missing (apt-get install chromium, or make deps)");
  if (problems.length) throw new Error("prerequisites missing: " + problems.join("; "));
}

async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const port = s.address().port;
      s.close(() => ok(port));
    });
  });
}

export class TestDaemon {
  constructor(home, port, subnet, env, upstream, settings = {}) {
    this.settings = settings;
    this.home = home;
    this.port = port;
    this.subnet = subnet;
    this.extraEnv = env;
    this.upstream = upstream;
  }

  get url() { return `http://127.0.0.1:${this.port}`; }
  get token() { return readFileSync(join(this.home, "token"), "utf8").trim(); }
  get log() { return join(this.home, "daemon.log"); }

  /** The CLI's environment for this daemon. */
  env() {
    const env = { ...process.env, HIVE_HOME: this.home, ...this.extraEnv };
    delete env.HIVE_LISTEN;
    delete env.HIVE_URL;
    delete env.HIVE_TOKEN;
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    return env;
  }

  /**
   * @param options.env extra environment of the daemon; options.upstream the daemon.json "upstream" object (loopback
   * stand-ins for real hosts); options.baseImage links hive/base, built once per machine into /var/cache/hive-test;
   * options.settings more daemon.json settings (e.g. { usage: { intervalSeconds: 0.5 } }).
   */
  static async start({ env = {}, upstream, baseImage = false, settings = {} } = {}) {
    checkPrerequisites();
    const home = realpathSync(mkdtempSync(join(tmpdir(), "hive-ui-")));
    const subnet = `10.${100 + Math.floor(Math.random() * 150)}.${Math.floor(Math.random() * 255)}.0/24`;
    const d = new TestDaemon(home, await freePort(), subnet, env, upstream, settings);
    try {
      d.#settings();
      await run(hiveCli, ["image", "build", "hive/minimal"], { env: d.env() });
      if (baseImage) {
        await run(hiveCli, ["image", "build", "hive/base"], { env: { ...d.env(), HIVE_HOME: sharedImageHome }, timeout: 15 * 60_000, maxBuffer: 64 << 20 });
        await run("rm", ["-rf", join(home, "images", "hive_base")]);
        symlinkSync(join(sharedImageHome, "images", "hive_base"), join(home, "images", "hive_base"));
      }
      for (let attempt = 0; ; attempt++) {
        try {
          await d.#launch();
          return d;
        } catch (e) {
          if (attempt >= 3 || !String(e).includes("Address already in use")) throw e;
          d.port = await freePort();
          d.#settings();
        }
      }
    } catch (e) {
      await d.stop();
      throw e;
    }
  }

  #settings() {
    writeFileSync(join(this.home, "daemon.json"), JSON.stringify({ listen: `127.0.0.1:${this.port}`, subnet: this.subnet, ...(this.upstream ? { upstream: this.upstream } : {}), ...this.settings }));
  }

  async #launch() {
    const log = openSync(this.log, "a");
    const [cmd, args] = existsSync("/usr/bin/setpriv") ? ["/usr/bin/setpriv", ["--pdeathsig", "TERM", hiveCli, "daemon"]] : [hiveCli, ["daemon"]];
    const child = spawn(cmd, args, { env: this.env(), stdio: ["ignore", log, log] });
    closeSync(log);
    this.child = child;
    this.exited = new Promise((ok) => child.once("exit", () => ok()));
    let exited = false;
    child.once("exit", () => (exited = true));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`hive daemon exited:\n${readFileSync(this.log, "utf8")}`);
      try {
        if ((await fetch(`${this.url}/v1/health`)).ok) return;
      } catch { /* not yet */ }
      await new Promise((ok) => setTimeout(ok, 100));
    }
    throw new Error(`hive daemon did not become healthy in 30 s:\n${readFileSync(this.log, "utf8")}`);
  }

  /** A bearer-token call to the API; returns the parsed body (or text), throws on an error status. */
  async api(method, path, body) {
    const r = await fetch(this.url + path, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    try { return JSON.parse(text); } catch { return text; }
  }

  /** SIGTERM, wait for the exit, then start again on the same home and port. */
  async restart() {
    await this.#terminate();
    this.#settings();
    await this.#launch();
  }

  async #terminate() {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await this.exited;
      clearTimeout(timer);
    }
    this.child = undefined;
  }

  async stop() {
    await this.#terminate();
    await removeLeftovers(this.home);
  }
}

async function quiet(cmd, args) {
  try { return (await run(cmd, args)).stdout; } catch { return ""; }
}

function dirs(dir) {
  try { return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name); } catch { return []; }
}

/** Whatever a failed test or killed daemon left under this home's tag (containers, netns, veths, nft table, cgroups, mounts), then the home. */
export async function removeLeftovers(home) {
  home = resolve(home);
  const tag = createHash("sha256").update(home).digest("hex").slice(0, 6);
  const runcRoot = join(home, "run", "runc");
  for (const id of dirs(runcRoot)) {
    await quiet("runc", ["--root", runcRoot, "kill", "--all", id, "KILL"]);
    await quiet("runc", ["--root", runcRoot, "delete", "--force", id]);
  }
  for (const line of (await quiet("ip", ["netns", "list"])).split("\n")) {
    const name = line.split(" ")[0];
    if (name?.startsWith(`hive-${tag}-`)) await quiet("ip", ["netns", "del", name]);
  }
  for (const line of (await quiet("ip", ["-o", "link", "show"])).split("\n")) {
    const name = line.split(":", 3)[1]?.trim().split("@")[0] ?? "";
    if (name.startsWith(`hv${tag}`)) await quiet("ip", ["link", "del", name]);
  }
  await quiet("nft", ["delete", "table", "inet", `hive_${tag}`]);
  for (const hierarchy of dirs("/sys/fs/cgroup")) {
    const parent = join("/sys/fs/cgroup", hierarchy, `hive-${tag}`);
    if (!existsSync(parent)) continue;
    for (const c of dirs(parent)) { try { rmdirSync(join(parent, c)); } catch { /* busy */ } }
    try { rmdirSync(parent); } catch { /* busy */ }
  }
  const mounts = readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" ")[1])
    .filter((m) => m && m.startsWith(home + "/")).map((m) => m.replace(/\\040/g, " ")).sort((a, b) => b.length - a.length);
  for (const m of mounts) await quiet("umount", ["-l", m]);
  if (home.startsWith(tmpdir() + "/hive-ui-")) await quiet("rm", ["-rf", "--one-file-system", home]);
}
