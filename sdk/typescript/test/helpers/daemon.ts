// A real `hive daemon` on a throwaway HIVE_HOME, a free loopback port and a random /24, like
// tests/Hive.EndToEnd/Infrastructure/DaemonProcess.cs, with the same HostCleanup safety net.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, symlinkSync, mkdtempSync, openSync, closeSync, readFileSync, writeFileSync, readdirSync, rmdirSync, statSync, accessSync, constants, realpathSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient, type Hive } from "hive";

const run = promisify(execFile);

/** The repository root: the first directory above this file that holds Hive.sln. */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "Hive.sln"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the repository root (Hive.sln) above " + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
})();

/** The package root (sdk/typescript). */
export const packageRoot = join(repoRoot, "sdk", "typescript");

export const hiveCli = join(repoRoot, "out", "hive", "hive");

/** Throws one clear message naming everything the live tests need and do not have. */
export function checkPrerequisites(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push("the live tests must run as root (the daemon starts runc containers, network namespaces and nftables rules)");
  try {
    accessSync(hiveCli, constants.X_OK);
  } catch {
    problems.push(`the hive CLI is not built at ${hiveCli}: run \`make build\` in ${repoRoot}`);
  }
  const path = (process.env.PATH ?? "/usr/bin:/bin").split(":").concat(["/usr/sbin", "/sbin"]);
  for (const tool of ["runc", "nft", "ip"]) {
    if (!path.some((d) => existsSync(join(d, tool)))) problems.push(`${tool} is not installed (make deps installs it)`);
  }
  if (!existsSync("/bin/busybox")) problems.push("/bin/busybox is missing (apt-get install busybox-static)");
  if (problems.length) throw new Error("host prerequisites missing: " + problems.join("; "));
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => ok(port));
    });
  });
}

function randomSubnet(): string {
  const a = 100 + Math.floor(Math.random() * 150);
  const b = Math.floor(Math.random() * 255);
  return `10.${a}.${b}.0/24`;
}

/** The directory an image name lives in below `<home>/images` (`:latest` dropped, `/` as `_`). */
export function imageDirName(name: string): string {
  return name.replace(/:latest$/, "").replaceAll("/", "_");
}

export interface StartOptions {
  /** Image names to provide as copies of hive/minimal (e.g. "hive/base", "hive/claude-code:latest"). */
  images?: string[];
  /**
   * The real hive/base (Debian, bash, the MCP server): built once per machine into {@link sharedImageHome} (as the C#
   * end-to-end tests do; debootstrap takes minutes the first time) and linked into this daemon's images.
   */
  baseImage?: boolean;
}

/** Where hive/base is built once per machine and shared, read-only, by test daemons (same as DaemonProcess.cs). */
export const sharedImageHome = "/var/cache/hive-test";

export class TestDaemon {
  readonly home: string;
  port: number;
  readonly subnet: string;
  #child?: ChildProcess;
  #exited?: Promise<void>;

  private constructor(home: string, port: number, subnet: string) {
    this.home = home;
    this.port = port;
    this.subnet = subnet;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get token(): string {
    return readFileSync(join(this.home, "token"), "utf8").trim();
  }

  get log(): string {
    return join(this.home, "daemon.log");
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** A client of this daemon. */
  client(): Hive {
    return createClient({ url: this.url, token: this.token });
  }

  static async start(options: StartOptions = {}): Promise<TestDaemon> {
    checkPrerequisites();
    const home = realpathSync(mkdtempSync(join(tmpdir(), "hive-ts-")));
    const daemon = new TestDaemon(home, await freePort(), randomSubnet());
    try {
      daemon.#writeSettings();
      await run(hiveCli, ["image", "build", "hive/minimal"], { env: daemon.#env() });
      for (const name of options.images ?? []) await daemon.copyImage("hive/minimal", name);
      if (options.baseImage) await daemon.#linkBaseImage();
      // The free port was only free when we looked: if something took it meanwhile, take another.
      for (let attempt = 0; ; attempt++) {
        try {
          await daemon.#launch();
          return daemon;
        } catch (e) {
          if (attempt >= 3 || !String(e).includes("Address already in use")) throw e;
          daemon.port = await freePort();
          daemon.#writeSettings();
        }
      }
    } catch (e) {
      await daemon.stop();
      throw e;
    }
  }

  /** Provides `name` as a copy of an existing image (cheap: hive/minimal is 2 MB). */
  async copyImage(from: string, name: string): Promise<void> {
    const images = join(this.home, "images");
    const target = join(images, imageDirName(name));
    await run("cp", ["-a", join(images, imageDirName(from)), target]);
    const manifestPath = join(target, "image.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    manifest.name = name.replace(/:latest$/, "");
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  }

  async #linkBaseImage(): Promise<void> {
    const env = { ...this.#env(), HIVE_HOME: sharedImageHome };
    try {
      await run(hiveCli, ["image", "build", "hive/base"], { env, timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 });
    } catch (e) {
      throw new Error(`hive image build hive/base (into ${sharedImageHome}) failed: ${String((e as { stderr?: string }).stderr ?? e)}`);
    }
    const link = join(this.home, "images", imageDirName("hive/base"));
    await run("rm", ["-rf", link]);
    symlinkSync(join(sharedImageHome, "images", imageDirName("hive/base")), link);
  }

  #env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, HIVE_HOME: this.home };
    delete env.HIVE_LISTEN;
    delete env.HIVE_URL;
    delete env.HIVE_TOKEN;
    return env;
  }

  #writeSettings(): void {
    writeFileSync(join(this.home, "daemon.json"), JSON.stringify({ listen: `127.0.0.1:${this.port}`, subnet: this.subnet }));
  }

  async #launch(): Promise<void> {
    const log = openSync(this.log, "a");
    // With setpriv, the daemon gets SIGTERM (and cleans up) if this test process dies without stopping it.
    const [cmd, args] = existsSync("/usr/bin/setpriv")
      ? ["/usr/bin/setpriv", ["--pdeathsig", "TERM", hiveCli, "daemon"]]
      : [hiveCli, ["daemon"]];
    const child = spawn(cmd, args, { env: this.#env(), stdio: ["ignore", log, log] });
    closeSync(log);
    this.#child = child;
    this.#exited = new Promise((ok) => child.once("exit", () => ok()));
    let exited = false;
    child.once("exit", () => (exited = true));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`hive daemon exited with ${child.exitCode ?? child.signalCode}:\n${readFileSync(this.log, "utf8")}`);
      try {
        const r = await fetch(`${this.url}/v1/health`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((ok) => setTimeout(ok, 100));
    }
    throw new Error(`hive daemon did not become healthy in 30 s:\n${readFileSync(this.log, "utf8")}`);
  }

  /** SIGKILL: exactly what a crash looks like (sandboxes, netns and nft table stay behind). */
  async kill9(): Promise<void> {
    if (!this.#child || this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill("SIGKILL");
    await this.#exited;
    this.#child = undefined;
  }

  /** Starts the daemon again on the same home and port. */
  async restart(): Promise<void> {
    this.#writeSettings();
    await this.#launch();
  }

  /** SIGTERM (the daemon stops its sandboxes and removes its nft table), then the safety net, then the home. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await this.#exited;
      clearTimeout(timer);
    }
    this.#child = undefined;
    await removeLeftovers(this.home);
  }
}

async function quiet(cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args)).stdout;
  } catch {
    return "";
  }
}

/**
 * The safety net: whatever a failed test or a killed daemon left on the host under this home's tag (containers,
 * namespaces, veths, the nft table, mounts) is removed, then the home itself.
 */
export async function removeLeftovers(home: string): Promise<void> {
  home = resolve(home);
  const tag = createHash("sha256").update(home).digest("hex").slice(0, 6);
  const runcRoot = join(home, "run", "runc");
  if (existsSync(runcRoot)) {
    for (const id of readdirSync(runcRoot)) {
      if (!statSync(join(runcRoot, id)).isDirectory()) continue;
      await quiet("runc", ["--root", runcRoot, "kill", "--all", id, "KILL"]);
      await quiet("runc", ["--root", runcRoot, "delete", "--force", id]);
    }
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
  // The daemon leaves its parent cgroup (/hive-<tag>) in every hierarchy; rmdir only removes empty ones.
  for (const hierarchy of safeReaddir("/sys/fs/cgroup")) {
    const parent = join("/sys/fs/cgroup", hierarchy, `hive-${tag}`);
    if (!existsSync(parent)) continue;
    for (const child of safeReaddir(parent)) tryRmdir(join(parent, child));
    tryRmdir(parent);
  }
  const mounts = readFileSync("/proc/self/mounts", "utf8").split("\n")
    .map((l) => l.split(" ")[1])
    .filter((m): m is string => !!m && m.startsWith(home + "/"))
    .map((m) => m.replace(/\\040/g, " "))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await quiet("umount", ["-l", m]);
  if (home.startsWith(tmpdir() + "/hive-ts-")) await quiet("rm", ["-rf", "--one-file-system", home]);
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // busy (processes still in it) or already gone
  }
}

/** Polls `check` until it returns a truthy value or the time is up. */
export async function eventually<T>(check: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}
