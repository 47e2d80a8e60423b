"""Shared fixtures. Nothing here needs ../shared: tiny models and data are made on the spot."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from models import weights  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "weights"
SCREENSHOTS = ROOT / "screenshots"  # browser-test artefacts (git-ignored)


@pytest.fixture
def weights_dir(tmp_path, monkeypatch):
    """An empty weights folder that the inference API reads instead of weights/."""
    d = tmp_path / "weights"
    d.mkdir()
    monkeypatch.setenv(weights.WEIGHTS_ENV, str(d))
    return d


@pytest.fixture
def shipped_copy(weights_dir):
    """A private copy of the shipped weights (to damage without touching weights/)."""
    for f in SHIPPED.iterdir():
        if f.is_file():
            shutil.copy2(f, weights_dir / f.name)
    return weights_dir


def tiny_mnist(path, n=96, seed=0):
    """A stand-in for mnist.npz: n 28x28 'digits' (a bar whose position encodes the label) + test split."""
    rng = np.random.default_rng(seed)
    def make(count):
        y = rng.integers(0, 10, count).astype("uint8")
        x = np.zeros((count, 28, 28), "uint8")
        for i, label in enumerate(y):
            x[i, 4:24, 2 + 2 * label:4 + 2 * label] = 255
        return x, y
    (x, y), (xt, yt) = make(n), make(n // 2)
    np.savez(path, x_train=x, y_train=y, x_test=xt, y_test=yt)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def streamlit_server():
    """A real `streamlit run app.py` on a free loopback port, serving the shipped weights."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != weights.WEIGHTS_ENV}
    SCREENSHOTS.mkdir(exist_ok=True)
    log = open(SCREENSHOTS / "streamlit.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not become healthy in 60 s; see screenshots/streamlit.log")
    yield url
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (it cannot download its own browsers here)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("Debian's chromium is not installed: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


def export_tiny(weights_dir, name="tiny", conditional=True, seed=0):
    """Export an untrained, tiny DCGAN generator as a digit model (test-only weights)."""
    import keras

    from training import common
    keras.utils.set_random_seed(seed)
    args = {"latent_dim": 100, "num_feat": 4, "conditional": conditional}
    model = digits_builders()["dcgan_generator"](**args)
    return common.export(model, name, "dcgan_generator", args, weights_dir, task="digits", title=f"Tiny {name}",
                         dataset="none (test)", steps=0, command=f"python -m training.digits --variant {name}")


def digits_builders():
    from models import BUILDERS
    return BUILDERS
