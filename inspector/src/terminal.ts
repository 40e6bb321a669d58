// The Terminal tab: interactive shells in the sandbox over the daemon's terminal WebSocket (docs/api.md), drawn by
// xterm.js. Several per sandbox, as tabs; they keep running while other tabs are shown and end when closed here.
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import { csrfToken, sandboxPath } from "./api";
import { h } from "./dom";

interface Session {
  id: number;
  term: Terminal;
  fit: FitAddon;
  el: HTMLElement;
  ws: WebSocket;
  status: string;
}

const sessions = new Map<string, Session[]>();
let nextId = 1;
const encoder = new TextEncoder();

/** The terminal route's URL: same origin (the daemon checks it), with the session's CSRF token. */
function terminalUrl(name: string): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${sandboxPath(name)}/terminal?csrf=${encodeURIComponent(csrfToken() ?? "")}`;
}

function open(name: string, onChange: () => void): Session {
  const term = new Terminal({
    cursorBlink: true,
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
    fontSize: 13,
    scrollback: 5000,
    theme: { background: "#0f1115", foreground: "#e6e8eb", cursor: "#e0a526", selectionBackground: "#1f3354" },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  const el = h("div", { class: "term-view" });
  const ws = new WebSocket(terminalUrl(name));
  ws.binaryType = "arraybuffer";
  const s: Session = { id: nextId++, term, fit, el, ws, status: "connecting" };
  ws.onopen = () => {
    s.status = "running";
    ws.send(JSON.stringify({ rows: term.rows, cols: term.cols }));
    onChange();
  };
  ws.onmessage = (m) => {
    if (m.data instanceof ArrayBuffer) {
      term.write(new Uint8Array(m.data));
      return;
    }
    const msg = JSON.parse(m.data as string);
    if (msg.type === "exit") {
      s.status = `exited ${msg.exitCode}`;
      term.write(`\r\n\x1b[2m[exited with status ${msg.exitCode}]\x1b[0m\r\n`);
    } else if (msg.type === "error") {
      s.status = "error";
      term.write(`\r\n\x1b[31m${msg.title}: ${msg.detail}\x1b[0m\r\n`);
    }
    onChange();
  };
  ws.onclose = () => {
    if (s.status === "running" || s.status === "connecting") {
      s.status = "closed";
      term.write("\r\n\x1b[2m[connection closed]\x1b[0m\r\n");
      onChange();
    }
  };
  term.onData((d) => ws.readyState === WebSocket.OPEN && ws.send(encoder.encode(d)));
  term.onResize(({ rows, cols }) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: "resize", rows, cols })));
  // Ctrl-C goes to the sandbox (SIGINT); copy and paste are Ctrl-Shift-C / Ctrl-Shift-V, as in desktop terminals.
  term.attachCustomKeyEventHandler((ev) => {
    if (ev.type !== "keydown" || !ev.ctrlKey || !ev.shiftKey) return true;
    if (ev.code === "KeyC") {
      if (term.hasSelection()) void navigator.clipboard?.writeText(term.getSelection());
      return false;
    }
    // The browser's own paste event follows (xterm reads it, bracketed paste included): only keep ^V from the shell.
    if (ev.code === "KeyV") return false;
    return true;
  });
  return s;
}

export function terminalTab(root: HTMLElement, name: string): () => void {
  const list = sessions.get(name) ?? [];
  sessions.set(name, list);
  let active: Session | undefined = list[list.length - 1];
  const strip = h("nav", { class: "term-tabs", id: "term-tabs" });
  const stage = h("div", { class: "term-stage", id: "term-stage" });
  const add = h("button", { id: "term-new", title: "Open another terminal" }, "+ New terminal");
  root.replaceChildren(h("div", { class: "term-tab" }, h("div", { class: "term-bar" }, strip, add), stage));

  const render = () => {
    strip.replaceChildren(...list.map((s, i) => {
      const close = h("button", { class: "ghost term-close", title: "Close (kills its processes)" }, "×");
      close.addEventListener("click", (ev) => {
        ev.stopPropagation();
        s.ws.close();
        s.term.dispose();
        list.splice(list.indexOf(s), 1);
        if (active === s) active = list[Math.max(0, i - 1)];
        show();
      });
      const tab = h("a", { class: `term-label${s === active ? " active" : ""}`, "data-status": s.status },
        `Terminal ${s.id}`, h("span", { class: "muted term-status" }, ` ${s.status}`), close);
      tab.addEventListener("click", () => { active = s; show(); });
      return tab;
    }));
  };
  const show = () => {
    stage.replaceChildren(...(active ? [active.el] : []));
    if (active) {
      if (!active.term.element) active.term.open(active.el);
      active.fit.fit();
      active.term.focus();
    }
    render();
  };
  const create = () => {
    const s = open(name, render);
    list.push(s);
    active = s;
    show();
  };
  add.addEventListener("click", create);
  const resized = new ResizeObserver(() => active?.term.element && active.fit.fit());
  resized.observe(stage);
  if (list.length === 0) create();
  else show();
  return () => resized.disconnect();
}

// Leaving the page ends every terminal (the daemon kills their processes when the socket closes).
addEventListener("pagehide", () => sessions.forEach((l) => l.forEach((s) => s.ws.close())));
