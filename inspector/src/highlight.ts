// A small syntax highlighter for the files viewer: comments, strings, numbers and keywords of a few languages. It only
// splits text into classed tokens; the viewer puts each token in as text, so file content is never parsed as HTML.

export interface Token { cls: "" | "c" | "s" | "n" | "k"; text: string }

interface Lang {
  line?: string[];
  block?: [string, string][];
  quotes: string[];
  keywords: Set<string>;
}

const words = (s: string) => new Set(s.split(" "));
const CLIKE = "if else for while do return break continue switch case default new delete class struct enum const static void int long char float double bool true false null this try catch finally throw";
const LANGS: Record<string, Lang> = {
  js: { line: ["//"], block: [["/*", "*/"]], quotes: ["`", '"', "'"], keywords: words("async await break case catch class const continue debugger default delete do else export extends false finally for from function if import in instanceof let new null of return static super switch this throw true try typeof undefined var void while yield interface type implements enum readonly private public protected as") },
  py: { line: ["#"], quotes: ['"""', "'''", '"', "'"], keywords: words("and as assert async await break class continue def del elif else except False finally for from global if import in is lambda None nonlocal not or pass raise return True try while with yield self") },
  sh: { line: ["#"], quotes: ['"', "'"], keywords: words("if then else elif fi for while until do done case esac function in return exit export local set unset echo cd source") },
  c: { line: ["//"], block: [["/*", "*/"]], quotes: ['"', "'"], keywords: words(CLIKE + " include define ifdef ifndef endif unsigned signed sizeof typedef union extern goto register volatile auto") },
  cs: { line: ["//"], block: [["/*", "*/"]], quotes: ['"', "'"], keywords: words(CLIKE + " using namespace public private protected internal sealed record readonly var async await override virtual abstract interface string object get set init is as in out ref yield foreach") },
  go: { line: ["//"], block: [["/*", "*/"]], quotes: ["`", '"', "'"], keywords: words("break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var nil true false") },
  rs: { line: ["//"], block: [["/*", "*/"]], quotes: ['"'], keywords: words("as async await break const continue crate else enum extern false fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait true type unsafe use where while") },
  json: { quotes: ['"'], keywords: words("true false null") },
  yaml: { line: ["#"], quotes: ['"', "'"], keywords: words("true false null yes no on off") },
  toml: { line: ["#"], quotes: ['"""', '"', "'"], keywords: words("true false") },
  css: { block: [["/*", "*/"]], quotes: ['"', "'"], keywords: words("important") },
  html: { block: [["<!--", "-->"]], quotes: ['"', "'"], keywords: words("") },
  sql: { line: ["--"], block: [["/*", "*/"]], quotes: ["'", '"'], keywords: words("select from where insert into values update set delete create table index drop alter and or not null join left right inner outer on group by order limit as is in primary key SELECT FROM WHERE INSERT INTO VALUES UPDATE SET DELETE CREATE TABLE INDEX DROP ALTER AND OR NOT NULL JOIN ON GROUP BY ORDER LIMIT AS") },
};

const EXT: Record<string, string> = {
  js: "js", mjs: "js", cjs: "js", jsx: "js", ts: "js", tsx: "js", mts: "js",
  py: "py", pyi: "py", sh: "sh", bash: "sh", zsh: "sh", env: "sh",
  c: "c", h: "c", cc: "c", cpp: "c", hpp: "c", java: "c", kt: "c", swift: "c", cs: "cs",
  go: "go", rs: "rs", json: "json", jsonl: "json", yaml: "yaml", yml: "yaml", toml: "toml", ini: "toml", cfg: "toml",
  css: "css", scss: "css", html: "html", htm: "html", xml: "html", svg: "html", sql: "sql",
};
const NAMES: Record<string, string> = { Dockerfile: "sh", Makefile: "sh", ".bashrc": "sh", ".profile": "sh" };

/** The language of a file by its name, or undefined (shown plain). */
export function languageOf(path: string): string | undefined {
  const base = path.slice(path.lastIndexOf("/") + 1);
  if (NAMES[base]) return NAMES[base];
  const dot = base.lastIndexOf(".");
  return dot > 0 || (dot === 0 && base.length > 1) ? EXT[base.slice(dot + 1).toLowerCase()] : undefined;
}

const isWordStart = (c: string) => /[A-Za-z_$]/.test(c);
const isWord = (c: string) => /[A-Za-z0-9_$]/.test(c);

/** Splits text into tokens; joined back they are the text, unchanged. */
export function tokenize(text: string, language: string | undefined): Token[] {
  const lang = language ? LANGS[language] : undefined;
  if (!lang) return [{ cls: "", text }];
  const out: Token[] = [];
  let plain = "";
  const push = (cls: Token["cls"], t: string) => {
    if (plain) out.push({ cls: "", text: plain });
    plain = "";
    out.push({ cls, text: t });
  };
  let i = 0;
  const n = text.length;
  outer: while (i < n) {
    for (const l of lang.line ?? []) {
      if (text.startsWith(l, i)) {
        const end = text.indexOf("\n", i);
        const stop = end < 0 ? n : end;
        push("c", text.slice(i, stop));
        i = stop;
        continue outer;
      }
    }
    for (const [open, close] of lang.block ?? []) {
      if (text.startsWith(open, i)) {
        const end = text.indexOf(close, i + open.length);
        const stop = end < 0 ? n : end + close.length;
        push("c", text.slice(i, stop));
        i = stop;
        continue outer;
      }
    }
    for (const q of lang.quotes) {
      if (text.startsWith(q, i)) {
        let j = i + q.length;
        while (j < n && !text.startsWith(q, j)) {
          if (text[j] === "\\") j++;
          else if (q.length === 1 && q !== "`" && text[j] === "\n") break; // an unclosed one-line string ends at the line
          j++;
        }
        const stop = Math.min(n, text.startsWith(q, j) ? j + q.length : j);
        push("s", text.slice(i, stop));
        i = stop;
        continue outer;
      }
    }
    const c = text[i];
    if (/[0-9]/.test(c) && (i === 0 || !isWord(text[i - 1]))) {
      let j = i + 1;
      while (j < n && /[0-9A-Fa-fxXoObB_.]/.test(text[j])) j++;
      push("n", text.slice(i, j));
      i = j;
      continue;
    }
    if (isWordStart(c) && (i === 0 || !isWord(text[i - 1]))) {
      let j = i + 1;
      while (j < n && isWord(text[j])) j++;
      const w = text.slice(i, j);
      if (lang.keywords.has(w)) push("k", w);
      else plain += w;
      i = j;
      continue;
    }
    plain += c;
    i++;
  }
  if (plain) out.push({ cls: "", text: plain });
  return out;
}
