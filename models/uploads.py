"""Decode untrusted image bytes (uploads, CLI files) into uint8 arrays, or fail with a message for the user.

Handles grayscale, palette, alpha, 16-bit, EXIF orientation, CMYK, WebP; refuses non-images, corrupt or
truncated files and images over a pixel limit before decoding their pixels (decompression bombs).
"""

import io
import os
import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 20 * 1024 * 1024  # matches server.maxUploadSize
MAX_PIXELS = 4096 * 4096  # a 4096x4096 input is the largest accepted anywhere
FORMATS = {"PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff"}


class ImageError(ValueError):
    """The bytes are not an image we can use; the message says why, in plain words."""


class ImageTooLarge(ImageError):
    """Over a page's pixel limit but within ``MAX_PIXELS``: ``decode_image(..., shrink=True)`` can reduce it."""


HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")


def decode_image(data, max_pixels=MAX_PIXELS, max_bytes=MAX_BYTES, min_side=1, shrink=False):
    """Decode image bytes to ``(rgb, alpha)``: uint8 (H, W, 3) and uint8 (H, W) or None.

    Grayscale becomes three equal channels; 16-bit samples are scaled to 8 bits; EXIF orientation is applied;
    palette and CMYK images are converted; only the first frame of an animation is used. With ``shrink``, an
    image over ``max_pixels`` (but within ``MAX_PIXELS``) is reduced to fit, keeping its proportions (a JPEG is
    decoded at a reduced size to begin with).

    Raises:
        ImageTooLarge: over ``max_pixels`` (without ``shrink``), within ``MAX_PIXELS``.
        ImageError: empty, too large (bytes, or pixels over ``MAX_PIXELS``), smaller than ``min_side`` pixels
            on a side, not an image, unsupported format (HEIC/AVIF: with how to convert), corrupt or truncated.
    """
    if not data:
        raise ImageError("The file is empty.")
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        raise ImageError("HEIC/HEIF and AVIF photos (the iPhone's default format) are not supported yet. Save it as "
                         "JPEG or PNG first: on an iPhone, share the photo and pick 'Save as JPEG', or set Settings > "
                         "Camera > Formats > Most Compatible; on a computer, open it and export as JPEG.")
    if len(data) > max_bytes:
        raise ImageError(f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            if im.format not in FORMATS:
                raise ImageError(f"{im.format} images are not supported; use PNG, JPEG, WebP, BMP, GIF or TIFF.")
            w, h = im.size
            too_large = f"The image is too large: {w}x{h} pixels ({w * h / 1e6:.1f} megapixels); the limit is " \
                        f"{max_pixels / 1e6:.1f} megapixels."
            if w * h > max(max_pixels, MAX_PIXELS):
                raise ImageError(too_large + " Please resize it first.")
            if w * h > max_pixels and not shrink:
                raise ImageTooLarge(too_large)
            if min(w, h) < min_side:
                raise ImageError(f"The image is too small: {w}x{h} pixels; it needs at least {min_side} pixels on "
                                 "each side.")
            factor = min(1.0, (max_pixels / (w * h)) ** 0.5)
            if factor < 1.0 and im.format == "JPEG":
                im.draft(im.mode, (int(w * factor) + 1, int(h * factor) + 1))  # decoded at 1/2, 1/4 or 1/8
            im.load()
            im = ImageOps.exif_transpose(im)
            if factor < 1.0:
                fit = min(1.0, (max_pixels / (im.width * im.height)) ** 0.5)
                size = (max(1, int(im.width * fit)), max(1, int(im.height * fit)))
                if im.mode not in ("RGB", "RGBA", "L", "LA"):
                    im = im.convert("RGBA" if "A" in im.getbands() or "transparency" in im.info else "RGB")
                im = im.resize(size, Image.LANCZOS, reducing_gap=3.0) if size != im.size else im
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError("This file is not an image (or not one we can read).") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("The image is too large: it declares an enormous size. Please resize it first.") from None
    except (OSError, SyntaxError, ValueError) as exc:  # Pillow's errors for damaged data
        raise ImageError(f"The image file is damaged or truncated ({exc}).") from None
    return _to_uint8_rgb(im)


def read_file(path, max_bytes=MAX_BYTES):
    """The bytes of an image file, refused before reading when it is not a regular file or is over
    ``max_bytes`` (a device such as /dev/zero, or a 3 GB file, is never read into memory)."""
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path.name} is not a regular file." if path.exists() else f"{path.name}: no such file.")
    size = path.stat().st_size
    if size > max_bytes:
        raise ImageError(f"The file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.")
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)  # a file that grew since stat() is still cut off at the limit
    if len(data) > max_bytes:
        raise ImageError(f"The file is over the limit of {max_bytes / 1e6:.0f} MB.")
    return data


def safe_stem(name, fallback="image"):
    """A file name a visitor's browser sent, reduced to a stem safe to name a file in a ZIP or a folder: the part
    after the last ``/`` or ``\\`` (``..\\..\\Windows\\evil.png`` is ``evil``), without its extension, leading dots
    or spaces, with anything but letters, digits, ``-``, ``_``, ``.``, ``(``, ``)`` and spaces replaced by ``_``;
    at most 100 characters; ``fallback`` if nothing is left."""
    base = re.split(r"[/\\]", str(name))[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = re.sub(r"[^\w\-.() ]", "_", stem).lstrip(". ").rstrip(". ")[:100]
    return stem or fallback


def write_atomic(path, data):
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename: a reader (or a kill)
    never sees a half-written file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def image_files(paths, skipped=None):
    """Files named in ``paths``, with folders expanded (recursively, sorted) to the image files they hold. What a
    folder holds that is left out (not a regular file: a FIFO, a link to a device or a loop; not an image by its
    name) is appended to ``skipped`` as ``(path, reason)``, to be listed."""
    found = []
    for path in map(Path, paths):
        if not path.is_dir():
            found.append(path)  # named on purpose: read (or refused) with a reason of its own
            continue
        for p in sorted(path.rglob("*")):
            if p.is_dir():
                continue
            if not p.is_file():
                reason = "a link that leads nowhere or to itself" if p.is_symlink() and not p.exists() else \
                    "not a regular file"
            elif p.suffix.lower() not in IMAGE_SUFFIXES:
                reason = "not an image file name (" + ", ".join(sorted(IMAGE_SUFFIXES)) + ")"
            else:
                found.append(p)
                continue
            if skipped is not None:
                skipped.append((p, reason))
    return found


def as_rgba(rgb, alpha):
    """``decode_image``'s pair as one array: RGB, or RGBA when there is an alpha channel."""
    return rgb if alpha is None else np.dstack([rgb, alpha])


def _to_uint8_rgb(im):
    alpha = None
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16/32-bit grayscale
        arr = np.asarray(im).astype(np.float64)
        top = 65535.0 if im.mode.startswith("I;16") or arr.max() > 255 else 255.0
        gray = np.clip(np.rint(arr / top * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2), None
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        alpha = np.asarray(rgba)[..., 3].copy()
        im = rgba.convert("RGB")
    elif im.mode != "RGB":
        im = im.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV
    return np.ascontiguousarray(np.asarray(im, dtype=np.uint8)), alpha
