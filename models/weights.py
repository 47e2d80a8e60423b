"""The weights store: ``weights/manifest.json`` plus ``*.weights.h5`` files.

The manifest is the single link between training (which writes it) and serving (which only reads it). Each
entry names the builder and its arguments, the file and its sha256. A model is built with our own builder
and filled with ``load_weights`` after the checksum matches: nothing is unpickled or executed from a file.

Loaded models are cached per process, keyed by the file's sha256 and its size and mtime, so the app, the
CLI and the benchmarks build each model once, and weights refreshed by a training run are picked up on the
next request without a restart.
"""

import functools
import hashlib
import json
import os
import sys
import threading
from pathlib import Path

from models import manifest
from models.manifest import MANIFEST, WeightsError, shown_path  # noqa: F401  (re-exported)

WEIGHTS_ENV = "GAN_STUDIO_WEIGHTS"
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "weights"


def weights_dir():
    """The weights folder: ``$GAN_STUDIO_WEIGHTS`` if set, else ``weights/`` in the repo."""
    return Path(os.environ.get(WEIGHTS_ENV) or DEFAULT_DIR)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(directory=None):
    """The manifest's valid ``models`` (name -> entry); empty if there is no manifest yet. Bad entries are left
    out with a logged reason; a file that is not a manifest raises ``WeightsError`` (``models.manifest``)."""
    return manifest.read(directory or weights_dir())


def restore_hint(entry):
    """How to get a good copy of an entry's weights back: from git, or by retraining. A file under an export's
    staging name (``NAME.<hash>.weights.h5``) was never in git: an interrupted export left it; run it again."""
    command = entry.get("command")
    if entry["file"].count(".") > 2:  # NAME.<hash>.weights.h5, not NAME.weights.h5
        return ("An export of this model was interrupted: run it again" + (f" (`{command}`; a finished run only "
                "exports)" if command else "") + ", or restore the manifest and weights with `git checkout -- weights/`.")
    hint = f"Restore it with `git checkout -- weights/{entry['file']}`"
    if command:
        hint += f" or retrain it with `{command}`"
    return hint + "."


DTYPE_ENV = "GAN_STUDIO_DTYPE"  # "float32" forces full precision for every model


@functools.lru_cache(maxsize=1)
def cpu_has_bf16():
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX); elsewhere it would be emulated, slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(f in flags.split() for f in ("avx512_bf16", "amx_bf16"))


def serving_dtype(entry):
    """The compute precision a model is served in: its manifest's ``serve_dtype`` ("bfloat16" where the
    measured quality loss was negligible) on a CPU that has bfloat16, else float32 (or ``$GAN_STUDIO_DTYPE``)."""
    forced = os.environ.get(DTYPE_ENV)
    if forced in ("float32", "bfloat16"):
        return forced
    return "bfloat16" if entry.get("serve_dtype") == "bfloat16" and cpu_has_bf16() else "float32"


def build(entry, dtype="float32"):
    """Build the (untrained) Keras model an entry describes; ``dtype="bfloat16"`` computes in bfloat16 with
    float32 weights and output (Keras' ``mixed_bfloat16`` policy)."""
    import keras  # noqa: PLC0415  (Keras and TensorFlow load here, not on reading the manifest)
    from models import BUILDERS  # noqa: PLC0415
    _guard_clear_session()
    builder = BUILDERS.get(entry["builder"])
    if builder is None:
        raise WeightsError(f"the manifest names an unknown builder {entry['builder']!r} "
                           f"(known: {', '.join(sorted(BUILDERS))})")
    with _lock:  # the policy is global while the layers are made
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy("float32" if dtype == "float32" else f"mixed_{dtype}")
        try:
            return builder(**entry.get("args", {}))
        except (TypeError, ValueError) as exc:  # arguments the builder does not take, or values it refuses
            raise WeightsError(f"the manifest's arguments do not fit {entry['builder']} ({exc})") from exc
        finally:
            keras.config.set_dtype_policy(previous)


_cache = {}
_lock = threading.RLock()


def _guard_clear_session():
    """Make ``keras.backend.clear_session`` wait for a model being built by ``load_model``, and skip the call
    Streamlit makes after every script run.

    That call (``_clean_problem_modules``) reset Keras' layer-name counters for every thread at once, so a model
    being built for another visitor at that moment got two layers named "conv2d" and failed; models here are
    built under ``_lock``, so a ``clear_session`` taking the lock waits for them. It also cleared TensorFlow's
    kernel cache, so in the next run each model's first call optimised and instantiated its graph again (about
    100 ms of CPU per model here: a face-slider move paid it twice). The app's models are built once and kept,
    with nothing of Keras' session state to reset between runs, so that call is skipped; any other caller (a
    test, a training script) clears the session as before.
    """
    import keras  # noqa: PLC0415
    original = keras.backend.clear_session
    if getattr(original, "waits_for_model_builds", False):
        return

    def clear_session(*args, **kwargs):
        caller = sys._getframe(1).f_code
        if caller.co_name == "_clean_problem_modules" and "streamlit" in caller.co_filename:
            return None
        with _lock:
            return original(*args, **kwargs)

    clear_session.waits_for_model_builds = True
    keras.backend.clear_session = keras.utils.clear_session = clear_session


def load_model(name, directory=None, dtype=None):
    """The model ``name`` from the manifest, built and loaded once per version of its weights file.

    ``dtype``: "float32" or "bfloat16"; None (the default) serves it as ``serving_dtype`` says.

    Raises:
        KeyError: no such model in the manifest.
        WeightsError: the file is missing, damaged, or its sha256 differs from the manifest's.
    """
    directory = Path(directory or weights_dir())
    entry = read_manifest(directory).get(name)
    if entry is None:
        raise KeyError(name)
    path = manifest.contained(directory, entry["file"])  # checked when read; a resolved path cannot move
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise WeightsError(f"Weights file {shown_path(path)} for model '{name}' is missing. "
                           f"{restore_hint(entry)}") from None
    dtype = dtype or serving_dtype(entry)
    # the entry's builder and arguments too: a model rebuilt differently under the same file is another model
    built = json.dumps([entry.get("builder"), entry.get("args")], sort_keys=True, default=str)
    key = (str(directory), name, entry["sha256"], stat.st_size, stat.st_mtime_ns, built, dtype)
    model = _cache.get(key)
    if model is not None:  # loaded: no waiting behind another thread that is loading some other model
        return model
    with _lock:
        if key not in _cache:
            actual = sha256_file(path)
            if actual != entry["sha256"]:
                raise WeightsError(
                    f"Weights file {shown_path(path)} for model '{name}' is damaged: its sha256 is {actual[:12]}..., "
                    f"the manifest expects {entry['sha256'][:12]}.... {restore_hint(entry)}")
            model = build(entry, dtype)
            try:
                model.load_weights(path)
            except Exception as exc:  # h5py/keras raise many types for a bad file; report them as one
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
                raise WeightsError(f"Weights file {shown_path(path)} for model '{name}' could not be loaded ({reason}). "
                                   f"{restore_hint(entry)}") from exc
            for old in [k for k in _cache if k[:2] == key[:2] and k[-1] == dtype]:
                del _cache[old]
            _cache[key] = model
        return _cache[key]
