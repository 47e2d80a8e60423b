"""Shared fixtures. Nothing here needs ../shared: tiny models and data are made on the spot."""

import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from benchmarks import live  # noqa: E402
from models import weights  # noqa: E402

ROOT = live.ROOT
SHIPPED = ROOT / "weights"
SCREENSHOTS = ROOT / "screenshots"  # browser-test artefacts (git-ignored)
SCREENSHOTS.mkdir(exist_ok=True)


def _shipped_files():
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in SHIPPED.rglob("*") if p.is_file()}


@pytest.fixture(autouse=True)
def shipped_weights_untouched():
    """No test may write into weights/ (a training test that lost its --weights-dir once exported over the shipped
    gan model): every test fails if a file there was added, changed or removed."""
    before = _shipped_files()
    yield
    after = _shipped_files()
    changed = sorted(str(p.relative_to(ROOT)) for p in set(before) | set(after) if before.get(p) != after.get(p))
    assert not changed, f"the test wrote into the shipped weights: {changed} (restore with git checkout -- weights/)"


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


@pytest.fixture(scope="session")
def streamlit_server():
    """The real app (`streamlit run app.py`, as `make run` starts it) on a free loopback port, serving the shipped weights."""
    SCREENSHOTS.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != weights.WEIGHTS_ENV}
    with live.streamlit_app(SCREENSHOTS / "streamlit.log", env) as (url, _):
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (it cannot download its own browsers here)."""
    from playwright.sync_api import sync_playwright
    try:
        chromium = live.chromium_path()
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=live.CHROMIUM_ARGS)
        yield b
        b.close()


def export_tiny(weights_dir, name="tiny", conditional=True, seed=0):
    """Export an untrained, tiny DCGAN generator as a digit model (test-only weights)."""
    import keras

    from training import export
    keras.utils.set_random_seed(seed)
    args = {"latent_dim": 100, "num_feat": 4, "conditional": conditional}
    model = digits_builders()["dcgan_generator"](**args)
    return export.export(model, name, "dcgan_generator", args, weights_dir, task="digits", title=f"Tiny {name}",
                         dataset="none (test)", steps=0, command=f"python -m training.digits --variant {name}")


def digits_builders():
    from models import BUILDERS
    return BUILDERS


def export_tiny_sr(weights_dir, name="tiny_sr", seed=0):
    """Export a tiny SR generator with random (not zero) output weights, so it differs from bicubic."""
    import keras

    from models import BUILDERS
    from training import export
    keras.utils.set_random_seed(seed)
    args = {"num_feat": 8, "num_block": 2, "upscale": 4}
    model = BUILDERS["sr_generator"](**args)
    last = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)][-1]
    last.kernel.assign(np.random.default_rng(seed).normal(0, 0.02, last.kernel.shape).astype("float32"))
    return export.export(model, name, "sr_generator", args, weights_dir, task="sr", title=f"Tiny {name}",
                         dataset="none (test)", steps=0, command=f"python -m training.sr --name {name}")


def export_tiny_pix2pix(weights_dir, domain="shoes", seed=0, name=None):
    """Export a tiny random-weight U-Net as ``name`` (default ``pix2pix_<domain>``): the page's and the API's
    mechanics only."""
    import keras

    from models import BUILDERS
    from training import export
    keras.utils.set_random_seed(seed)
    args = {"image_size": 32, "num_feat": 4}
    return export.export(BUILDERS["unet_generator"](**args), name or f"pix2pix_{domain}", "unet_generator", args,
                         weights_dir, task="pix2pix", domain=domain, title=f"Tiny {name or domain} (test)",
                         dataset="none (test)", steps=0, command="python -m training.pix2pix")


def export_tiny_imagegan(weights_dir, name="dcgan_faces64", image_size=64, sagan=False, seed=0, num_classes=0):
    """Export a tiny random-weight image GAN generator (the API's and the pages' mechanics only); with
    ``num_classes``, class-conditional, its class tables random so that classes paint differently."""
    import keras

    from models import BUILDERS, imagegan
    from training import export
    keras.utils.set_random_seed(seed)
    args = {"image_size": image_size, "latent_dim": 8, "num_feat": 2, "sagan": sagan,
            **({"num_classes": num_classes} if num_classes else {})}
    model = BUILDERS["image_generator"](**args)
    rng = np.random.default_rng(seed)
    for layer in model.layers:  # shifts kept positive: a class whose maps ReLU zeroes paints flat grey
        if isinstance(layer, imagegan.ConditionalBatchNorm):
            layer.gamma.assign(rng.uniform(-0.5, 1.0, layer.gamma.shape))
            layer.beta.assign(rng.uniform(0.5, 2.0, layer.beta.shape))
    return export.export(model, name, "image_generator", args, weights_dir,
                         task="images", arch="sagan" if sagan else "dcgan", title=f"Tiny {name} (test)",
                         dataset="none (test)", steps=0, command="python -m training.dcgan",
                         **({"classes": list(imagegan.CIFAR10_CLASSES[:num_classes])} if num_classes else {}))
