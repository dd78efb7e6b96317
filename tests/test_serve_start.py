"""``spillover serve`` at start: a port in use or a file as a folder is one error line at once."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

CLI = [sys.executable, "-c", "from spillover.cli.main import main; main()"]


def _serve(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "serve", "--workers", "0", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=60)


def test_a_port_in_use_is_one_error_line_before_the_banner(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = _serve("--port", str(port), cwd=tmp_path)
        waited = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and done.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use; choose another --port"]
    assert waited < 15  # was about 20 s, after the banner


@pytest.mark.parametrize("flag", ["--runs-dir", "--scenarios-dir"])
def test_a_file_given_as_a_folder_is_refused_at_start(tmp_path: Path, flag: str) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    done = _serve("--port", "0", flag, str(afile), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {flag} {afile} is not a folder; give a folder (it is made if missing)"]


def test_the_server_listens_on_the_port_it_says(tmp_path: Path) -> None:
    proc = subprocess.Popen([*CLI, "serve", "--workers", "0", "--port", "0"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        url = banner.split()[2]
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0/"), banner
        for _ in range(100):
            try:
                with urllib.request.urlopen(url + "api/scenarios", timeout=5) as r:
                    assert r.status == 200
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not answer")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
