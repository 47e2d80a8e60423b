"""The inference API shared by the app, the CLI (``python -m models``), the tests and the benchmarks.

Images go in and out as uint8 numpy arrays (HxW or HxWx3). Models come from ``weights/manifest.json``
through ``models.weights.load_model`` (built once per process, checked against their sha256).
Bad arguments raise ``ValueError`` with a message meant for the user.
"""

import logging
import threading

import numpy as np
import tensorflow as tf
from PIL import Image

from models import digits, images, quality, sketch, sr
from models.faces import move_noise
from models.uploads import ImageError, decode_image
from models.weights import WeightsError, load_model, read_manifest

__all__ = ["generate_digits", "interpolate_digits", "generate_images", "steer_strip", "interpolate_images", "upscale", "default_sr_model", "evaluate_upscale", "sketch_to_photo",
           "photo_to_sketch", "list_models", "model_info", "warm_up", "decode_image", "ImageError", "WeightsError"]

log = logging.getLogger("gan_studio")
DEFAULT_DIGITS = "cdcgan"  # the model the home and digits pages show first
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


def _model_for(name, task, what):
    """``(manifest entry, loaded model)`` for ``name``, which must be a model of ``task``."""
    info = model_info(name)
    if info.get("task") != task:
        raise ValueError(f"'{name}' is not {what}.")
    return info, load_model(name)


def _run_generator(model, inputs):
    """Run a generator in batches of ``_BATCH`` in inference mode; returns uint8 (N, H, W) or (N, H, W, 3)."""
    noise = inputs[0] if isinstance(inputs, list) else inputs
    out = []
    for i in range(0, len(noise), _BATCH):
        batch = [x[i:i + _BATCH] for x in inputs] if isinstance(inputs, list) else inputs[i:i + _BATCH]
        out.append(_traced(model)(batch).numpy())
    return images.to_uint8(np.concatenate(out))


def _traced(model, input_signature=None):
    """``model(x, training=False)`` as a ``tf.function``, made once per loaded model (~10x faster than eager
    for small batches). The signature defaults to the model's inputs (batch size free)."""
    fn = getattr(model, "_gan_studio_traced", None)
    if fn is None:
        if input_signature is None:  # any batch size: one trace per model
            specs = [tf.TensorSpec(x.shape, x.dtype) for x in model.inputs]
            input_signature = [specs if len(specs) > 1 else specs[0]]
        @tf.function(input_signature=input_signature, reduce_retracing=True, autograph=False)
        def fn(x):
            return model(x, training=False)
        model._gan_studio_traced = fn
    return fn


def warm_up(names=(DEFAULT_DIGITS,)):
    """Load and run the models ``names`` once, so that the first visitor does not wait for them.

    Only the first page's model by default: loading more would compete for the CPU with the first visitor's
    page. Returns the names warmed; a model that fails to load is logged and left for the page to report.
    """
    warmed = []
    for name in names:
        try:
            info = model_info(name)
            if info.get("task") == "digits":
                generate_digits(name, 1)
            elif info.get("task") == "sr":
                upscale(np.zeros((8, 8, 3), np.uint8), model=name)
            warmed.append(name)
        except (WeightsError, OSError, ValueError) as exc:
            log.warning("warm-up: %s not loaded: %s", name, exc)
    return warmed


def _check_whole(what, value, low, high):
    """``ValueError`` for the user unless ``value`` is a whole number from ``low`` to ``high``."""
    if not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, got {value!r}.")


def _check_digit_args(info, n, digit):
    _check_whole("n", n, 1, MAX_DIGITS)
    conditional = info["args"].get("conditional", False)
    if digit is not None:
        if not conditional:
            raise ValueError(f"'{info['name']}' is unconditional: it cannot be asked for a given digit "
                             f"(use a conditional model: cgan or cdcgan).")
        _check_whole("digit", digit, 0, 9)
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
    info, model = _model_for(variant, "digits", "a digit generator")
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
    info, model = _model_for(variant, "digits", "a digit generator")
    _check_whole("steps", steps, 2, 100)
    conditional = _check_digit_args(info, 1, digit)
    latent_dim = info["args"].get("latent_dim", 100)
    a = digits.sample_inputs(1, latent_dim, seed=seed_a)[0]
    b = digits.sample_inputs(1, latent_dim, seed=seed_b)[0]
    noise = np.stack([slerp(a, b, t) for t in np.linspace(0.0, 1.0, steps)]).astype("float32")
    inputs = [noise, np.full(steps, digit or 0, "int32")] if conditional else noise
    return _run_generator(model, inputs)


# ---------------------------------------------------------------------------------------------- image GANs

MAX_IMAGES = 1_000


def _image_noise(info, n, seed):
    _check_whole("n", n, 1, MAX_IMAGES)
    return np.random.default_rng(seed).standard_normal((n, info["args"]["latent_dim"])).astype("float32")


EDIT_RANGE = (-3.0, 3.0)


def _edited(info, noise, edits):
    """``noise`` moved along the model's attribute directions (manifest ``edits``) by ``edits`` {name: amount}."""
    if not edits:
        return noise
    known = info.get("edits", {})
    if not isinstance(edits, dict):
        raise ValueError(f"edits must be a dict of attribute -> amount, got {type(edits).__name__}.")
    for name, amount in edits.items():
        if name not in known:
            allowed = ", ".join(sorted(known)) or "none: this model has no attribute directions"
            raise ValueError(f"Unknown edit {name!r} for '{info['name']}'. Allowed: {allowed}.")
        if isinstance(amount, bool) or not isinstance(amount, (int, float, np.integer, np.floating)) \
                or not EDIT_RANGE[0] <= float(amount) <= EDIT_RANGE[1]:
            raise ValueError(f"Edit {name!r} must be a number from {EDIT_RANGE[0]:g} to {EDIT_RANGE[1]:g}, "
                             f"got {amount!r}.")
    return move_noise(noise, edits, known)


def image_classes(model):
    """The class names a class-conditional image GAN takes as ``label`` (``[]`` for an unconditional one)."""
    info = _model_for(model, "images", "an image GAN")[0]
    return _class_names(info)


def _class_names(info):
    count = info["args"].get("num_classes", 0)
    names = list(info.get("classes") or [])
    return names[:count] + [str(i) for i in range(len(names), count)]


def _image_labels(info, n, label):
    """Class labels for ``n`` images of a conditional model: ``label`` (a name or 0-9) for all, or 0, 1, ..., 9,
    0, ... with ``label=None``; None for an unconditional model (which refuses a ``label``)."""
    names = _class_names(info)
    if not names:
        if label is not None:
            raise ValueError(f"'{info['name']}' is not class-conditional: it takes no label.")
        return None
    if label is None:
        return (np.arange(n) % len(names)).astype("int32")
    if isinstance(label, str) and label in names:
        index = names.index(label)
    elif isinstance(label, (int, np.integer)) and not isinstance(label, bool) and 0 <= label < len(names):
        index = int(label)
    elif isinstance(label, str) and label.isdigit() and int(label) < len(names):
        index = int(label)
    else:
        raise ValueError(f"Unknown label {label!r} for '{info['name']}'. Allowed: {', '.join(names)} "
                         f"(or 0 to {len(names) - 1}).")
    return np.full(n, index, "int32")


def _image_inputs(info, noise, label):
    labels = _image_labels(info, len(noise), label)
    return noise if labels is None else [noise, labels]


def generate_images(model, n, seed=0, edits=None, label=None):
    """``n`` images from an image GAN (``dcgan_cifar10``, ``sagan_cifar10``, ``dcgan_faces64``): uint8
    (n, H, W, 3). The same seed gives the same images, and a bigger ``n`` extends a smaller one.

    ``edits``: {attribute: amount} for a model whose manifest lists attribute directions (``list_models`` /
    ``model_info(...)["edits"]``; the face GAN: ``age``, ``male``), each amount from -3 to 3; 0 is the unedited
    image, the same seed keeps the same person.
    ``label``: for a class-conditional model (``image_classes``), the class of every image, by name
    (``"horse"``) or number (0-9); None: the classes in turn. An unconditional model refuses one.
    """
    info, net = _model_for(model, "images", "an image GAN")
    return _run_generator(net, _image_inputs(info, _edited(info, _image_noise(info, n, seed), edits), label))


def steer_strip(model, seed, index, attribute, values, edits=None):
    """Image ``index`` of ``generate_images(model, index + 1, seed, edits)``, with ``attribute`` set to each of
    ``values`` in turn (the other edits kept): uint8 (len(values), H, W, 3), made in one batch."""
    info, net = _model_for(model, "images", "an image GAN")
    base = _image_noise(info, int(index) + 1, seed)[int(index):]
    rows = [_edited(info, base, {**(edits or {}), attribute: float(v)})[0] for v in values]
    return _run_generator(net, _image_inputs(info, np.stack(rows), 0 if _class_names(info) else None))


def interpolate_images(model, seed_a, seed_b, steps=16, label=None):
    """A latent walk between two seeds' first images: uint8 (steps, H, W, 3). A class-conditional model keeps
    one class along the walk: ``label``, or the first image's (the first class) without one."""
    info, net = _model_for(model, "images", "an image GAN")
    _check_whole("steps", steps, 2, 100)
    a, b = _image_noise(info, 1, seed_a)[0], _image_noise(info, 1, seed_b)[0]
    noise = np.stack([slerp(a, b, t) for t in np.linspace(0.0, 1.0, steps)]).astype("float32")
    return _run_generator(net, _image_inputs(info, noise, 0 if label is None and _class_names(info) else label))


# ---------------------------------------------------------------------------------------------- super-resolution

TILE = 192  # LR pixels per tile side (fixed: one traced graph serves every image size)
MARGIN = 24  # LR pixels of context discarded on each inner tile side (> the shipped nets' receptive radius, 19)
SR_DEFAULTS = ("realsr", "srresnet", "srgan")  # the default upscaler: the first of these that is shipped


def default_sr_model():
    """The model ``upscale`` uses when none is named: ``realsr`` (made for real, noisy, compressed photos)
    when it is shipped, else the next of ``SR_DEFAULTS``."""
    shipped = read_manifest()
    for name in SR_DEFAULTS:
        if shipped.get(name, {}).get("task") == "sr":
            return name
    return SR_DEFAULTS[0]


def _tile_starts(size, tile):
    """Tile origins covering ``size`` with tiles of ``tile``; neighbours overlap by 2*MARGIN, so each tile's
    inner part (its margins cut off) meets the next one's exactly."""
    if size <= tile:
        return [0]
    stride = tile - 2 * MARGIN
    return sorted(set(list(range(0, size - tile, stride)) + [size - tile]))


def _core(starts, i, tile, size):
    """The part [lo, hi) of tile ``i`` (in input pixels) written to the output: the whole image side for the
    first and last tiles' outer edges, half-way into the overlap with each neighbour."""
    lo = 0 if i == 0 else (starts[i - 1] + tile + starts[i]) // 2
    hi = size if i == len(starts) - 1 else (starts[i] + tile + starts[i + 1]) // 2
    return lo, hi


def _upscale_into(net, rgb, out, scale, tile, progress):
    """Super-resolve ``rgb`` (uint8 (h, w, 3)) tile by tile into ``out`` (uint8 (scale*h, scale*w, >=3)): each
    tile's uint8 result goes straight into the output, so memory beyond the output is one tile's, whatever the
    image's size. Each pixel comes from the tile where it is at least MARGIN from a cut edge, so the result
    equals whole-image inference."""
    h, w = rgb.shape[:2]
    th, tw = min(tile, h), min(tile, w)
    ys, xs = _tile_starts(h, th), _tile_starts(w, tw)
    run = _traced(net, [tf.TensorSpec([1, None, None, 3], tf.float32)])  # one graph for every tile size
    total, done = len(ys) * len(xs), 0
    for i, y in enumerate(ys):
        y0, y1 = _core(ys, i, th, h)
        for j, x in enumerate(xs):
            x0, x1 = _core(xs, j, tw, w)
            patch = rgb[y:y + th, x:x + tw].astype(np.float32)[None] / 255.0
            sr_patch = run(patch)[0].numpy()[(y0 - y) * scale:(y1 - y) * scale, (x0 - x) * scale:(x1 - x) * scale]
            out[y0 * scale:y1 * scale, x0 * scale:x1 * scale, :3] = np.clip(np.rint(sr_patch * 255.0), 0, 255)
            done += 1
            if progress:
                progress(done, total)
    return out


def upscale(image, model=None, scale=4, tile=TILE, progress=None):
    """Super-resolve a uint8 image with a shipped SR model.

    Args:
        image: uint8 (H, W) grayscale, (H, W, 3) RGB or (H, W, 4) RGBA. Alpha is enlarged with bicubic.
        model: ``realsr`` (real photos: noisy, JPEG-compressed; the default when shipped), ``realsr_gan`` (the
            same, texture painted back), ``srresnet`` (faithful, for clean images), ``srgan`` (sharp) or
            ``srgan_faces``; None: ``default_sr_model()``.
        scale: 4 (the model's own factor), or 2 or 3 (x4, then a Lanczos reduction).
        tile: LR tile side; large images are processed in overlapping tiles of this size and each tile's result
            is written straight into the uint8 output, so memory beyond the output is bounded by the tile.
        progress: optional ``callback(done, total)`` called after each tile.

    Returns:
        uint8 array of shape (scale*H, scale*W[, C]) with the input's channels.
    """
    info, net = _model_for(model or default_sr_model(), "sr", "a super-resolution model")
    native = info["args"].get("upscale", 4)
    if scale not in (2, 3, 4) or scale > native:
        raise ValueError(f"scale must be 2, 3 or {native}, got {scale!r}.")
    if not isinstance(tile, (int, np.integer)) or tile < 2 * MARGIN + 16:
        raise ValueError(f"tile must be at least {2 * MARGIN + 16} pixels, got {tile!r}.")
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise ValueError(f"image must be a uint8 (H, W), (H, W, 3) or (H, W, 4) array, got {arr.dtype} {arr.shape}.")
    if min(arr.shape[:2]) < 4:
        raise ValueError(f"image is too small to upscale ({arr.shape[1]}x{arr.shape[0]}).")
    h, w = arr.shape[:2]
    gray = arr.ndim == 2 or arr.shape[2] == 1
    rgb = np.repeat(arr.reshape(h, w, 1), 3, axis=2) if gray else arr[..., :3]
    has_alpha = arr.ndim == 3 and arr.shape[2] == 4
    out = np.empty((h * native, w * native, 4 if has_alpha else 3), np.uint8)
    _upscale_into(net, np.ascontiguousarray(rgb), out, native, tile, progress)
    if has_alpha:  # uint8 in, uint8 out: no full-size float buffer
        out[..., 3] = np.asarray(Image.fromarray(arr[..., 3]).resize((w * native, h * native), Image.BICUBIC))
    if scale != native:  # colour and alpha separately (Pillow would premultiply RGBA)
        size = (w * scale, h * scale)
        out = np.dstack([images.resize(np.ascontiguousarray(out[..., :3]), size, "lanczos")]
                        + ([images.resize(np.ascontiguousarray(out[..., 3]), size, "lanczos")] if has_alpha else []))
    if gray:
        return np.asarray(Image.fromarray(np.ascontiguousarray(out[..., :3])).convert("L"))
    return out


def evaluate_upscale(hr, model="srresnet"):
    """The standard protocol on one high-resolution image: reduce it 4x, upscale it back, measure.

    Returns a dict with the images ``lr``, ``sr``, ``bicubic``, ``hr`` (uint8 RGB, HR cropped to a multiple of
    4) and ``psnr``, ``ssim``, ``bicubic_psnr``, ``bicubic_ssim`` (Y channel, 4-pixel border shaved).
    """
    arr = np.asarray(hr)
    if arr.dtype != np.uint8 or arr.ndim not in (2, 3):
        raise ValueError(f"image must be a uint8 (H, W) or (H, W, 3) array, got {arr.dtype} {arr.shape}.")
    rgb = np.repeat(arr[..., None], 3, axis=2) if arr.ndim == 2 else arr[..., :3]
    if min(rgb.shape[:2]) < 48:
        raise ValueError("The image is too small to evaluate: it needs at least 48 pixels on each side.")
    lr, hr_crop = sr.downscale(rgb)
    out, bic = upscale(lr, model), sr.bicubic_upscale(lr)
    return {"lr": lr, "sr": out, "bicubic": bic, "hr": hr_crop,
            "psnr": quality.psnr_y(out, hr_crop), "ssim": quality.ssim_y(out, hr_crop),
            "bicubic_psnr": quality.psnr_y(bic, hr_crop), "bicubic_ssim": quality.ssim_y(bic, hr_crop)}


# ---------------------------------------------------------------------------------------------- sketch to photo

_variation_lock = threading.Lock()


def sketch_subjects():
    """What the sketch-to-photo models draw, ``{subject: manifest entry}``: ``shoes`` and ``faces`` for
    ``pix2pix_shoes`` and ``pix2pix_faces``, then any other pix2pix model under its own name (``python -m
    training.pix2pix --name handbags --pairs DIR --export`` adds ``handbags``), in that order."""
    found = {}
    for m in list_models("pix2pix"):
        name = m["name"]
        found[name.removeprefix("pix2pix_") if name == f"pix2pix_{m.get('domain')}" else name] = m
    first = [d for d in sketch.DOMAINS if d in found]
    return {k: found[k] for k in first + sorted(set(found) - set(first))}


def _subject_model(subject):
    """The manifest name of the model for ``subject`` (see ``sketch_subjects``); ``ValueError`` naming the
    subjects there are."""
    subjects = sketch_subjects()
    if subject not in subjects:
        raise ValueError(f"No sketch-to-photo model for {subject!r} (named pix2pix_{subject} or {subject}). "
                         f"Available: {', '.join(subjects) or 'none'}.")
    return subjects[subject]["name"]


def photo_to_sketch(photo, domain="shoes"):
    """A line drawing of a photo, as the sketch-to-photo models were trained on: uint8 (H, W), dark lines on
    white. ``domain`` (shoes or faces, or a subject of ``sketch_subjects``: its model's) sets how much detail is
    kept."""
    if domain not in sketch.DOMAINS:
        domain = sketch_subjects().get(domain, {}).get("domain", domain)
    return sketch.photo_to_sketch(photo, domain)


def sketch_input(sketch_img, size):
    """A normalised sketch as a generator input batch of one: ``(x (1, size, size, 1) float32 in [-1, 1], box)``,
    padded with white to a square; ``box`` (top, left, height, width) locates the sketch in the square."""
    square, box = sketch.to_square(sketch_img, size)
    return square[None, ..., None].astype(np.float32) / 127.5 - 1.0, box


def _with_dropout(net, x, seed):
    """One output with the U-Net's dropout left on (seeded): pix2pix's own source of variation. Batch norm
    keeps its inference statistics (a non-trainable BatchNormalization ignores ``training=True``)."""
    fn = getattr(net, "_gan_studio_dropout", None)
    if fn is None:
        import keras  # noqa: PLC0415
        for layer in net.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
        fn = net._gan_studio_dropout = tf.function(lambda t: net(t, training=True), autograph=False)
        net._gan_studio_dropouts = [layer for layer in net.layers if isinstance(layer, keras.layers.Dropout)]
    with _variation_lock:  # the dropout seeds are shared state
        for i, layer in enumerate(net._gan_studio_dropouts):
            layer.seed_generator.state.assign(np.array([seed * 7919 + i, 0]).astype(
                layer.seed_generator.state.dtype))
        return fn(x).numpy()


def sketch_to_photo(sketch_img, domain="shoes", variation=None):
    """Turn a sketch into a photo-like image with the sketch-to-photo model for ``domain``.

    Args:
        sketch_img: uint8 (H, W), (H, W, 3) or (H, W, 4): dark lines on white, light lines on dark (detected
            and inverted), or a canvas with a transparent background. Any size and aspect: it is padded with
            white to a square and resized to the model's resolution.
        domain: ``shoes`` or ``faces`` (``pix2pix_shoes``, ``pix2pix_faces``), or the name of any other
            installed pix2pix model (see ``sketch_subjects``).
        variation: None for the model's deterministic output, or a seed: dropout stays on, seeded, giving a
            different but plausible photo per seed.

    Returns:
        uint8 RGB (h, w, 3) at the model's resolution, cropped to the sketch's aspect.
    """
    name = _subject_model(domain)
    info, net = _model_for(name, "pix2pix", "a sketch-to-photo model")
    arr = np.asarray(sketch_img)
    if arr.dtype != np.uint8 or arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise ValueError(f"sketch must be a uint8 (H, W), (H, W, 3) or (H, W, 4) array, got {arr.dtype} {arr.shape}.")
    if min(arr.shape[:2]) < 8:
        raise ValueError(f"The sketch is too small ({arr.shape[1]}x{arr.shape[0]}).")
    clean = sketch.normalize_sketch(arr[..., 0] if arr.ndim == 3 and arr.shape[2] == 1 else arr)
    if sketch.is_blank(clean):
        raise ValueError("The sketch is empty: draw some lines first.")
    x, (top, left, h, w) = sketch_input(clean, info["args"]["image_size"])
    out = _traced(net)(x).numpy() if variation is None else _with_dropout(net, x, int(variation))
    return images.to_uint8(out)[0][top:top + h, left:left + w]
