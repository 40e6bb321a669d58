// Builds the Inspector into OUTDIR (default ../out/hive/inspector, next to the daemon binary):
// index.html and assets/{app.js,app.css,favicon.svg}. No CDN: everything the page loads is here.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, "..", "out", "hive", "inspector"));
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });
await build({
  entryPoints: [join(here, "src", "main.ts")],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  outfile: join(out, "assets", "app.js"),
  logLevel: "warning",
});
copyFileSync(join(here, "src", "index.html"), join(out, "index.html"));
copyFileSync(join(here, "src", "app.css"), join(out, "assets", "app.css"));
copyFileSync(join(here, "src", "favicon.svg"), join(out, "assets", "favicon.svg"));
// xterm.js's own styles, then the Terminal tab's.
writeFileSync(join(out, "assets", "terminal.css"),
  readFileSync(join(here, "node_modules", "@xterm", "xterm", "css", "xterm.css"), "utf8") + readFileSync(join(here, "src", "terminal.css"), "utf8"));
console.log(`inspector built into ${out}`);
