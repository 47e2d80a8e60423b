"""A live app and a real browser: `streamlit run app.py` on a free loopback port, and Debian's chromium
driven by Playwright. Used by the browser tests and the benchmarks."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url, timeout=60.0, proc=None):
    """Poll Streamlit's health endpoint until it answers ``ok``; returns the seconds waited."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        with contextlib.suppress(OSError):
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                return time.perf_counter() - start
        time.sleep(0.1)
    raise TimeoutError(f"{url} was not healthy after {timeout:.0f} s")


@contextlib.contextmanager
def streamlit_app(log_path=None, env=None):
    """Run the app on a free port as `make run` and Streamlit Community Cloud do (`streamlit run app.py`);
    yields ``(url, process)``. Output goes to ``log_path`` (or nowhere)."""
    port = free_port()
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env or os.environ.copy(), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc=proc)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log_path:
            log.close()


def chromium_path():
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise FileNotFoundError("Debian's chromium is not installed: run `make browser` (apt-get install chromium)")
    return path
