// The pure parts of the Files tab: the highlighter, text/binary detection, and the changed view's grouping.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildSync } from "esbuild";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "hive-ui-files-"));
const entry = join(dir, "entry.ts");
const src = new URL("../src/", import.meta.url).pathname;
writeFileSync(entry, `export * from "${src}highlight"; export * from "${src}filekind"; export * from "${src}changes";`);
buildSync({ entryPoints: [entry], bundle: true, format: "esm", outfile: join(dir, "out.mjs"), logLevel: "warning" });
const m = await import(join(dir, "out.mjs"));
rmSync(dir, { recursive: true, force: true });

test("tokens join back to the text, unchanged, in every language", () => {
  const samples = ['const a = "x\\"y"; // c\n/* b */ 0x1F', "def f():\n    '''doc'''\n    return 1 # c", "echo \"$HOME\" # c", "{\"a\": [1, true, null]}", "<script>alert(1)</script><!-- c -->", "unterminated \"string\nnext"];
  for (const lang of [undefined, "js", "py", "sh", "c", "cs", "go", "rs", "json", "yaml", "toml", "css", "html", "sql", "nope"])
    for (const s of samples) assert.equal(m.tokenize(s, lang).map((t) => t.text).join(""), s, `${lang}: ${s}`);
});

test("comments, strings, numbers and keywords are classed", () => {
  const t = m.tokenize('if (x) return "s"; // done\nlet n = 42', "js").filter((x) => x.cls);
  assert.deepEqual(t.map((x) => [x.cls, x.text]), [["k", "if"], ["k", "return"], ["s", '"s"'], ["c", "// done"], ["k", "let"], ["n", "42"]]);
  // A keyword inside a word is not one; an unclosed one-line string stops at the end of its line.
  assert.deepEqual(m.tokenize("ifx = 'a\nb'", "py").filter((x) => x.cls).map((x) => x.text), ["'a", "'"]);
  assert.equal(m.languageOf("/w/a.py"), "py");
  assert.equal(m.languageOf("/w/Makefile"), "sh");
  assert.equal(m.languageOf("/w/README"), undefined);
  assert.equal(m.languageOf("/w/.bashrc"), "sh");
});

test("text or binary; a file cut mid-character is still text", () => {
  const enc = new TextEncoder();
  assert.equal(m.decodeText(enc.encode("héllo ✓"), false), "héllo ✓");
  assert.equal(m.decodeText(new Uint8Array([104, 0, 105]), false), null);
  assert.equal(m.decodeText(new Uint8Array([0xff, 0xfe, 0x41]), false), null);
  const cut = enc.encode("ab✓").subarray(0, 4); // the check mark's first two bytes
  assert.equal(m.utf8Boundary(cut), 2);
  assert.equal(m.decodeText(cut, true), "ab");
  assert.equal(m.decodeText(cut, false), null);
  assert.equal(m.utf8Boundary(enc.encode("ab✓")), 5);
  assert.match(m.hexDump(new Uint8Array([0, 65, 255])), /^00000000  00 41 ff\s+\.A\.$/);
  assert.equal(m.imageTypeOf("/w/x.SVG"), "image/svg+xml");
  assert.equal(m.imageTypeOf("/w/x.html"), undefined);
  assert.equal(m.bytes(400 * 1024), "400 KiB");
});

test("the changed view groups allowed changes by path; reads and denials are not changes", () => {
  const changes = new Map();
  const ev = (op, path, extra = {}) => ({ id: 1, ts: `2026-01-01T00:00:0${op.length % 10}Z`, sandbox: "s", type: "fs.request", op, path, access: "allowed", ...extra });
  m.addChange(changes, ev("create", "/w/a", { detail: "w,trunc,create" }));
  m.addChange(changes, ev("write", "/w/a")); // the summed write at close: its open already counted
  m.addChange(changes, ev("open", "/w/a", { detail: "w,append" }));
  m.addChange(changes, ev("open", "/w/a", { detail: "r" }));
  m.addChange(changes, ev("write", "/w/b", { via: "api" }));
  m.addChange(changes, ev("unlink", "/w/c", { access: "denied" }));
  m.addChange(changes, ev("read", "/w/d", { via: "api" }));
  assert.deepEqual(m.addChange(changes, ev("rename", "/w/a", { detail: "/w/e" })), ["/w/a", "/w/e"]);
  assert.deepEqual(m.addChange(changes, ev("unlink", "/w/e")), ["/w/e"]);
  assert.deepEqual([...changes.keys()].sort(), ["/w/a", "/w/b", "/w/e"]);
  assert.deepEqual(changes.get("/w/a").counts, { created: 1, written: 1, renamed: 1 });
  assert.equal(changes.get("/w/a").renamed, "/w/e");
  assert.equal(changes.get("/w/a").gone, true);
  assert.equal(changes.get("/w/b").gone, false);
  assert.deepEqual(changes.get("/w/e").counts, { renamed: 1, deleted: 1 });
  assert.equal(changes.get("/w/e").lastKind, "deleted");
  assert.equal(changes.get("/w/e").gone, true);
  assert.equal(changes.get("/w/b").via, "api");
});
