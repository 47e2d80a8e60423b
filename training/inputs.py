"""Image folders as tf.data input: files listed once, read and decoded by TensorFlow ops on all cores, kept
decoded in memory (``cache="memory"``) or read again on every pass (``"none"``, for data larger than RAM).

Decoding is TensorFlow's, on every core, never a Python loop over Pillow, and nothing is held twice: the SR
trainer streams its photos (``shuffled_images``), the others read their folders once (``read_images``) and keep
their small squares. Folders may be local or on any
``tf.io.gfile`` file system (``gs://bucket/photos``). PNG (8 or 16 bit, grey, alpha), JPEG, BMP, GIF (first
frame) and WebP are read; other files in a folder are reported and left out.
"""

import tensorflow as tf
from PIL import Image
from training.flags import BadInput

# what tf.io.decode_image reads
DECODABLE = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}
CACHES = ("memory", "none")


def list_images(folder, min_size=0):
    """Sorted image file paths under ``folder`` (recursively; any tf.io.gfile file system) whose shorter side is
    at least ``min_size`` (read from the file's header only). Exits with a clear message when none is usable."""
    paths, other = [], []
    for root, _, names in tf.io.gfile.walk(str(folder)):
        for name in names:
            suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
            (paths if suffix in DECODABLE else other).append(tf.io.gfile.join(root, name))
    paths.sort()
    if other:
        print(f"{folder}: {len(other)} files left out (not PNG, JPEG, BMP, GIF or WebP), e.g. {sorted(other)[0]}",
              flush=True)
    if not paths:
        raise BadInput(f"--data {folder}: no images found; expected a folder of PNG, JPEG, BMP, GIF or WebP files")
    if min_size:
        paths = [p for p in paths if min(header_size(p)) >= min_size]
        if not paths:
            raise BadInput(f"--data {folder}: no photo in it is at least {min_size}x{min_size}")
    return paths


def header_size(path):
    """(width, height) of an image file, from its header."""
    with tf.io.gfile.GFile(path, "rb") as f, Image.open(f) as im:
        return im.size


def decode(path):
    """uint8 (H, W, 3) of one image file, as TensorFlow ops: grey to RGB, alpha dropped, 16 bit scaled to 8.

    JPEGs are decoded with the accurate integer DCT, pixel for pixel as Pillow (and so the app and the
    evaluations) decodes them: TensorFlow's default fast DCT is off by 1.2 grey levels on average (12 at most)
    on the SR photos, noise the SR models would learn as detail."""
    data = tf.io.read_file(path)
    image = tf.cond(tf.io.is_jpeg(data),
                    lambda: tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE"),
                    lambda: tf.io.decode_image(data, channels=3, dtype=tf.uint8, expand_animations=False))
    return tf.ensure_shape(image, (None, None, 3))


def image_dataset(paths, cache="memory"):
    """The decoded images of ``paths`` in order, decoded in parallel; ``cache="memory"`` keeps them decoded
    after the first pass."""
    if cache not in CACHES:
        raise ValueError(f"cache must be one of {CACHES}, not {cache!r}")
    ds = tf.data.Dataset.from_tensor_slices([str(p) for p in paths]).map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.cache() if cache == "memory" else ds


def shuffled_images(paths, seed, cache="memory"):
    """An endless stream of the decoded images of ``paths`` in a seeded random order, the same order whatever
    ``cache``: with "none" the names are shuffled and each image is decoded when drawn, so only the images
    being used are in memory."""
    if cache == "none":
        ds = tf.data.Dataset.from_tensor_slices([str(p) for p in paths]).repeat().shuffle(len(paths), seed=seed)
        return ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    return image_dataset(paths, cache).repeat().shuffle(len(paths), seed=seed)  # checks ``cache``


def read_images(paths):
    """The images of ``paths`` as uint8 numpy arrays, in order, decoded in parallel by tf.data ahead of the
    caller (an iterator: a caller that keeps only a crop never holds every full image)."""
    return image_dataset(paths, cache="none").prefetch(tf.data.AUTOTUNE).as_numpy_iterator()
