#!/bin/sh
# The entrypoint of the Hive container image (deploy/Dockerfile; docs/kubernetes.md#the-image).
# Before it runs `hive ARGS...` it
#  1. copies /etc/hive/config/daemon.json (a ConfigMap) to $HIVE_HOME/daemon.json, where the daemon reads its settings;
#  2. copies /etc/hive/token/token (a Secret) to $HIVE_HOME/token (mode 0600): the API token every controller shares;
#  3. on a host (`daemon --role host`) under cgroup v2, moves itself out of the container's root cgroup into
#     a leaf ("hive-daemon") and delegates the controllers to the root's children: runc then creates each sandbox's
#     cgroup beside it, nested in the pod's cgroup. Without the move the kernel refuses (a cgroup v2 group with
#     processes cannot hand controllers to its children).
# Copies, not mounts: a file mounted into a hostPath HIVE_HOME would leave an empty stub on the node.
# HIVE_BINARY (default /opt/hive/hive), HIVE_CONFIG_DIR and HIVE_TOKEN_FILE move those paths (for the tests).
set -eu

home=${HIVE_HOME:-/var/lib/hive}
config=${HIVE_CONFIG_DIR:-/etc/hive/config}
mkdir -p "$home"

if [ -f "$config/daemon.json" ]; then
  cp "$config/daemon.json" "$home/daemon.json.tmp"
  chmod 0644 "$home/daemon.json.tmp"
  mv -f "$home/daemon.json.tmp" "$home/daemon.json"
fi

token=${HIVE_TOKEN_FILE:-/etc/hive/token/token}
if [ -f "$token" ]; then
  (umask 077 && cp "$token" "$home/token.tmp")
  mv -f "$home/token.tmp" "$home/token"
fi

role=${HIVE_ROLE:-}
prev=
for a in "$@"; do
  case "$prev" in --role) role=$a ;; esac
  case "$a" in --role=*) role=${a#--role=} ;; esac
  prev=$a
done

cg=/sys/fs/cgroup
if [ "$role" = host ] && [ -f "$cg/cgroup.controllers" ] && [ -w "$cg/cgroup.subtree_control" ]; then
  mkdir -p "$cg/hive-daemon"
  # Every process of the container's root cgroup (this shell, and anything a debug exec left) goes to the leaf.
  while read -r pid; do
    echo "$pid" > "$cg/hive-daemon/cgroup.procs" 2>/dev/null || true
  done < "$cg/cgroup.procs"
  controllers=$(sed -e 's/^/+/' -e 's/ / +/g' "$cg/cgroup.controllers")
  if [ -n "$controllers" ] && ! echo "$controllers" > "$cg/cgroup.subtree_control"; then
    echo "hive-entrypoint: cannot delegate cgroup controllers ($controllers) in $cg; sandboxes' limits will fail" >&2
  fi
fi

exec "${HIVE_BINARY:-/opt/hive/hive}" "$@"
