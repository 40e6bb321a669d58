import { api, onConn, session } from "./api";
import { approvalsBadge, approvalsPage } from "./approvals";
import { h } from "./dom";
import { sandboxesPage } from "./sandboxes";
import { sandboxPage } from "./sandbox";
import { secretsPage } from "./secrets";

// Routes (in the hash, so the daemon serves one page): #/ the sandboxes; #/s/NAME/TAB one sandbox; #/secrets the secrets.
const app = document.getElementById("app")!;
const crumbs = document.getElementById("crumbs")!;
let close: (() => void) | undefined;

function route(): void {
  close?.();
  close = undefined;
  const m = /^#\/s\/([^/]+)(?:\/(\w+))?/.exec(location.hash);
  if (location.hash === "#/approvals") {
    crumbs.replaceChildren(h("a", { href: "#/" }, "Sandboxes"), " / ", "Approvals");
    document.title = "Approvals · Hive Inspector";
    close = approvalsPage(app);
  } else if (m) {
    const name = decodeURIComponent(m[1]);
    crumbs.replaceChildren(h("a", { href: "#/" }, "Sandboxes"), " / ", h("span", { id: "crumb-sandbox" }, name));
    document.title = `${name} · Hive Inspector`;
    close = sandboxPage(app, name, m[2] ?? "timeline");
  } else if (location.hash.startsWith("#/secrets")) {
    crumbs.replaceChildren();
    document.title = "Secrets · Hive Inspector";
    close = secretsPage(app);
  } else {
    crumbs.replaceChildren();
    document.title = "Sandboxes · Hive Inspector";
    close = sandboxesPage(app);
  }
}

// Theme: the system's (prefers-color-scheme) until toggled; the choice is remembered.
const root = document.documentElement;
const saved = localStorage.getItem("hive.theme");
if (saved === "dark" || saved === "light") root.dataset.theme = saved;
function toggleTheme(): void {
  const dark = root.dataset.theme ? root.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  root.dataset.theme = dark ? "light" : "dark";
  localStorage.setItem("hive.theme", root.dataset.theme);
}
document.getElementById("theme")!.addEventListener("click", toggleTheme);
document.addEventListener("keydown", (ev) => {
  if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.key === "t") toggleTheme();
});
document.getElementById("logout")!.addEventListener("click", async () => {
  await api("DELETE", "/v1/session").catch(() => undefined);
  location.href = "/login";
});
const conn = document.getElementById("conn")!;
onConn((s) => {
  conn.className = `conn ${s}`;
  conn.title = s === "live" ? "live: events arrive as they happen" : "reconnecting to the event stream…";
});

await session();
approvalsBadge(document.querySelector("header.top")!, conn);
window.addEventListener("hashchange", route);
route();
