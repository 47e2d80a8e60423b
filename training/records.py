"""A run's records: its CSV logs, sample grids, progress GIF and learning curves (kept beside the weights)."""

import csv
from pathlib import Path

import numpy as np
from PIL import Image

from models import images
from models.uploads import write_atomic


def read_grid(path):
    """A sample grid as a loaded PIL image, or None (with a note) for a file a kill left empty or cut short by an
    older version, so that it never stops a resume, a GIF or an export."""
    try:
        with Image.open(path) as im:
            im.load()
            return im.copy()
    except (OSError, SyntaxError, ValueError) as exc:
        print(f"skipping the damaged sample grid {path.name} ({type(exc).__name__})", flush=True)
        return None


def plot_curves(series, path, panel=(300, 150), ncol=3):
    """Small-multiple line plots, one panel per ``{name: (steps, values)}`` entry, saved as a PNG (no plotting
    library needed). Each panel shows its name and the first, last and lowest value."""
    from PIL import ImageDraw  # noqa: PLC0415
    names = [n for n, (x, _) in series.items() if len(x) > 1]
    if not names:
        return None
    w, h = panel
    rows = -(-len(names) // ncol)
    canvas = Image.new("RGB", (w * min(ncol, len(names)), h * rows), "white")
    draw = ImageDraw.Draw(canvas)
    for i, name in enumerate(names):
        x, y = (np.asarray(v, dtype=np.float64) for v in series[name])
        ox, oy = (i % ncol) * w, (i // ncol) * h
        left, top, right, bottom = ox + 44, oy + 22, ox + w - 10, oy + h - 18
        lo, hi = float(np.nanmin(y)), float(np.nanmax(y))
        hi = hi if hi > lo else lo + 1.0
        pts = [(left + (right - left) * (a - x[0]) / max(x[-1] - x[0], 1), bottom - (bottom - top) * (b - lo) / (hi - lo))
               for a, b in zip(x, y)]
        draw.rectangle([left, top, right, bottom], outline=(200, 200, 200))
        draw.line(pts, fill=(91, 75, 219), width=2)
        draw.text((ox + 6, oy + 4), f"{name}: {y[0]:.4g} -> {y[-1]:.4g} (min {lo:.4g})", fill=(30, 30, 30))
        draw.text((ox + 4, top), f"{hi:.3g}", fill=(120, 120, 120))
        draw.text((ox + 4, bottom - 10), f"{lo:.3g}", fill=(120, 120, 120))
        draw.text((left, bottom + 3), f"step {int(x[0])}", fill=(120, 120, 120))
        draw.text((right - 70, bottom + 3), f"{int(x[-1])}", fill=(120, 120, 120))
    write_atomic(path, images.png_bytes(np.asarray(canvas)))
    return path


def csv_series(rows):
    """``{column: (steps, values)}`` for every numeric column of a run's CSV rows, except step and seconds."""
    out = {}
    for key in (rows[0] if rows else {}):
        if key in ("step", "seconds"):
            continue
        pairs = [(float(r["step"]), float(r[key])) for r in rows if r.get(key) not in (None, "")]
        if pairs:
            out[key] = tuple(zip(*pairs))
    return out


GIF_BYTES = 1_200_000  # a shipped progress GIF stays small (tests/test_weights.py allows 1.5 MB a history file)


def save_history(out, weights_dir, name, max_frames=24, max_side=256):
    """Keep a run's learning record beside its weights, for the app's "How they learned" page and the README:
    ``weights/history/NAME/`` gets log.csv, eval.csv, a progress GIF (at most ``max_frames`` frames of at most
    ``max_side`` pixels, and fewer while it is over ``GIF_BYTES``, so the repository stays small) and curves.png.
    Returns the files, relative to ``weights_dir``."""
    out, weights_dir = Path(out), Path(weights_dir)
    dest = weights_dir / "history" / name
    dest.mkdir(parents=True, exist_ok=True)
    files, rows = {}, []
    for fname in ("log.csv", "eval.csv"):
        if (out / fname).exists():
            write_atomic(dest / fname, (out / fname).read_bytes())
            files[fname.split(".")[0]] = f"history/{name}/{fname}"
            rows.append(read_csv(out / fname))
    paths = sorted((out / "samples").glob("step_*.png"))
    count, gif = min(max_frames, len(paths)), None
    while count:  # fewer frames until it is small
        gif = _gif([paths[i] for i in _spaced(len(paths), count)], 250, max_side)
        if gif is None or len(gif) <= GIF_BYTES or count <= 2:
            break
        count = max(2, count * 2 // 3)
    if gif:
        write_atomic(dest / "progress.gif", gif)
        files["gif"] = f"history/{name}/progress.gif"
    series = {k: v for r in rows for k, v in csv_series(r).items()}
    if plot_curves(series, dest / "curves.png"):
        files["curves"] = f"history/{name}/curves.png"
    return files


def write_progress_gif(out, max_frames=60):
    """Animate the run's sample grids (at most ``max_frames``, evenly spaced) into ``progress.gif``."""
    paths = sorted((Path(out) / "samples").glob("step_*.png"))
    gif = _gif([paths[i] for i in _spaced(len(paths), max_frames)], 150)
    if gif is None:
        return None
    target = Path(out) / "progress.gif"
    write_atomic(target, gif)
    return target


def _spaced(total, count):
    """At most ``count`` evenly spaced indices of ``total`` items, the first and the last among them."""
    return np.unique(np.linspace(0, total - 1, min(count, total)).round().astype(int)) if total else []


def _gif(paths, duration_ms, max_side=None):
    """The sample grids at ``paths`` (damaged ones skipped, each shrunk to ``max_side`` if given) as GIF bytes,
    or None if none could be read."""
    frames = []
    for im in map(read_grid, paths):
        if im is not None:
            if max_side:
                im = im.convert("RGB")
                im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            frames.append(np.asarray(im))
    return images.gif_bytes(frames, duration_ms=duration_ms) if frames else None


def read_csv(path):
    """Rows of a run's CSV file (log.csv, eval.csv) as dicts; [] if it does not exist yet."""
    path = Path(path)
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
