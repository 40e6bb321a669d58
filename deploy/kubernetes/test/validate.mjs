// Checks the rendered manifests (kubectl kustomize output, one file per kustomization): every object against the
// official Kubernetes schema (kubernetes-models' validators), for unknown fields (the schema allows them; TypeScript's
// excess-property check against kubernetes-models' types does not), then what Hive needs of them (docs/kubernetes.md).
// Usage: node validate.mjs --docs docs/configuration.md NAME=RENDERED.yaml...
// Prints "ok - ..." / "FAIL - ..." per check and, last, "checks: N passed, N failed, N skipped".
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { parseAllDocuments } from "yaml";

// daemon.json keys the cluster design (issue 14) fixes, besides those docs/configuration.md documents. Keep in sync
// with DaemonSettings' parser; a key in neither list fails. `cluster.labels` holds free-form names.
export const KNOWN_KEYS = [
  "listen", "subnet", "database", "role",
  "upstream", "upstream.hosts", "upstream.allowPrivate", "upstream.caBundle",
  "events", "events.retentionDays", "events.maxSizeMb",
  "usage", "usage.intervalSeconds", "usage.samples",
  "files", "files.ioUring",
  "cluster", "cluster.listen", "cluster.controller", "cluster.advertise", "cluster.name", "cluster.labels",
  "cluster.capacity", "cluster.heartbeatSeconds", "cluster.tls", "cluster.tls.ca", "cluster.tls.cert", "cluster.tls.key",
];
const FREE_FORM = ["upstream.hosts", "cluster.labels"];

const args = process.argv.slice(2);
let docsPath = null;
const renders = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--docs") docsPath = args[++i];
  else {
    const eq = args[i].indexOf("=");
    renders.push({ name: args[i].slice(0, eq), file: args[i].slice(eq + 1) });
  }
}

let passed = 0, failed = 0, skipped = 0;
function check(name, fn) {
  try {
    const problems = [fn()].flat().filter(Boolean);
    if (problems.length === 0) { passed++; console.log(`ok - ${name}`); }
    else { failed++; console.log(`FAIL - ${name}: ${problems.join("; ")}`); }
  } catch (e) {
    failed++; console.log(`FAIL - ${name}: ${e.message}`);
  }
}

const HOST = { "app.kubernetes.io/name": "hive", "app.kubernetes.io/component": "host" };
const CONTROLLER = { "app.kubernetes.io/name": "hive", "app.kubernetes.io/component": "controller" };
const WORKLOADS = ["Deployment", "DaemonSet", "StatefulSet"];
const RBAC = ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

const matches = (selector, labels) =>
  !!selector && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const id = (o) => `${o.kind}/${o.metadata?.name}`;
const portOf = (listen) => {
  const m = /:(\d+)$/.exec(listen ?? "");
  if (!m) throw new Error(`"${listen}" is not ADDRESS:PORT`);
  return Number(m[1]);
};
const env = (c, name) => (c.env ?? []).find((e) => e.name === name);
const containerPort = (c, name) => (c.ports ?? []).find((p) => p.name === name)?.containerPort;

// Keys documented in the daemon section of docs/configuration.md (backticked dotted paths).
function documentedKeys() {
  if (!docsPath) return new Set();
  const text = readFileSync(docsPath, "utf8");
  const start = text.indexOf("## The daemon");
  const section = start >= 0 ? text.slice(start) : text;
  return new Set([...section.matchAll(/`([a-zA-Z]+(?:\.[a-zA-Z]+)*)`/g)].map((m) => m[1]));
}

function keyPaths(obj, prefix = "") {
  const out = [];
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    out.push(path);
    if (v && typeof v === "object" && !Array.isArray(v) && !FREE_FORM.includes(path)) out.push(...keyPaths(v, path));
  }
  return out;
}

async function validateSchema(o) {
  if (!o?.apiVersion || !o?.kind) return "no apiVersion or kind";
  let mod;
  try {
    mod = await import(`kubernetes-models/${o.apiVersion}/${o.kind}`);
  } catch {
    return `kubernetes-models has no ${o.apiVersion} ${o.kind}: not an official Kubernetes type`;
  }
  const Model = mod[o.kind] ?? mod.default;
  try {
    new Model(o).validate();
  } catch (e) {
    return e.message;
  }
  return null;
}

// One TypeScript program over every object, each assigned to a const of its kubernetes-models interface: a field the
// type does not have (a misspelt `readOnlyRootFileSystem`, a `volumeMount` in the wrong place) is an error there.
// Returns, per render name and object index, the problems found.
function unknownFields(all) {
  const dir = mkdtempSync(join(tmpdir(), "hive-deploy-strict-"));
  try {
    symlinkSync(join(dirname(fileURLToPath(import.meta.url)), "node_modules"), join(dir, "node_modules"));
    const files = [], owners = [];
    all.forEach(({ name, objects }, ri) => {
      const lines = [], lineOwner = [];
      objects.forEach((o, oi) => {
        if (!o?.apiVersion || !o?.kind) return;
        lines.push(`import type { I${o.kind} as T${oi} } from "kubernetes-models/${o.apiVersion}/${o.kind}";`);
        lineOwner.push(-1);
      });
      objects.forEach((o, oi) => {
        if (!o?.apiVersion || !o?.kind) return;
        for (const l of `export const o${oi}: T${oi} = ${JSON.stringify(o, null, 1)};`.split("\n")) { lines.push(l); lineOwner.push(oi); }
      });
      const file = join(dir, `r${ri}.ts`);
      writeFileSync(file, lines.join("\n") + "\n");
      files.push(file); owners.push(lineOwner);
    });
    const program = ts.createProgram(files, {
      strict: true, noEmit: true, skipLibCheck: true, types: [],
      module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
    });
    const found = all.map(({ objects }) => objects.map(() => []));
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
      const ri = d.file ? files.indexOf(d.file.fileName) : -1;
      if (ri < 0) { found[0][0]?.push(`TypeScript: ${text}`); continue; }
      const line = d.file.getLineAndCharacterOfPosition(d.start ?? 0).line;
      const oi = owners[ri][line];
      (oi >= 0 ? found[ri][oi] : found[ri][0]).push(text);
    }
    return found;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const docs = documentedKeys();
const undocumented = new Set();

const all = renders.map((r) => ({ ...r, objects: parseAllDocuments(readFileSync(r.file, "utf8")).map((d) => d.toJS()).filter(Boolean) }));
const strict = unknownFields(all);

for (const [ri, r] of all.entries()) {
  const objects = r.objects;
  const complete = r.name.startsWith("overlays/");
  check(`${r.name}: renders objects`, () => (objects.length ? null : "nothing rendered"));

  for (const [oi, o] of objects.entries()) {
    const problem = await validateSchema(o);
    check(`${r.name}: ${id(o)} matches the Kubernetes schema`, () => problem);
    check(`${r.name}: ${id(o)} has no field the Kubernetes types lack`, () => strict[ri][oi]);
  }

  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const workloads = objects.filter((o) => WORKLOADS.includes(o.kind));
  const pod = (w) => w.spec.template.spec;

  check(`${r.name}: no RBAC objects (Hive never calls the Kubernetes API)`, () =>
    objects.filter((o) => RBAC.includes(o.kind)).map((o) => `${id(o)} is there`));

  for (const w of workloads) {
    const spec = pod(w);
    check(`${r.name}: ${id(w)} mounts no service account token`, () =>
      spec.automountServiceAccountToken === false ? null : "automountServiceAccountToken is not false");
    const all = [...(spec.initContainers ?? []), ...spec.containers];
    check(`${r.name}: ${id(w)} sets resources for every container`, () => all.flatMap((c) => {
      const p = [];
      if (!c.resources?.requests?.cpu) p.push(`${c.name}: no requests.cpu`);
      if (!c.resources?.requests?.memory) p.push(`${c.name}: no requests.memory`);
      if (!c.resources?.limits?.memory) p.push(`${c.name}: no limits.memory`);
      return p;
    }));
    check(`${r.name}: ${id(w)} has liveness and readiness probes`, () => spec.containers.flatMap((c) =>
      [c.livenessProbe ? null : `${c.name}: no livenessProbe`, c.readinessProbe ? null : `${c.name}: no readinessProbe`]));
    check(`${r.name}: ${id(w)} is selected by NetworkPolicies for ingress and egress`, () => {
      const labels = w.spec.template.metadata?.labels;
      const types = byKind("NetworkPolicy").filter((np) => matches(np.spec.podSelector?.matchLabels, labels))
        .flatMap((np) => np.spec.policyTypes ?? []);
      return ["Ingress", "Egress"].filter((t) => !types.includes(t)).map((t) => `no ${t} policy selects it`);
    });
  }

  // daemon.json ConfigMaps: parse, known or documented keys only.
  const configs = byKind("ConfigMap").filter((cm) => cm.data?.["daemon.json"] !== undefined);
  const parsed = new Map();
  for (const cm of configs) {
    check(`${r.name}: ${id(cm)} daemon.json parses and uses only known settings`, () => {
      const json = JSON.parse(cm.data["daemon.json"]);
      parsed.set(cm.metadata.name, json);
      return keyPaths(json).flatMap((k) => {
        if (!docs.has(k)) undocumented.add(k);
        return KNOWN_KEYS.includes(k) || docs.has(k) ? [] : [`${k}: not a known daemon.json setting`];
      });
    });
  }
  const configOf = (w) => {
    const v = pod(w).volumes?.find((v) => v.name === "config");
    return v ? parsed.get(v.configMap?.name) : undefined;
  };

  // Every file daemon.json names under cluster.tls is mounted from a Secret (and, in a full deployment, the
  // Secret has that key).
  for (const w of workloads) {
    const json = configOf(w);
    if (!json?.cluster?.tls) continue;
    check(`${r.name}: ${id(w)} mounts the cluster.tls files daemon.json names`, () => {
      const c = pod(w).containers[0];
      return Object.entries(json.cluster.tls).flatMap(([k, path]) => {
        const dir = path.slice(0, path.lastIndexOf("/")), file = path.slice(path.lastIndexOf("/") + 1);
        const mount = (c.volumeMounts ?? []).find((m) => m.mountPath === dir);
        if (!mount) return [`cluster.tls.${k} (${path}): nothing mounted at ${dir}`];
        const vol = pod(w).volumes.find((v) => v.name === mount.name);
        if (!vol?.secret) return [`cluster.tls.${k}: ${dir} is not a Secret volume`];
        if (!complete) return [];
        const secret = byKind("Secret").find((s) => s.metadata.name === vol.secret.secretName);
        if (!secret) return [`cluster.tls.${k}: no Secret ${vol.secret.secretName}`];
        return secret.data?.[file] === undefined ? [`cluster.tls.${k}: Secret ${secret.metadata.name} has no ${file}`] : [];
      });
    });
  }

  const hosts = byKind("DaemonSet").filter((d) => matches(HOST, d.spec.template.metadata?.labels));
  const controllers = byKind("Deployment").filter((d) => matches(CONTROLLER, d.spec.template.metadata?.labels));
  const services = byKind("Service").filter((s) => matches(CONTROLLER, s.spec.selector));
  if (r.name === "base" || complete) {
    check(`${r.name}: one host DaemonSet, one controller Deployment and its Service`, () => [
      hosts.length === 1 ? null : `${hosts.length} host DaemonSets`,
      controllers.length === 1 ? null : `${controllers.length} controller Deployments`,
      services.length === 1 ? null : `${services.length} controller Services`,
    ]);
  }

  for (const ds of hosts) {
    const spec = pod(ds);
    const c = spec.containers.find((c) => c.name === "host") ?? spec.containers[0];
    const hostPathVolume = (path) => (spec.volumes ?? []).find((v) => v.hostPath?.path === path);
    const mountedAt = (container, vol, at) => (container.volumeMounts ?? []).find((m) => m.name === vol?.name && m.mountPath === at);
    check(`${r.name}: ${id(ds)} mounts /dev/fuse from the node`, () => {
      const v = hostPathVolume("/dev/fuse");
      if (!v) return "no hostPath /dev/fuse volume";
      return [v.hostPath.type === "CharDevice" ? null : `hostPath type ${v.hostPath.type}, not CharDevice`,
        mountedAt(c, v, "/dev/fuse") ? null : "not mounted at /dev/fuse in the host container"];
    });
    check(`${r.name}: ${id(ds)} keeps HIVE_HOME on the node (hostPath)`, () => {
      const home = env(c, "HIVE_HOME")?.value;
      if (!home) return "no HIVE_HOME";
      const m = (c.volumeMounts ?? []).find((m) => m.mountPath === home);
      const v = m && spec.volumes.find((v) => v.name === m.name);
      return v?.hostPath ? null : `${home} is not a hostPath mount`;
    });
    check(`${r.name}: ${id(ds)} loads kernel modules from the node's /lib/modules, read-only`, () => {
      const v = hostPathVolume("/lib/modules");
      if (!v) return "no hostPath /lib/modules volume";
      const users = [...(spec.initContainers ?? []), ...spec.containers].filter((x) => mountedAt(x, v, "/lib/modules"));
      if (users.length === 0) return "no container mounts it at /lib/modules";
      return users.flatMap((x) => {
        const m = mountedAt(x, v, "/lib/modules");
        return [m.readOnly ? null : `${x.name} mounts it writable`,
          /\bmodprobe\b/.test(JSON.stringify([x.command, x.args])) ? null : `${x.name} does not run modprobe`];
      });
    });
    check(`${r.name}: ${id(ds)} runs role host, privileged, in the pod's network namespace`, () => [
      c.securityContext?.privileged === true ? null : "host container not privileged",
      spec.hostNetwork ? "hostNetwork is true (sandboxes' veths would land in the node's namespace)" : null,
      spec.hostPID ? "hostPID is true" : null,
      JSON.stringify(c.args ?? []).includes('"--role","host"') ? null : "args lack --role host",
    ]);
    check(`${r.name}: ${id(ds)} advertises its pod IP and names itself after its node`, () => {
      const names = (c.env ?? []).map((e) => e.name);
      const json = configOf(ds);
      const port = json?.cluster?.listen ? portOf(json.cluster.listen) : 7443;
      return [
        env(c, "POD_IP")?.valueFrom?.fieldRef?.fieldPath === "status.podIP" ? null : "POD_IP is not status.podIP",
        env(c, "NODE_NAME")?.valueFrom?.fieldRef?.fieldPath === "spec.nodeName" ? null : "NODE_NAME is not spec.nodeName",
        env(c, "HIVE_CLUSTER_ADVERTISE")?.value === `https://$(POD_IP):${port}` ? null
          : `HIVE_CLUSTER_ADVERTISE is ${env(c, "HIVE_CLUSTER_ADVERTISE")?.value}, not https://$(POD_IP):${port}`,
        env(c, "HIVE_CLUSTER_NAME")?.value === "$(NODE_NAME)" ? null : "HIVE_CLUSTER_NAME is not $(NODE_NAME)",
        // $(VAR) expands only variables defined earlier in the list.
        names.indexOf("POD_IP") < names.indexOf("HIVE_CLUSTER_ADVERTISE") ? null : "POD_IP must come before HIVE_CLUSTER_ADVERTISE",
        names.indexOf("NODE_NAME") < names.indexOf("HIVE_CLUSTER_NAME") ? null : "NODE_NAME must come before HIVE_CLUSTER_NAME",
      ];
    });
    check(`${r.name}: ${id(ds)} serves and probes cluster.listen's port`, () => {
      const json = configOf(ds);
      if (!json) return "no daemon.json ConfigMap mounted as volume \"config\"";
      const port = portOf(json.cluster?.listen ?? "0.0.0.0:7443");
      return [
        containerPort(c, "cluster") === port ? null : `containerPort cluster is ${containerPort(c, "cluster")}, cluster.listen says ${port}`,
        ...["livenessProbe", "readinessProbe"].map((p) => {
          const target = c[p]?.tcpSocket?.port ?? c[p]?.httpGet?.port;
          return target === "cluster" || target === port ? null : `${p} does not target the cluster port`;
        }),
      ];
    });
  }

  for (const d of controllers) {
    const spec = pod(d);
    const c = spec.containers.find((c) => c.name === "controller") ?? spec.containers[0];
    check(`${r.name}: ${id(d)} runs role controller without privileges, as non-root`, () => [
      spec.securityContext?.runAsNonRoot === true ? null : "runAsNonRoot is not true",
      (spec.securityContext?.runAsUser ?? 0) !== 0 ? null : "runAsUser is root",
      c.securityContext?.privileged ? "privileged" : null,
      c.securityContext?.allowPrivilegeEscalation === false ? null : "allowPrivilegeEscalation is not false",
      c.securityContext?.readOnlyRootFilesystem === true ? null : "root file system writable",
      (c.securityContext?.capabilities?.drop ?? []).includes("ALL") ? null : "capabilities not dropped",
      spec.hostNetwork || spec.hostPID ? "uses the node's namespaces" : null,
      (spec.volumes ?? []).some((v) => v.hostPath) ? "mounts a hostPath" : null,
      JSON.stringify(c.args ?? []).includes('"--role","controller"') ? null : "args lack --role controller",
    ]);
    check(`${r.name}: ${id(d)} probes /v1/health on the API port daemon.json listens on`, () => {
      const json = configOf(d);
      if (!json) return "no daemon.json ConfigMap mounted as volume \"config\"";
      const api = portOf(json.listen ?? "127.0.0.1:9000");
      const cluster = portOf(json.cluster?.listen ?? "0.0.0.0:7443");
      return [
        /^(0\.0\.0\.0|\[::\]):/.test(json.listen ?? "") ? null : `listen ${json.listen} is not reachable from other pods`,
        containerPort(c, "api") === api ? null : `containerPort api is ${containerPort(c, "api")}, listen says ${api}`,
        containerPort(c, "cluster") === cluster ? null : `containerPort cluster is ${containerPort(c, "cluster")}, cluster.listen says ${cluster}`,
        ...["livenessProbe", "readinessProbe"].map((p) => c[p]?.httpGet?.path === "/v1/health" && c[p]?.httpGet?.port === "api"
          ? null : `${p} is not GET /v1/health on port api`),
      ];
    });
    for (const s of services) {
      check(`${r.name}: ${id(s)} exposes the API and cluster ports`, () => {
        const json = configOf(d) ?? {};
        const api = portOf(json.listen ?? "127.0.0.1:9000"), cluster = portOf(json.cluster?.listen ?? "0.0.0.0:7443");
        const sp = (name) => s.spec.ports.find((p) => p.name === name);
        return [
          matches(s.spec.selector, d.spec.template.metadata.labels) ? null : "selector misses the controller pods",
          sp("api")?.port === api && sp("api")?.targetPort === "api" ? null : `port api is not ${api} -> api`,
          sp("cluster")?.port === cluster && sp("cluster")?.targetPort === "cluster" ? null : `port cluster is not ${cluster} -> cluster`,
          cluster === 7443 ? null : `cluster port ${cluster}, not 7443`,
        ];
      });
      for (const ds of hosts) {
        check(`${r.name}: ${id(ds)}'s cluster.controller is the controller Service's cluster port`, () => {
          const url = new URL(configOf(ds)?.cluster?.controller ?? "");
          const port = s.spec.ports.find((p) => p.name === "cluster")?.port;
          return [url.protocol === "https:" ? null : `${url} is not https`,
            url.hostname === s.metadata.name ? null : `${url.hostname} is not the Service ${s.metadata.name}`,
            Number(url.port || 443) === port ? null : `port ${url.port} is not the Service's ${port}`];
        });
      }
    }
  }

  // NetworkPolicies: only controllers open the hosts' cluster port; only hosts the controller's; hosts' upstream
  // traffic never reaches private, link-local or CGNAT ranges.
  const policies = byKind("NetworkPolicy");
  const peersOnly = (rule, labels) => (rule.from ?? []).length > 0 && rule.from.every((p) =>
    !p.ipBlock && !p.namespaceSelector && p.podSelector && matches(labels, p.podSelector.matchLabels) && matches(p.podSelector.matchLabels, labels));
  for (const np of policies.filter((p) => matches(HOST, p.spec.podSelector?.matchLabels))) {
    check(`${r.name}: ${id(np)} lets only controllers reach the hosts`, () => (np.spec.ingress ?? []).flatMap((rule, i) => [
      peersOnly(rule, CONTROLLER) ? null : `ingress[${i}] admits more than controller pods`,
      (rule.ports ?? []).length > 0 && rule.ports.every((p) => p.port === 7443) ? null : `ingress[${i}] opens more than port 7443`,
    ]));
    check(`${r.name}: ${id(np)} keeps hosts' upstream traffic off private and metadata addresses`, () =>
      (np.spec.egress ?? []).flatMap((rule, i) => (rule.to ?? []).filter((p) => p.ipBlock?.cidr === "0.0.0.0/0").flatMap((p) =>
        ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"]
          .filter((x) => !(p.ipBlock.except ?? []).includes(x)).map((x) => `egress[${i}] allows ${x}`))));
  }
  for (const np of policies.filter((p) => matches(CONTROLLER, p.spec.podSelector?.matchLabels))) {
    check(`${r.name}: ${id(np)} lets only hosts reach the cluster port and only clients the API`, () =>
      (np.spec.ingress ?? []).flatMap((rule, i) => {
        const ports = (rule.ports ?? []).map((p) => p.port);
        if (ports.length === 0) return [`ingress[${i}] opens every port`];
        if (ports.includes(7443)) return [peersOnly(rule, HOST) ? null : `ingress[${i}] admits more than hosts to 7443`];
        return [(rule.from ?? []).length > 0 && rule.from.every((p) => !p.ipBlock) ? null : `ingress[${i}] admits any address`];
      }));
  }

  if (complete) {
    check(`${r.name}: every Secret and ConfigMap the pods use is part of the deployment`, () => workloads.flatMap((w) => {
      const spec = pod(w);
      const want = [];
      for (const v of spec.volumes ?? []) {
        if (v.secret) want.push(["Secret", v.secret.secretName]);
        if (v.configMap) want.push(["ConfigMap", v.configMap.name]);
      }
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        for (const e of c.env ?? []) {
          if (e.valueFrom?.secretKeyRef) want.push(["Secret", e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key]);
          if (e.valueFrom?.configMapKeyRef) want.push(["ConfigMap", e.valueFrom.configMapKeyRef.name, e.valueFrom.configMapKeyRef.key]);
        }
      }
      return want.map(([kind, name, key]) => {
        const o = byKind(kind).find((x) => x.metadata.name === name);
        if (!o) return `${id(w)} uses ${kind} ${name}, which is not rendered`;
        if (key && o.data?.[key] === undefined) return `${id(w)} uses key ${key} of ${kind} ${name}, which it lacks`;
        return null;
      });
    }));
    check(`${r.name}: no Secret holds the cluster CA's key`, () =>
      byKind("Secret").filter((s) => Object.keys(s.data ?? {}).some((k) => /ca\.key$/.test(k))).map((s) => `${id(s)} has a CA key`));
    check(`${r.name}: the namespace admits the privileged host pods`, () => {
      const ns = byKind("Namespace");
      if (ns.length !== 1) return `${ns.length} Namespace objects`;
      const labels = ns[0].metadata.labels ?? {};
      return labels["pod-security.kubernetes.io/enforce"] === "privileged" ? null : "pod-security.kubernetes.io/enforce is not privileged";
    });
  }
}

if (undocumented.size > 0)
  console.log(`note - daemon.json settings in use that docs/configuration.md does not name yet: ${[...undocumented].sort().join(", ")}`);
console.log(`checks: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
