"""Drawings as people make them: a synthesiser of free-hand-like sketches from photos (for training), and the
outline measure that checks a model on real drawings (for evaluation).

People draw mostly the outline and a few inner lines, with wobbly, broken and overshooting strokes; a Canny
edge map (``models.sketch.photo_to_sketch``) has every texture edge and no gaps. ``draw_like_a_person`` makes the
former from a photo, with a seeded generator so that a training set is the same on every run:

- shoes: the outer contour of the shoe (the photo's non-white pixels), plus a random share of the longer inner
  edges (15 to 80% of them, none in a fifth of the drawings);
- faces: the longest edges of a smoothed photo (head outline, hair line) and the longest of those in the
  middle of the (aligned) face (eyes, nose, mouth); a few of each for a very simple drawing.

Every line is simplified to a polygon, resampled, wobbled by a smooth random offset (up to 2.5 px at 256 px),
broken into strokes with gaps, lengthened past its ends now and then (overshoot), and drawn 1 to 3 px wide.
All images are uint8 (H, W): dark lines (0) on white (255), at 256x256 (``models.sketch.WORK_SIZE``).
"""

import cv2
import numpy as np

from models import sketch

SIZE = sketch.WORK_SIZE


def _largest_contour(mask):
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    return max(contours, key=cv2.contourArea) if contours else None


def fill_outline(ink, close=3):
    """The region a drawing encloses: its ink (bool (H, W)) grown by ``close`` px to bridge small gaps, every
    pixel the image's border cannot reach through the background added, and shrunk back. Bool (H, W)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * close + 1, 2 * close + 1))
    grown = cv2.dilate(ink.astype(np.uint8), kernel)
    padded = cv2.copyMakeBorder(grown, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    outside = padded.copy()
    cv2.floodFill(outside, None, (0, 0), 2)
    filled = (outside[1:-1, 1:-1] != 2).astype(np.uint8)
    return cv2.erode(filled, kernel).astype(bool) | ink.astype(bool)


def object_mask(photo, white=225):
    """The object in a product photo on a white ground: pixels with a channel darker than ``white``, holes
    filled (a white sole or lace is still shoe), specks removed. Bool (H, W). (The shoe photos' ground is
    253-255; a generated photo's is paler and noisier, hence the default.)"""
    rgb = np.asarray(photo)
    dark = (rgb.min(axis=2) if rgb.ndim == 3 else rgb) < white
    dark = cv2.morphologyEx(dark.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)).astype(bool)
    return fill_outline(dark, close=2)


def _enclosed_on_three_sides(ink):
    """Pixels with ink to their left, right, above and below, one of the four allowed to be missing: the
    inside of an outline left open on one side (a boot drawn without its top line). Bool (H, W)."""
    def seen(a, axis):  # ink at or before each pixel along ``axis``
        return np.maximum.accumulate(a, axis=axis)
    ink = ink.astype(np.uint8)
    sides = [seen(ink, 1), seen(ink[:, ::-1], 1)[:, ::-1], seen(ink, 0), seen(ink[::-1], 0)[::-1]]
    return np.sum(sides, axis=0) >= 3


def drawing_region(ink, close=2):
    """The region a drawing's outline encloses (bool (H, W)): ``fill_outline``, or, for an outline left open
    (the filled area under half of the area enclosed on three sides), the pixels enclosed on three sides."""
    filled, three = fill_outline(ink, close), _enclosed_on_three_sides(ink)
    return filled | three if filled.sum() < 0.5 * three.sum() else filled


def outline_region(drawing, h, w):
    """The region a drawing (normalised, dark lines on white, any size) encloses, at (h, w). Bool (h, w).

    Its lines are widened to the reduction factor first, as the model's input is (``sketch.to_square``): a 1 px
    line reduced by area turns grey and breaks the outline. Gaps are bridged by 1/32 of the width (4 px at 128:
    gaps of up to 8 px, a sixteenth of the drawing): people leave such gaps, and with 2 px the fill leaked through
    them in 20 of the 304 drawings of ``sketches/shoes_human`` (a fifth or more of the region lost), 3 with 4 px."""
    drawing = np.asarray(drawing)
    k = min(drawing.shape[0] // h, drawing.shape[1] // w)
    if k > 1:
        drawing = cv2.erode(drawing, np.ones((k, k), np.uint8))
    ink = cv2.resize(drawing, (w, h), interpolation=cv2.INTER_AREA) < 160
    return drawing_region(ink, close=max(2, w // 32))


def outline_iou(drawing, output):
    """Intersection over union of the region a drawing encloses (``outline_region``) and the object in
    ``output`` (a generated photo, ``object_mask``), at the output's size."""
    a, b = outline_region(drawing, *output.shape[:2]), object_mask(output)
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


# ---------------------------------------------------------------------------------------------- synthesiser

def _resample(points, spacing):
    """A polyline (N, 2) resampled at about ``spacing`` px along its length."""
    seg = np.hypot(*np.diff(points, axis=0).T)
    dist = np.concatenate([[0.0], np.cumsum(seg)])
    if dist[-1] < spacing:
        return points.astype(np.float64)
    t = np.linspace(0.0, dist[-1], int(dist[-1] // spacing) + 1)
    return np.stack([np.interp(t, dist, points[:, 0]), np.interp(t, dist, points[:, 1])], axis=1)


def _smooth_noise(rng, n, amplitude, corr=6):
    """(n, 2) random offsets that vary smoothly along a stroke (a hand's slow wobble)."""
    knots = max(2, n // corr + 2)
    base = rng.normal(0.0, amplitude, (knots, 2))
    x = np.linspace(0, knots - 1, n)
    return np.stack([np.interp(x, np.arange(knots), base[:, i]) for i in range(2)], axis=1)


def _strokes(points, rng, closed, style):
    """One traced line as a hand draws it: simplified, wobbled, cut into strokes with gaps and overshoots.
    Returns a list of int32 polylines."""
    pts = points.reshape(-1, 2).astype(np.float32)
    if len(pts) > 12:  # a hand draws smooth curves, not the pixel staircase of a traced mask
        k = np.ones(9, np.float32) / 9
        mode = "wrap" if closed else "edge"
        pts = np.stack([np.convolve(np.pad(pts[:, i], 4, mode=mode), k, "valid") for i in range(2)], axis=1)
    if closed:
        pts = np.concatenate([pts, pts[:1]])
    pts = cv2.approxPolyDP(pts, style["simplify"], False).reshape(-1, 2).astype(np.float64)
    if len(pts) < 2:
        return []
    pts = _resample(pts, 4.0)
    pts = pts + _smooth_noise(rng, len(pts), style["wobble"])
    out, i = [], 0
    while i < len(pts) - 1:
        n = int(rng.integers(10, 40))  # 40 to 160 px per stroke
        stroke = pts[i:i + n + 1]
        if len(stroke) >= 2 and rng.random() < style["overshoot"]:  # run past the end a little
            d = stroke[-1] - stroke[-2]
            stroke = np.concatenate([stroke, stroke[-1:] + d / max(np.hypot(*d), 1e-6) * rng.uniform(2, 7)])
        out.append(np.rint(stroke).astype(np.int32))
        i += n + (int(rng.integers(1, 3)) if rng.random() < style["gaps"] else 0)  # a gap of 4 to 8 px
    return out


def _style(rng):
    return {"simplify": rng.uniform(0.8, 3.0), "wobble": rng.uniform(0.3, 2.5), "gaps": rng.uniform(0.0, 0.5),
            "overshoot": rng.uniform(0.0, 0.5), "width": int(rng.choice([1, 1, 2, 2, 3]))}


def _edge_components(rgb, domain, sigma, within=None):
    """Canny edges of the smoothed luminance (only those ``within`` a bool mask, if given) as connected
    components: (labels (H, W), areas longest first, their label numbers)."""
    edges = sketch.canny_edges(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), sigma, sketch.DOMAINS[domain]["edge_share"])
    if within is not None:
        edges = edges * within.astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(edges, connectivity=8)
    order = 1 + np.argsort(-stats[1:, cv2.CC_STAT_AREA])
    return labels, stats[order, cv2.CC_STAT_AREA], order


def _wobble(ink, rng, amplitude, corr=24):
    """``ink`` (float (H, W)) displaced by a smooth random field of up to about ``amplitude`` px."""
    h, w = ink.shape
    coarse = rng.normal(0.0, amplitude, (2, h // corr + 2, w // corr + 2)).astype(np.float32)
    dx, dy = (cv2.resize(c, (w, h), interpolation=cv2.INTER_CUBIC) for c in coarse)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(ink, gx + dx, gy + dy, cv2.INTER_LINEAR, borderValue=0.0)


def _gaps(ink, rng, share):
    """Breaks in the lines: about ``share`` of short stretches of line removed by small white discs."""
    ys, xs = np.nonzero(ink > 0.5)
    if not len(ys) or share <= 0:
        return ink
    out = ink.copy()
    for i in rng.choice(len(ys), int(len(ys) * share / 40) + 1, replace=False):
        cv2.circle(out, (int(xs[i]), int(ys[i])), int(rng.integers(2, 5)), 0.0, -1)
    return out


def draw_like_a_person(photo, rng, domain="shoes"):
    """A free-hand-like drawing of ``photo`` (uint8 RGB, any size; resized to 256x256): uint8 (256, 256),
    dark lines on white. ``rng`` is a ``numpy.random.Generator`` (seed it for a reproducible drawing)."""
    if domain not in sketch.DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(sketch.DOMAINS)}, got {domain!r}.")
    rgb = cv2.resize(sketch._rgb(photo), (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    style = _style(rng)
    ink = np.zeros((SIZE, SIZE), np.float32)
    if domain == "shoes":
        mask = object_mask(rgb, white=245)
        mask = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 2.0) > 0.5  # no pixel-sized notches
        outer = _largest_contour(mask)
        if outer is not None:  # the outline, traced as a hand would
            cv2.polylines(ink, _strokes(outer, rng, True, style), False, 1.0, thickness=1, lineType=cv2.LINE_AA)
        share = 0.0 if rng.random() < 0.2 else rng.uniform(0.15, 0.8)
        inside = cv2.erode(mask.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)  # not the outline
        labels, areas, order = _edge_components(rgb, domain, rng.uniform(1.4, 2.4), inside)
        inner = [k for k, a in zip(order, areas) if a >= 20]
        chosen = rng.permutation(inner[:int(np.ceil(share * len(inner) * 1.5))])[:int(round(share * len(inner)))]
    else:
        # the longest lines (head, hair) and, inside the central box where aligned faces have their eyes,
        # nose and mouth, the longest there; a very simple drawing has only a few of each
        labels, areas, order = _edge_components(rgb, domain, rng.uniform(2.0, 3.5))
        long_lines = [k for k, a in zip(order, areas) if a >= 25]
        ys, xs = np.nonzero(labels)
        centre = np.zeros(labels.max() + 1, bool)
        np.logical_or.at(centre, labels[ys, xs], (ys > 0.35 * SIZE) & (ys < 0.8 * SIZE)
                         & (xs > 0.25 * SIZE) & (xs < 0.75 * SIZE))
        features = [k for k, a in zip(order, areas) if a >= 8 and centre[k]]
        simple = rng.random() < 0.4
        chosen = long_lines[:int(rng.integers(2, 5) if simple else rng.integers(4, 10))] + \
            features[:int(rng.integers(2, 5) if simple else rng.integers(4, 9))]
    if len(chosen):  # inner lines: a subset of the photo's edges, the longer ones first
        ink = np.maximum(ink, np.isin(labels, chosen).astype(np.float32))
    ink = _gaps(_wobble(ink, rng, style["wobble"]), rng, style["gaps"])
    if style["width"] > 1:
        ink = cv2.dilate(ink, np.ones((style["width"], style["width"]), np.uint8))
    return np.clip(255.0 * (1.0 - ink), 0, 255).astype(np.uint8)
