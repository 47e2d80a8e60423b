"""The inference API shared by the app, the CLI (``python -m models``), the tests and the benchmarks.

Images go in and out as uint8 numpy arrays (HxW or HxWx3). Models come from ``weights/manifest.json``
through ``models.weights.load_model`` (built once per process, checked against their sha256).
Bad arguments raise ``ValueError`` with a message meant for the user.
"""

import numpy as np
import tensorflow as tf

from models import digits, images
from models.weights import WeightsError, load_model, read_manifest

__all__ = ["generate_digits", "interpolate_digits", "list_models", "model_info", "WeightsError"]

MAX_DIGITS = 10_000  # one call; the page offers 1 to 100, evaluation uses 10,000
_BATCH = 500


def list_models(task=None):
    """Shipped models as dicts (name, task, title, params, dataset, steps, metrics, ...), sorted by name.

    ``task`` filters, e.g. ``"digits"``.
    """
    return [{"name": name, **entry} for name, entry in sorted(read_manifest().items())
            if task is None or entry.get("task") == task]


def model_info(name):
    """The manifest entry of ``name``; ``ValueError`` if there is none."""
    entry = read_manifest().get(name)
    if entry is None:
        known = ", ".join(sorted(read_manifest())) or "none"
        raise ValueError(f"Unknown model '{name}'. Available: {known}.")
    return {"name": name, **entry}


def _digit_model(variant):
    info = model_info(variant)
    if info.get("task") != "digits":
        raise ValueError(f"'{variant}' is not a digit generator.")
    return info, load_model(variant)


def _run_generator(model, inputs):
    """Run a generator in batches of ``_BATCH`` in inference mode; returns uint8 (N, 28, 28)."""
    noise = inputs[0] if isinstance(inputs, list) else inputs
    out = []
    for i in range(0, len(noise), _BATCH):
        batch = [x[i:i + _BATCH] for x in inputs] if isinstance(inputs, list) else inputs[i:i + _BATCH]
        out.append(_predict(model, batch))
    return images.to_uint8(np.concatenate(out))


def _predict(model, batch):
    # A traced call per model, with a dynamic batch size, is ~10x faster than eager for small batches.
    fn = getattr(model, "_gan_studio_predict", None)
    if fn is None:
        @tf.function(reduce_retracing=True, autograph=False)
        def fn(x):
            return model(x, training=False)
        model._gan_studio_predict = fn
    return fn(batch).numpy()


def _check_digit_args(info, n, digit):
    if not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_DIGITS:
        raise ValueError(f"n must be a whole number from 1 to {MAX_DIGITS}, got {n!r}.")
    conditional = info["args"].get("conditional", False)
    if digit is not None:
        if not conditional:
            raise ValueError(f"'{info['name']}' is unconditional: it cannot be asked for a given digit "
                             f"(use a conditional model: cgan or cdcgan).")
        if not isinstance(digit, (int, np.integer)) or not 0 <= digit <= 9:
            raise ValueError(f"digit must be a whole number from 0 to 9, got {digit!r}.")
    return conditional


def generate_digits(variant, n, digit=None, seed=0):
    """Generate ``n`` handwritten digits with the model ``variant`` (gan, cgan, dcgan, cdcgan).

    Args:
        variant: a digit model's name from ``list_models("digits")``.
        n: how many, 1 to 10,000.
        digit: 0-9 for the conditional models; None gives 0, 1, ..., 9, 0, ... (conditional) or
            whatever the model draws (unconditional).
        seed: the same seed gives the same images.

    Returns:
        uint8 array (n, 28, 28), white digits on black.
    """
    info, model = _digit_model(variant)
    conditional = _check_digit_args(info, n, digit)
    inputs = digits.sample_inputs(n, info["args"].get("latent_dim", 100), conditional, digit, seed)
    return _run_generator(model, inputs)


def slerp(a, b, t):
    """Spherical interpolation between two noise vectors (stays on the Gaussian's typical shell)."""
    omega = np.arccos(np.clip(np.dot(a / np.linalg.norm(a), b / np.linalg.norm(b)), -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def interpolate_digits(variant, seed_a, seed_b, steps=16, digit=None):
    """Walk the latent space from ``seed_a``'s noise to ``seed_b``'s in ``steps`` frames.

    For conditional models ``digit`` (default 0) is held fixed. Returns uint8 (steps, 28, 28).
    """
    info, model = _digit_model(variant)
    if not isinstance(steps, (int, np.integer)) or not 2 <= steps <= 100:
        raise ValueError(f"steps must be a whole number from 2 to 100, got {steps!r}.")
    conditional = _check_digit_args(info, 1, digit)
    latent_dim = info["args"].get("latent_dim", 100)
    a = digits.sample_inputs(1, latent_dim, seed=seed_a)[0]
    b = digits.sample_inputs(1, latent_dim, seed=seed_b)[0]
    noise = np.stack([slerp(a, b, t) for t in np.linspace(0.0, 1.0, steps)]).astype("float32")
    inputs = [noise, np.full(steps, digit or 0, "int32")] if conditional else noise
    return _run_generator(model, inputs)
