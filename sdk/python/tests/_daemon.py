"""A real ``hive daemon`` on a throwaway HIVE_HOME, a free loopback port and a random /24, like
sdk/typescript/test/helpers/daemon.ts and tests/Hive.EndToEnd/Infrastructure/DaemonProcess.cs, with the same
HostCleanup safety net."""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, TypeVar

import httpx

import hive
import hive.aio


def _find_repo_root() -> Path:
    d = Path(__file__).resolve().parent
    while not (d / "Hive.sln").exists():
        if d.parent == d:
            raise RuntimeError(f"cannot find the repository root (Hive.sln) above {__file__}")
        d = d.parent
    return d


REPO_ROOT = _find_repo_root()
PACKAGE_ROOT = REPO_ROOT / "sdk" / "python"
HIVE_CLI = REPO_ROOT / "out" / "hive" / "hive"
SHARED_IMAGE_HOME = Path("/var/cache/hive-test")
"""Where hive/base is built once per machine and shared, read-only, by test daemons (as DaemonProcess.cs)."""
HOME_PREFIX = "hive-py-"


def prerequisite_problems() -> list[str]:
    """Everything the live tests need and do not have, each as a sentence saying how to get it."""
    problems = []
    if os.geteuid() != 0:
        problems.append("the live tests must run as root (the daemon starts runc containers, network namespaces and nftables rules)")
    if not os.access(HIVE_CLI, os.X_OK):
        problems.append(f"the hive CLI is not built at {HIVE_CLI}: run `make build` in {REPO_ROOT}")
    path = os.environ.get("PATH", "/usr/bin:/bin").split(":") + ["/usr/sbin", "/sbin"]
    for tool in ("runc", "nft", "ip"):
        if not any(os.path.exists(os.path.join(d, tool)) for d in path):
            problems.append(f"{tool} is not installed (make deps installs it)")
    if not os.path.exists("/bin/busybox"):
        problems.append("/bin/busybox is missing (apt-get install busybox-static)")
    return problems


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _random_subnet() -> str:
    return f"10.{random.randint(100, 249)}.{random.randint(0, 254)}.0/24"


def image_dir_name(name: str) -> str:
    """The directory an image name lives in below ``<home>/images`` (``:latest`` dropped, ``/`` as ``_``)."""
    return name.removesuffix(":latest").replace("/", "_")


class TestDaemon:
    __test__ = False  # not a test class for pytest

    def __init__(self, home: Path, port: int, subnet: str, upstream: Mapping[str, Any] | None) -> None:
        self.home = home
        self.port = port
        self.subnet = subnet
        self.upstream = dict(upstream or {})
        self._child: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        return (self.home / "token").read_text().strip()

    @property
    def log(self) -> Path:
        return self.home / "daemon.log"

    def client(self) -> hive.Hive:
        return hive.Hive(self.url, self.token)

    def aclient(self) -> hive.aio.AsyncHive:
        return hive.aio.AsyncHive(self.url, self.token)

    @classmethod
    def start(cls, images: Iterable[str] = (), upstream: Mapping[str, Any] | None = None, base_image: bool = False) -> TestDaemon:
        """``images``: names to provide as copies of hive/minimal. ``upstream``: the daemon.json "upstream" object,
        pointing test names at loopback servers. ``base_image``: link the real hive/base (built once per machine)."""
        problems = prerequisite_problems()
        if problems:
            raise RuntimeError("host prerequisites missing: " + "; ".join(problems))
        home = Path(tempfile.mkdtemp(prefix=HOME_PREFIX)).resolve()
        daemon = cls(home, free_port(), _random_subnet(), upstream)
        try:
            daemon._write_settings()
            daemon._run([str(HIVE_CLI), "image", "build", "hive/minimal"])
            for name in images:
                daemon.copy_image("hive/minimal", name)
            if base_image:
                daemon._link_base_image()
            # The free port was only free when we looked: if something took it meanwhile, take another.
            for attempt in range(4):
                try:
                    daemon._launch()
                    return daemon
                except RuntimeError as e:
                    if attempt == 3 or "Address already in use" not in str(e):
                        raise
                    daemon.port = free_port()
                    daemon._write_settings()
        except BaseException:
            daemon.stop()
            raise
        raise AssertionError("unreachable")

    def copy_image(self, source: str, name: str) -> None:
        """Provides ``name`` as a copy of an existing image (cheap: hive/minimal is 2 MB)."""
        images = self.home / "images"
        target = images / image_dir_name(name)
        subprocess.run(["cp", "-a", str(images / image_dir_name(source)), str(target)], check=True)
        manifest = json.loads((target / "image.json").read_text())
        manifest["name"] = name.removesuffix(":latest")
        (target / "image.json").write_text(json.dumps(manifest, indent=2))

    def _link_base_image(self) -> None:
        env = {**self._env(), "HIVE_HOME": str(SHARED_IMAGE_HOME)}
        r = subprocess.run([str(HIVE_CLI), "image", "build", "hive/base"], env=env, capture_output=True, text=True, timeout=15 * 60)
        if r.returncode != 0:
            raise RuntimeError(f"hive image build hive/base (into {SHARED_IMAGE_HOME}) failed: {r.stderr}")
        link = self.home / "images" / image_dir_name("hive/base")
        shutil.rmtree(link, ignore_errors=True)
        link.symlink_to(SHARED_IMAGE_HOME / "images" / image_dir_name("hive/base"))

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("HIVE_LISTEN", "HIVE_URL", "HIVE_TOKEN")}
        env["HIVE_HOME"] = str(self.home)
        return env

    def _run(self, args: list[str]) -> None:
        r = subprocess.run(args, env=self._env(), capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr or r.stdout}")

    def _write_settings(self) -> None:
        settings: dict[str, Any] = {"listen": f"127.0.0.1:{self.port}", "subnet": self.subnet}
        if self.upstream:
            settings["upstream"] = self.upstream
        (self.home / "daemon.json").write_text(json.dumps(settings))

    def _launch(self) -> None:
        # With setpriv, the daemon gets SIGTERM (and cleans up) if this test process dies without stopping it.
        args = [str(HIVE_CLI), "daemon"]
        if os.path.exists("/usr/bin/setpriv"):
            args = ["/usr/bin/setpriv", "--pdeathsig", "TERM", *args]
        with open(self.log, "ab") as log:
            self._child = subprocess.Popen(args, env=self._env(), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._child.poll() is not None:
                raise RuntimeError(f"hive daemon exited with {self._child.returncode}:\n{self.log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=2, trust_env=False).is_success:
                    return
            except httpx.HTTPError:
                pass  # not listening yet
            time.sleep(0.1)
        raise RuntimeError(f"hive daemon did not become healthy in 30 s:\n{self.log.read_text(errors='replace')}")

    def kill9(self) -> None:
        """SIGKILL: exactly what a crash looks like (sandboxes, netns and nft table stay behind)."""
        child, self._child = self._child, None
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGKILL)
            child.wait()

    def restart(self) -> None:
        """Starts the daemon again on the same home and port."""
        self._write_settings()
        self._launch()

    def stop(self) -> None:
        """SIGTERM (the daemon stops its sandboxes and removes its nft table), then the safety net, then the home."""
        child, self._child = self._child, None
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        remove_leftovers(self.home)


def _quiet(*args: str) -> str:
    try:
        return subprocess.run(list(args), capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def remove_leftovers(home: Path) -> None:
    """The safety net: whatever a failed test or a killed daemon left on the host under this home's tag
    (containers, namespaces, veths, the nft table, cgroups, mounts) is removed, then the home itself."""
    home = Path(os.path.abspath(home))
    tag = hashlib.sha256(str(home).encode()).hexdigest()[:6]
    runc_root = home / "run" / "runc"
    if runc_root.is_dir():
        for entry in runc_root.iterdir():
            if entry.is_dir():
                _quiet("runc", "--root", str(runc_root), "kill", "--all", entry.name, "KILL")
                _quiet("runc", "--root", str(runc_root), "delete", "--force", entry.name)
    for line in _quiet("ip", "netns", "list").splitlines():
        name = line.split(" ")[0]
        if name.startswith(f"hive-{tag}-"):
            _quiet("ip", "netns", "del", name)
    for line in _quiet("ip", "-o", "link", "show").splitlines():
        parts = line.split(":", 2)
        name = parts[1].strip().split("@")[0] if len(parts) > 1 else ""
        if name.startswith(f"hv{tag}"):
            _quiet("ip", "link", "del", name)
    _quiet("nft", "delete", "table", "inet", f"hive_{tag}")
    # The daemon leaves its parent cgroup (/hive-<tag>) in every hierarchy; rmdir only removes empty ones.
    for hierarchy in _subdirs(Path("/sys/fs/cgroup")):
        parent = hierarchy / f"hive-{tag}"
        if parent.is_dir():
            for child in _subdirs(parent):
                _try_rmdir(child)
            _try_rmdir(parent)
    with open("/proc/self/mounts") as f:
        mounts = [line.split(" ")[1].replace("\\040", " ") for line in f if len(line.split(" ")) > 1]
    for m in sorted((m for m in mounts if m.startswith(f"{home}/")), key=len, reverse=True):
        _quiet("umount", "-l", m)
    if str(home).startswith(os.path.join(tempfile.gettempdir(), HOME_PREFIX)):
        _quiet("rm", "-rf", "--one-file-system", str(home))


def _subdirs(d: Path) -> list[Path]:
    try:
        return [c for c in d.iterdir() if c.is_dir() and not c.is_symlink()]
    except OSError:
        return []


def _try_rmdir(d: Path) -> None:
    try:
        d.rmdir()
    except OSError:
        pass  # busy (processes still in it) or already gone


T = TypeVar("T")


def eventually(check: Callable[[], T], what: str, timeout: float = 10.0) -> T:
    """Polls ``check`` until it returns a truthy value or the time is up."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last = e
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}" + (f": {last}" if last else ""))
