"""Sketches: photos to line drawings (the pix2pix training pairs and the app's "photo to sketch"), and the
clean-up that turns whatever a visitor draws or uploads into the same kind of image.

A sketch is a uint8 (H, W) array: dark thin lines (0) on white (255). Pure numpy and OpenCV; no TensorFlow.
"""

import cv2
import numpy as np

# Per domain: Gaussian smoothing before edge detection (faces have skin texture and hair to ignore), the share of
# pixels that become edges (Canny's thresholds are set from the gradient's percentiles, so the line density is
# the same for a dark and a light photo), and the smallest stroke kept (in pixels, at 256x256).
DOMAINS = {
    "shoes": {"sigma": 1.4, "edge_share": 0.06, "min_stroke": 24},
    "faces": {"sigma": 1.7, "edge_share": 0.09, "min_stroke": 20},
}
WORK_SIZE = 256  # edges are found at this resolution, whatever the photo's size


def _rgb(image):
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or arr.ndim not in (2, 3):
        raise ValueError(f"image must be a uint8 (H, W) or (H, W, C) array, got {arr.dtype} {arr.shape}.")
    if arr.ndim == 2:
        return np.repeat(arr[..., None], 3, axis=2)
    if arr.shape[2] == 4:  # composite on white
        alpha = arr[..., 3:4].astype(np.float32) / 255.0
        return np.rint(arr[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    if arr.shape[2] == 1:
        return np.repeat(arr, 3, axis=2)
    return arr[..., :3]


def canny_edges(gray, sigma, edge_share):
    """Canny edges (uint8 0/255) of ``gray`` (uint8 (H, W)) smoothed by ``sigma``, the thresholds chosen so that
    about ``edge_share`` of the pixels are candidate edges (never below a gradient of 20: flat photos)."""
    smooth = cv2.GaussianBlur(gray, (0, 0), sigma)
    magnitude = np.hypot(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
    high = max(float(np.percentile(magnitude, 100 * (1 - edge_share))), 20.0)
    return cv2.Canny(smooth, 0.4 * high, high, L2gradient=True)


def photo_to_sketch(photo, domain="shoes"):
    """A line drawing of ``photo``: uint8 (H, W) with dark 1-2 px lines on white, the photo's size.

    Canny edges of the smoothed luminance, thresholds chosen so that about ``edge_share`` of the pixels are
    candidate edges, strokes shorter than ``min_stroke`` pixels removed (specks), lines slightly softened.
    """
    if domain not in DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(DOMAINS)}, got {domain!r}.")
    p = DOMAINS[domain]
    rgb = _rgb(photo)
    h, w = rgb.shape[:2]
    gray = cv2.cvtColor(cv2.resize(rgb, (WORK_SIZE, WORK_SIZE), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(canny_edges(gray, p["sigma"], p["edge_share"]),
                                                               connectivity=8)
    keep = np.zeros(count, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= p["min_stroke"]
    lines = keep[labels].astype(np.float32)
    lines = cv2.GaussianBlur(lines, (0, 0), 0.6) * 1.6  # anti-aliased, about 1.5 px wide
    sketch = np.clip(255.0 * (1.0 - lines), 0, 255).astype(np.uint8)
    return cv2.resize(sketch, (w, h), interpolation=cv2.INTER_AREA) if (h, w) != sketch.shape else sketch


def from_canvas(canvas, base=None):
    """A drawing canvas's RGBA image (transparent where nothing was drawn) as dark lines on white: dark strokes
    are ink, white strokes (the eraser: a white pen) clear it, also on ``base``, an optional sketch (H, W)
    shown behind the strokes (an example to start from)."""
    alpha = canvas[..., 3].astype(np.float32) / 255.0
    # any stroke that is not white is ink (light grey or yellow too); white is the eraser
    stroke = np.where(cv2.cvtColor(np.ascontiguousarray(canvas[..., :3]), cv2.COLOR_RGB2GRAY) < 245, 0.0, 255.0)
    under = np.full(alpha.shape, 255.0) if base is None else cv2.resize(
        base, (alpha.shape[1], alpha.shape[0]), interpolation=cv2.INTER_AREA).astype(np.float32)
    return np.clip(np.rint(under * (1.0 - alpha) + stroke * alpha), 0, 255).astype(np.uint8)


CANVAS_UNITS = 512  # strokes are given in a square of this many units a side, whatever its size on screen
MAX_STROKES, MAX_POINTS = 2_000, 50_000


def render_strokes(strokes, size=WORK_SIZE, base=None):
    """A drawing from canvas strokes: uint8 (size, size), dark lines on white.

    Args:
        strokes: a list of ``{"t": "pen" | "eraser", "w": width, "p": [[x, y], ...]}`` in a square of
            ``CANVAS_UNITS`` units (what the app's canvas sends; the eraser draws white, over ``base`` too).
        size: the side of the drawing in pixels.
        base: an optional sketch (H, W) under the strokes (an example to start from), resized to ``size``.

    Raises ValueError for anything that is not such a list (the strokes come from a browser).
    """
    if not isinstance(strokes, list) or len(strokes) > MAX_STROKES:
        raise ValueError(f"strokes must be a list of at most {MAX_STROKES} strokes.")
    out = np.full((size, size), 255, np.uint8) if base is None else cv2.resize(
        np.asarray(base, np.uint8), (size, size), interpolation=cv2.INTER_AREA)
    scale, total = size / CANVAS_UNITS, 0
    for stroke in strokes:
        try:
            points = np.asarray(stroke["p"], np.float64).reshape(-1, 2)
            width = float(stroke["w"])
            colour = 255 if stroke.get("t") == "eraser" else 0
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"a stroke must be {{t, w, p: [[x, y], ...]}}: {exc}") from None
        total += len(points)
        if total > MAX_POINTS or not np.isfinite(points).all() or not np.isfinite(width):
            raise ValueError(f"the drawing has too many points (at most {MAX_POINTS}) or bad numbers.")
        thickness = int(np.clip(round(width * scale), 1, size // 4))
        pts = np.rint(np.clip(points, 0, CANVAS_UNITS) * scale).astype(np.int32)
        if len(pts) == 1:
            cv2.circle(out, tuple(int(v) for v in pts[0]), max(1, thickness // 2), colour, -1, cv2.LINE_AA)
        elif len(pts):
            cv2.polylines(out, [pts], False, colour, thickness, cv2.LINE_AA)
    return out


def normalize_sketch(image):
    """Whatever a visitor drew or uploaded, as dark lines on white: uint8 (H, W).

    A canvas RGBA image with a transparent background is read as its strokes on white (``from_canvas``); a
    colour drawing becomes grey; an inverted drawing (light lines on a dark ground, e.g. an edge map) is flipped.
    Then the contrast is stretched from the paper to the ink: light pencil, grey or coloured lines and a scan's
    grey paper become black lines on white (no fixed threshold); a page with no visible line stays blank.
    """
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 4 and arr[..., 3].min() == 0:
        return from_canvas(arr)
    gray = cv2.cvtColor(_rgb(arr), cv2.COLOR_RGB2GRAY)
    if np.median(gray) < 128:  # mostly dark: light lines on black
        gray = 255 - gray
    return stretch_ink(gray)


MIN_CONTRAST = 16  # grey levels between the paper and the darkest lines for a line to count as drawn


def stretch_ink(gray):
    """Map the paper's grey (its median) to white and the ink's (the darkest 0.05% of pixels, so even a few
    1-pixel lines count) to black, linearly; a page whose darkest pixels are within ``MIN_CONTRAST`` of the
    paper has no line and becomes white."""
    gray = np.asarray(gray)
    paper = float(np.median(gray))
    ink = float(np.percentile(gray, 0.05))
    if paper - ink < MIN_CONTRAST:
        return np.full_like(gray, 255)
    ink = min(ink, paper - MIN_CONTRAST)
    out = (gray.astype(np.float32) - ink) / (paper - ink) * 255.0
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def is_blank(sketch, min_ink=0.001):
    """True when a (normalised) sketch has next to no dark pixels: an empty canvas."""
    return float(np.mean(np.asarray(sketch) < 128)) < min_ink


def to_square(sketch, size):
    """A sketch padded with white to a centred square and resized to ``size``, its lines kept black and at least
    1 px wide (plain area resizing turns thin lines grey, or loses them). Returns ``(square uint8 (size, size), (top, left, height, width))``, the box being
    where the original lies in the square, in the square's pixels."""
    h, w = sketch.shape
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    padded = np.full((side, side), 255, np.uint8)
    padded[top:top + h, left:left + w] = sketch
    k = side // size
    if k > 1:  # widen the lines to the reduction factor first, so that even 1 px lines survive it
        padded = cv2.erode(padded, np.ones((k, k), np.uint8))
    small = cv2.resize(padded, (size, size), interpolation=cv2.INTER_AREA)
    f = size / side
    box = (int(round(top * f)), int(round(left * f)), max(1, int(round(h * f))), max(1, int(round(w * f))))
    return np.where(small < 160, 0, 255).astype(np.uint8), box
