"""Browser tests: a real ``spillover serve`` (uvicorn) on a free port, driven by headless Chromium.

Playwright's own browser download does not work here, so the tests use Debian's
``chromium`` (``apt-get install chromium``) through ``executable_path``; without it they
skip, saying so. Screenshots go to ``test-artifacts/`` at the top of the repository.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
MINI = ROOT / "tests" / "scenarios" / "mini.yaml"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
START_TIMEOUT = 90.0


def chromium_path() -> str | None:
    """Debian's Chromium, if installed."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running ``spillover serve`` and its folders."""

    url: str
    runs_dir: Path
    scenarios_dir: Path
    proc: subprocess.Popen[bytes]
    log: Path


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"spillover serve exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "api/scenarios", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"spillover serve did not answer within {START_TIMEOUT:.0f} s")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """``spillover serve`` on 127.0.0.1 and a free port, with fresh runs and scenarios folders."""
    if chromium_path() is None:
        pytest.skip("Chromium not found: install Debian's chromium package (apt-get install chromium)")
    root = Path(tempfile.mkdtemp(prefix="spillover-e2e-"))
    (root / "scenarios").mkdir()
    shutil.copy(MINI, root / "scenarios" / "mini.yaml")
    port = free_port()
    log = root / "server.log"
    cmd = [sys.executable, "-c", "from spillover.cli.main import main; main()", "serve",
           "--port", str(port), "--runs-dir", str(root / "runs"), "--scenarios-dir", str(root / "scenarios"),
           "--workers", "2"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=root, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, proc, log)
        yield Server(url, root / "runs", root / "scenarios", proc, log)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Console:
    """Errors the page reported: console errors and uncaught exceptions."""

    errors: list[str] = field(default_factory=list)


@pytest.fixture
def browser_page(server: Server) -> Iterator[tuple[object, Console]]:
    """A fresh headless Chromium page (own profile) that records console errors."""
    sync_api = pytest.importorskip("playwright.sync_api")
    console = Console()
    profile = tempfile.mkdtemp(prefix="spillover-chromium-")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1360, "height": 900}, base_url=server.url)
        context.set_default_timeout(60_000)
        page = context.pages[0] if context.pages else context.new_page()
        page.on("console", lambda m: console.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console.errors.append(str(e)))
        try:
            yield page, console
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


def shot(page: object, name: str) -> Path:
    """Save a full-page screenshot as ``test-artifacts/serve-<name>.png``."""
    path = ARTIFACTS / f"serve-{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
