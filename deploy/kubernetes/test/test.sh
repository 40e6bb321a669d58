#!/usr/bin/env bash
# The deploy suite (scripts/test.sh runs it): renders deploy/kubernetes's base, the trial PostgreSQL and every overlay
# with `kubectl kustomize`, validates every object against the official Kubernetes schema (npm kubernetes-models), looks
# for fields the Kubernetes types lack (TypeScript's excess-property check) and checks what Hive needs of them
# (validate.mjs); then the image's Dockerfile and entrypoint, and make-secrets.sh with
# the built hive. No cluster is used. Ends with "deploy: N passed, N failed, N skipped".
# KUBECTL picks another kubectl (default: kubectl on PATH, Debian's kubernetes-client).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
k8s=$(dirname "$here")
root=$(cd "$k8s/../.." && pwd)
kubectl=${KUBECTL:-kubectl}
hive=${HIVE:-$root/out/hive/hive}

passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
skip() { skipped=$((skipped + 1)); echo "SKIP - $1"; }
finish() { echo "deploy: $passed passed, $failed failed, $skipped skipped"; [ "$failed" -eq 0 ]; exit $?; }

work=$(mktemp -d /tmp/hive-deploy-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! command -v "$kubectl" >/dev/null; then
  fail "kubectl is missing: install Debian's kubernetes-client (scripts/install-deps.sh)"; finish
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  fail "node and npm are missing (scripts/install-deps.sh)"; finish
fi
echo "# $("$kubectl" version --client 2>/dev/null | head -1)"

# kubernetes-models, typescript and yaml, pinned by package-lock.json; npm's cache makes later runs offline.
if [ ! -f "$here/node_modules/.package-lock.json" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  if ! (cd "$here" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error); then
    fail "npm ci in deploy/kubernetes/test"; finish
  fi
fi

# Render from a copy, with stand-in files for the overlays' secretGenerators: rendering needs them to exist, their
# contents are not under test here (make-secrets.sh below makes real ones when hive has cluster mode).
cp -r "$k8s" "$work/kubernetes"
rm -rf "$work/kubernetes/test"
for overlay in "$work"/kubernetes/overlays/*/; do
  mkdir -p "$overlay/secrets"
  for f in ca.crt controller.crt controller.key host.crt host.key token master-key postgres-password; do
    printf 'stand-in %s' "$f" > "$overlay/secrets/$f"
  done
  printf 'postgres://hive:stand-in@hive-postgres:5432/hive' > "$overlay/secrets/database-url"
done

renders=()
for dir in base postgres $(cd "$k8s" && ls -d overlays/*/ | sed 's:/$::'); do
  out=$work/$(tr / - <<<"$dir").yaml
  # kustomize v5 warns that `bases` and `patchesStrategicMerge` are deprecated; they are what kustomize v2 (kubectl
  # 1.20, Debian 12's kubernetes-client) understands.
  if "$kubectl" kustomize "$work/kubernetes/$dir" >"$out" 2>"$out.err"; then
    ok "kubectl kustomize $dir"
    renders+=("$dir=$out")
    grep -v -i -E 'deprecated|kustomize edit fix' "$out.err" | sed 's/^/# /'
  else
    fail "kubectl kustomize $dir: $(tr '\n' ' ' <"$out.err")"
  fi
done

node "$here/validate.mjs" --docs "$root/docs/configuration.md" "${renders[@]}" | tee "$work/validate.log"
line=$(grep -E '^checks: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$work/validate.log" | tail -1)
if [ -z "$line" ]; then
  fail "validate.mjs printed no summary"
else
  read -r p f s < <(sed -E 's/^checks: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\1 \2 \3/' <<<"$line")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
fi

# The Dockerfile packages the published output: every COPY source must be there after `make build`.
dockerfile=$root/deploy/Dockerfile
problems=
while read -r _ args; do
  read -ra parts <<<"$args"
  for src in "${parts[@]:0:${#parts[@]}-1}"; do
    case "$src" in --*) continue ;; esac
    [ -e "$root/$src" ] || problems+=" $src"
  done
done < <(grep -E '^COPY ' "$dockerfile")
if [ -z "$problems" ]; then ok "deploy/Dockerfile: every COPY source exists (out/hive from make build)"
else fail "deploy/Dockerfile: missing COPY sources:$problems (run make build)"; fi
if grep -qx 'ENTRYPOINT \["/usr/local/bin/hive-entrypoint"\]' "$dockerfile" && grep -q '^COPY deploy/hive-entrypoint.sh /usr/local/bin/hive-entrypoint$' "$dockerfile"; then
  ok "deploy/Dockerfile: the entrypoint is deploy/hive-entrypoint.sh"
else
  fail "deploy/Dockerfile: ENTRYPOINT is not /usr/local/bin/hive-entrypoint copied from deploy/hive-entrypoint.sh"
fi

# The entrypoint copies daemon.json and the token into HIVE_HOME (token mode 0600) and runs hive with the arguments.
# Run as role controller: the host role's cgroup move would act on this machine's cgroups.
entry=$work/entry
mkdir -p "$entry/config" "$entry/home"
printf '{ "listen": "0.0.0.0:9000" }' >"$entry/config/daemon.json"
printf 'token-%s' "$RANDOM" >"$entry/token"
if HIVE_HOME=$entry/home HIVE_CONFIG_DIR=$entry/config HIVE_TOKEN_FILE=$entry/token HIVE_BINARY=/bin/echo \
    sh "$root/deploy/hive-entrypoint.sh" daemon --role controller >"$entry/out" 2>&1 \
  && [ "$(cat "$entry/out")" = "daemon --role controller" ] \
  && cmp -s "$entry/config/daemon.json" "$entry/home/daemon.json" \
  && cmp -s "$entry/token" "$entry/home/token" \
  && [ "$(stat -c %a "$entry/home/token")" = 600 ]; then
  ok "deploy/hive-entrypoint.sh: copies daemon.json and the token (0600) into HIVE_HOME and runs hive ARGS"
else
  fail "deploy/hive-entrypoint.sh: output '$(cat "$entry/out")', home: $(ls -l "$entry/home" | tr '\n' ' ')"
fi

# make-secrets.sh with the built hive: the CA key stays out of secrets/, the files the overlays read are all made.
if [ ! -x "$hive" ]; then
  fail "make-secrets.sh: no hive binary at $hive (run make build)"
elif ! "$hive" --help 2>/dev/null | grep -qE '^ +cluster( |$)'; then
  skip "make-secrets.sh: $hive has no 'cluster' command yet (cluster mode, issue 14)"
else
  ms=$work/make-secrets
  cp -r "$k8s/overlays/trial" "$ms"
  rm -rf "$ms/secrets" "$ms/ca"
  if HIVE=$hive "$k8s/make-secrets.sh" "$ms" --trial >"$ms.log" 2>&1; then
    missing=
    for f in ca.crt controller.crt controller.key host.crt host.key token master-key postgres-password database-url; do
      [ -s "$ms/secrets/$f" ] || missing+=" $f"
    done
    if [ -n "$missing" ]; then fail "make-secrets.sh --trial: did not make$missing"
    elif ls "$ms/secrets" | grep -q 'ca\.key'; then fail "make-secrets.sh: the CA key landed in secrets/"
    elif [ -n "$(find "$ms/secrets" -type f -perm /077)" ]; then fail "make-secrets.sh: files readable by group or others"
    else ok "make-secrets.sh --trial: certificates, token, master key and database URL made, CA key kept out"; fi
  else
    fail "make-secrets.sh --trial: $(tail -5 "$ms.log" | tr '\n' ' ')"
  fi
fi

finish
