"""Small helpers the pages share: error display (logged, never a traceback) and images."""

import base64
import html
import json
import logging
import random
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import streamlit as st
from streamlit.components.v2.bidi_component import main as bidi_main
from streamlit.components.v2.bidi_component import serialization as bidi_serialization

import numpy as np

from models import images
from models.weights import read_manifest

log = logging.getLogger("gan_studio")

# The demos, in menu order. A demo is offered once a model of its task is in weights/manifest.json ("history":
# once some model's learning record is).
DEMOS = [
    {"page": "views/digits.py", "title": "Handwritten digits", "icon": ":material/draw:", "task": "digits",
     "blurb": "four GANs (2014 to 2015 designs) trained on MNIST. Pick a digit, a seed, and walk smoothly "
              "between two seeds."},
    {"page": "views/upscale.py", "title": "Super-resolution", "icon": ":material/zoom_in:", "task": "sr",
     "blurb": "upload a small photo and get it back 4x larger and sharper, compared with bicubic, and measure "
              "the model on your own high-resolution photo."},
    {"page": "views/sketch.py", "title": "Sketch to photo", "icon": ":material/brush:", "task": "pix2pix",
     "blurb": "draw a shoe or a face (or upload a drawing or a photo) and a Pix2Pix network paints a photo of it."},
    {"page": "views/images.py", "title": "Image GANs", "icon": ":material/palette:", "task": "images",
     "blurb": "DCGAN and SAGAN paint 32x32 objects and 64x64 faces from noise; faces can be upscaled to 256 by "
              "the face SRGAN in one click."},
    {"page": "views/history.py", "title": "How they learned", "icon": ":material/timeline:", "task": "history",
     "blurb": "every model's training in pictures: samples as training went on, loss and quality curves, time, "
              "hardware and the command to retrain it."},
]


def available_demos():
    """The demos whose models are installed."""
    entries = read_manifest().values()  # no TensorFlow needed for this
    tasks = {entry.get("task") for entry in entries} | ({"history"} if any(e.get("history") for e in entries) else set())
    return [d for d in DEMOS if d["task"] in tasks]


def models_or_stop(task, what, train_hint):
    """The installed models of ``task`` by name; with none, say how to train one and stop the page."""
    from models import inference  # noqa: PLC0415
    models = {m["name"]: m for m in inference.list_models(task)}
    if not models:
        st.warning(f"No {what} models are installed in `weights/`. Train one with `{train_hint}`.")
        st.stop()
    return models


UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]


MIN_SIDE = 8  # pixels: smaller uploads are refused with this number, up front


def read_upload(upload, max_pixels):
    """Decoded ``(rgb, alpha)`` of an uploaded image, or None after telling the visitor what is wrong. A photo
    over ``max_pixels`` (a phone's 12 megapixels, say) comes with a button that shrinks it to fit and goes on."""
    from models import uploads  # noqa: PLC0415
    shrink_key = f"_shrink_{upload.file_id}"
    try:
        return uploads.decode_image(upload.getvalue(), max_pixels=max_pixels, min_side=MIN_SIDE,
                                    shrink=st.session_state.get(shrink_key, False))
    except uploads.ImageTooLarge as exc:
        show_error(exc, f"Could not use {literal(upload.name)} as it is")
        if st.button(f"Shrink it to {max_pixels / 1e6:.1f} megapixels and go on", icon=":material/photo_size_select_large:",
                     key=f"shrink_{upload.file_id}"):
            st.session_state[shrink_key] = True
            st.rerun()
        return None
    except uploads.ImageError as exc:
        show_error(exc, f"Could not use {literal(upload.name)}")
        return None


def release_uploads(files):
    """Free the bytes Streamlit holds of uploaded ``files`` (it keeps every upload in memory until the visitor
    removes it or the session ends) once the page is done with them; give their uploader a new key after this."""
    from streamlit.runtime import Runtime  # noqa: PLC0415
    from streamlit.runtime.scriptrunner import get_script_run_ctx  # noqa: PLC0415
    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():  # a bare script run (AppTest): nothing is held
        return
    manager = Runtime.instance().uploaded_file_mgr
    for upload in files:
        manager.remove_file(ctx.session_id, upload.file_id)


MARKDOWN_SPECIALS = set("\\\\`*_[]()<>#!|~$&:")


def literal(text):
    """``text`` (a file name a visitor chose, say) shown as it is inside Markdown: every character Markdown
    could read as syntax is escaped (``![x](http://...).png`` made the browser fetch that address)."""
    return "".join("\\" + c if c in MARKDOWN_SPECIALS else c for c in str(text).replace("\n", " "))


def seed_controls(key):
    """A seed box and a "New seed" button (a random seed) side by side; returns the seed."""
    if key not in st.session_state:
        st.session_state[key] = 0

    def new_seed():
        st.session_state[key] = random.randrange(100_000)

    seed_col, button_col = st.columns([1, 1], vertical_alignment="bottom")
    seed = seed_col.number_input("Seed", 0, 99_999, step=1, key=key)
    button_col.button("New seed", on_click=new_seed, icon=":material/casino:", key=f"{key}_new")
    return int(seed)


def result_first(key):
    """A container whose columns (controls left, result right on a desktop) stack with the result on top on a
    phone, so that what a visitor asked for lands where they look, not a screen below the controls."""
    st.html(f"<style>@media (max-width: 640px) {{ .st-key-{key} [data-testid='stHorizontalBlock'] "
            "{ flex-direction: column-reverse; } }</style>")
    return st.container(key=key)


def rerun_page_when_changed(key, state):
    """In a fragment: rerun the whole page when ``state`` (what other parts of the page depend on, such as the
    model and the seed) differs from the last run's, so that those parts follow."""
    if st.session_state.get(key, state) != state:
        st.session_state[key] = state
        st.rerun(scope="app")
    st.session_state[key] = state


def walk_end(from_key, to_key, seed):
    """The latent walk's "To seed" (widget ``to_key``): the seed after ``seed`` whenever the seed on screen
    changes, except on the first run, where a shared link may have set it."""
    if st.session_state.get(from_key) != seed:
        first = from_key not in st.session_state
        st.session_state[from_key] = seed
        if not first or to_key not in st.session_state:
            st.session_state[to_key] = (seed + 1) % 100_000


def show_walk(strip, seed, seed_b, scale, gif_scale, gif_width):
    """A latent walk's frames: animated (a boomerang GIF) beside all of them in rows of 8 (readable even at 32
    frames). Returns the GIF's bytes, for a download button."""
    gif = images.gif_bytes([images.upscale_nearest(f, gif_scale) for f in strip], boomerang=True)
    left, right = st.columns([1, 2], gap="large")
    left.image(gif, caption=f"The walk, animated: seed {seed} to {seed_b}", width=gif_width)
    right.image(images.upscale_nearest(images.make_grid(strip, ncol=walk_columns(len(strip))), scale),
                output_format="PNG", caption=f"The {len(strip)} frames, left to right and top to bottom")
    return gif


def walk_columns(frames):
    """Frames per row of a walk's grid: all of them up to 8, else from 5 to 8 the count that leaves the fewest
    empty cells in the last row (10 frames: two rows of 5, not 8 and a black block of 6)."""
    if frames <= 8:
        return frames
    return min(range(8, 4, -1), key=lambda c: -frames % c)


def scroll_here_on_phones():
    """On a narrow screen, scroll the page so that what follows is in view (a result that the stacked columns
    put below the controls)."""
    anchor = f"gs-anchor-{uuid.uuid4().hex[:8]}"
    st.html(f'<div id="{anchor}"></div><script>if (window.innerWidth <= 640) setTimeout(() => {{ const a = '
            f'document.getElementById("{anchor}"); if (a) a.scrollIntoView({{behavior: "smooth", block: "start"}}); '
            '}, 300);</script>', unsafe_allow_javascript=True)  # after the result below it is laid out


def scroll_on_change(key, state):
    """``scroll_here_on_phones`` when ``state`` (what the result below depends on: model, seed, ...) differs from
    the last run's, not on a first visit: after "New seed" under a grid, the grid was a screen above."""
    last = st.session_state.get(key)
    st.session_state[key] = state
    if last is not None and last != state:
        scroll_here_on_phones()
    else:  # the same element in its place either way: the result after it is not re-created for it
        st.html('<div class="gs-anchor"></div>', unsafe_allow_javascript=True)


def keep(key, default=None, allowed=None):
    """Give widget ``key`` its last value (``kept``), else ``default``, before it is drawn: Streamlit forgets the
    state of a widget a run did not draw (the digit reset after Grid -> All digits -> Grid; a choice lost on a
    visit to another page). A value outside ``allowed``, or None, leaves the widget its own default."""
    if key in st.session_state:
        return
    value = st.session_state.get(f"_kept_{key}", default)
    if value is not None and (allowed is None or value in allowed):
        st.session_state[key] = value


def kept(value, key):
    """Remember widget ``key``'s ``value`` for ``keep``; returns it."""
    st.session_state[f"_kept_{key}"] = value
    return value


def kept_radio(label, options, key, **kwargs):
    """``st.radio`` whose choice survives visits to other pages (``keep`` and ``kept``)."""
    keep(key, allowed=options)
    return kept(st.radio(label, options, key=key, **kwargs), key)


def from_url(key, param, parse, allowed=None):
    """Start widget ``key`` from the page address (``?param=value``) on a visitor's first run, so that a shared
    link shows exactly what its sender saw. A value that does not parse or is not ``allowed`` is ignored."""
    if key in st.session_state or param not in st.query_params:
        return
    try:
        value = parse(st.query_params[param])
    except (TypeError, ValueError):
        return
    if allowed is None or value in allowed:
        st.session_state[key] = value


def to_url(**params):
    """Write the page's state into its address (``st.query_params``); None removes a parameter."""
    for name, value in params.items():
        if value is None:
            st.query_params.pop(name, None)
        elif st.query_params.get(name) != str(value):
            st.query_params[name] = str(value)


def seed_from_url(key, param="seed"):
    from_url(key, param, int, range(0, 100_000))


def show_error(exc, what="That did not work"):
    """Tell the visitor what went wrong in plain words and log it for the operator: one line for a refusal the
    pages expect (bad input, a missing or damaged weights file), the traceback for anything else."""
    from models.weights import WeightsError  # noqa: PLC0415
    expected = isinstance(exc, (ValueError, WeightsError))
    log.warning("%s: %s: %s", what, type(exc).__name__, exc, exc_info=None if expected else exc)
    st.error(f"**{what}.** {exc}", icon=":material/error:")


def show_image(image, caption=None, scale=1, download_name=None, key=None):
    """Show a uint8 image enlarged by ``scale`` (nearest neighbour, crisp pixels), with a PNG download."""
    png = images.png_bytes(images.upscale_nearest(image, scale) if scale > 1 else image)
    st.image(png, caption=caption)  # PNG: crisp pixels; encoded once here for both (st.image's own took 170 ms)
    if download_name:
        st.download_button("Download PNG", png, file_name=download_name, mime="image/png",
                           icon=":material/download:", key=key)


COMPARE_TEMPLATE = Path(__file__).resolve().parent / "assets" / "compare" / "compare.html"
COMPARE_MAX_PIXELS = 1280 * 1280  # larger results are compared on their centre crop (the download is whole)


CANVAS_DIR = Path(__file__).resolve().parent / "assets" / "canvas"
class _ShallowJson:
    """``json`` as Streamlit's component-state parsing sees it: a message nested too deeply to parse is invalid
    JSON, which Streamlit already handles (the state is dropped, one warning logged), rather than a RecursionError
    raised inside Streamlit that broke the visitor's session until a reload. ``drawing_canvas`` says so."""

    refused = threading.local()

    def __getattr__(self, name):
        return getattr(json, name)

    def loads(self, text, *args, **kwargs):
        try:
            return json.loads(text, *args, **kwargs)
        except RecursionError:
            self.refused.flag = True
            raise json.JSONDecodeError("nested too deeply to read", "", 0) from None


_shallow_json = _ShallowJson()
for _module in (bidi_serialization, bidi_main):
    _module.json = _shallow_json

_canvas = st.components.v2.component(
    "gan_studio.canvas", js=(CANVAS_DIR / "canvas.js").read_text(), css=(CANVAS_DIR / "canvas.css").read_text())


def png_data_url(image):
    """A uint8 image as a ``data:image/png;base64,...`` URL (small pictures inside a component)."""
    return "data:image/png;base64," + base64.b64encode(images.png_bytes(image)).decode()


def photo_html(image, caption, alt, peek=False):
    """A picture with its caption as HTML, the image inline (a data URL) rather than a Streamlit media file: when
    strokes come fast, a rerun interrupted before its ``st.image`` let Streamlit delete the file on screen, and a
    next run with an identical picture reused the dead URL (a broken image until the next stroke).

    ``peek``: on a phone, while the picture is out of view, a small copy of it floats in the corner (tap it to go
    to the picture), so that a stroke's result on a canvas above it is in view without scrolling; it belongs to
    this element and goes with it. Show it with ``st.html(..., unsafe_allow_javascript=True)``."""
    figure = f"gs-photo-{uuid.uuid4().hex[:8]}"
    out = (f'<figure id="{figure}" class="gs-photo" style="margin:0"><img alt="{html.escape(alt)}" '
           f'src="{png_data_url(image)}" style="width:100%;height:auto;display:block;border-radius:0.5rem">'
           '<figcaption style="text-align:center;font-size:0.875rem;opacity:0.65;margin-top:0.4rem">'
           f'{html.escape(caption)}</figcaption>')
    out += "</figure>"
    if peek:  # beside the figure, not in it: the figure holds one picture
        out += ('<img class="gs-photo-peek" alt="The photo, small: tap to go to it" style="position:fixed;right:12px;'
                'bottom:12px;width:34vw;max-width:180px;border-radius:0.5rem;box-shadow:0 2px 12px rgba(0,0,0,.35);'
                'z-index:999990;display:none;background:#fff;cursor:pointer">'
                f'<script>(() => {{ const f = document.getElementById("{figure}"); if (!f) return;'
                ' const photo = f.querySelector("img"), peek = f.nextElementSibling;'
                ' peek.src = photo.src; peek.onclick = () => photo.scrollIntoView({behavior: "smooth", block: "center"});'
                ' new IntersectionObserver(([e]) => { peek.style.display = !e.isIntersecting && window.innerWidth <= 640'
                ' ? "block" : "none"; }).observe(photo); })();</script>')
    return out


def drawing_canvas(key, drawing, tool="pen", width=8, line=False, examples=(), on_change=None):
    """Our drawing canvas (``assets/canvas``): as wide as its column, mouse, pen and touch, with Undo, Redo and
    Clear buttons and clickable example thumbnails.

    Args:
        key: the widget key.
        drawing: ``{"version": int, "strokes": [...], "example": name or None}``, what to show (kept by the page
            in ``st.session_state``; a higher version than the canvas's own replaces its drawing, a step its Undo
            takes back).
        tool: "pen" or "eraser"; width: the stroke width in canvas units (512 a side); line: straight lines.
        examples: ``[(name, label, uint8 sketch), ...]`` shown under the canvas; picking one starts the drawing
            on it (in the browser: one step for Undo), Clear leaves a blank canvas.
        on_change: called with the canvas's new ``{"version", "strokes", "example"}`` when a stroke ends, at the
            start of the next run (so also when that run no longer shows this canvas: a subject switched at once).

    Returns the canvas's latest drawing, or None.
    """
    def changed():
        value = st.session_state.get(key)
        if on_change is not None and value is not None and value.get("drawing") is not None:
            on_change(value["drawing"])

    result = _canvas(key=key, data={
        "version": drawing["version"], "strokes": drawing["strokes"], "example": drawing.get("example"),
        "tool": tool, "width": width, "line": line,
        "examples": [{"name": n, "label": label, "url": png_data_url(t)} for n, label, t in examples]},
        default={"drawing": None}, on_drawing_change=changed)
    if getattr(_shallow_json.refused, "flag", False):  # in this run's callbacks or just now
        _shallow_json.refused.flag = False
        show_error(ValueError("the canvas sent a message nested too deeply to read. Draw again, or press Clear."),
                   "Could not read the drawing")
        return None
    return result.drawing


def compare_html(left, right, left_label, right_label):
    """A before/after comparison that runs in the visitor's browser: a divider to drag (or a slider, also by
    keyboard and touch), 1x/2x/4x zoom with crisp pixels, and panning by dragging. Both images go in once as
    lossless PNG; moving the divider or zooming costs the server nothing. Nothing is fetched from elsewhere.

    ``left``/``right``: uint8 arrays of one shape. Returns ``(html for st.html with JavaScript, cropped)``, where
    ``cropped`` says the images were cut to their centre to stay light.
    """
    left, right = np.asarray(left), np.asarray(right)
    h, w = left.shape[:2]
    cropped = h * w > COMPARE_MAX_PIXELS
    if cropped:
        side = int(COMPARE_MAX_PIXELS ** 0.5)
        left, right = (images.crop_around(x, 0.5, 0.5, side) for x in (left, right))
        h, w = left.shape[:2]
    fill = {"__ID__": f"gs-cmp-{uuid.uuid4().hex[:10]}", "__W__": str(w), "__H__": str(h),
            "__MAXW__": str(max(w, 768)),  # small results are shown enlarged to a readable size
            "__LEFT_LABEL__": html.escape(left_label), "__RIGHT_LABEL__": html.escape(right_label),
            "__LEFT__": base64.b64encode(images.png_bytes(left)).decode(),
            "__RIGHT__": base64.b64encode(images.png_bytes(right)).decode()}
    page = COMPARE_TEMPLATE.read_text()
    for key, value in fill.items():
        page = page.replace(key, value)
    return page, cropped


class JobQueue:
    """At most ``slots`` heavy jobs at once in this server process, the others waiting in arrival order.

    ``with queue.slot(on_wait): ...`` runs the block when a slot is free; while it waits, ``on_wait(position)``
    is called whenever its place in the line changes (1: next).
    """

    def __init__(self, slots):
        self.slots, self.running, self.line = max(1, int(slots)), 0, []
        self.cond = threading.Condition()

    @contextmanager
    def slot(self, on_wait=None):
        ticket = object()
        with self.cond:
            self.line.append(ticket)
            shown = None
            try:
                while self.running >= self.slots or self.line[0] is not ticket:
                    position = self.line.index(ticket) + 1
                    if on_wait and position != shown:
                        on_wait(position)  # may raise (Streamlit stops a script this way): leave the line
                        shown = position
                    self.cond.wait(timeout=0.5)
            except BaseException:
                self.line.remove(ticket)
                self.cond.notify_all()
                raise
            self.line.pop(0)
            self.running += 1
            self.cond.notify_all()  # the others move up the line: let them say so
        try:
            yield
        finally:
            with self.cond:
                self.running -= 1
                self.cond.notify_all()

    def waiting(self):
        with self.cond:
            return len(self.line)
