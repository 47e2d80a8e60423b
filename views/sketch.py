"""Sketch to photo: draw a shoe or a face (or upload a drawing or a photo); Pix2Pix paints a photo of it."""

import random
import time
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

import ui
from models import images, inference, sketch, uploads

EXAMPLES = Path(__file__).resolve().parent.parent / "assets" / "sketches"
MAX_UPLOAD_PIXELS = 4096 * 4096
SUBJECTS = {"shoes": "a shoe", "faces": "a face"}
TOOLS = {"Pen": ("pen", False), "Line": ("pen", True), "Eraser": ("eraser", False)}

st.title("Sketch to photo")
ui.models_or_stop("pix2pix", "sketch-to-photo",
                  "python -m training.pix2pix --name pix2pix_shoes --domain shoes --data DIR --export")
subjects = inference.sketch_subjects()  # shoes, faces (the sharper first), then any other pix2pix model by name
domains = list(subjects)
labels = {d: SUBJECTS.get(d) or entry.get("title", d) for d, entry in subjects.items()}  # "a shoe", "Handbags"
st.caption(f"Draw {' or '.join(labels[d] for d in domains)}: the outline and a few lines are enough. A network "
           "that learned from thousands of photos and drawings of them paints a photo to match.")
with st.expander("How this works", icon=":material/school:"):
    st.markdown(
        "**Pix2Pix** (2017) is a *conditional* GAN: its generator gets your sketch instead of random noise. It is "
        "a U-Net, which squeezes the sketch down to a summary and paints the photo back up, with shortcuts that "
        "keep your lines where you drew them. Its discriminator looks at 70x70-pixel patches of (sketch, photo) "
        "pairs and says whether each patch looks like a real photo of that sketch.\n\n"
        "Its training sketches were made from photos in two ways: by an edge detector (try *From a photo* to see "
        "one), and by a program that draws like people do: the outline and a few inner lines, wobbly, broken and "
        "of any width. *Variation* keeps the network's dropout switched on: each seed gives another plausible "
        "photo.")


@st.cache_data(show_spinner=False)
def example_sketches(domain):
    """``{name: (label, uint8 (H, W) sketch)}`` of the bundled examples for ``domain``."""
    return {p.stem: (f"example {p.stem.rsplit('_', 1)[-1]}", np.asarray(Image.open(p).convert("L")))
            for p in sorted(EXAMPLES.glob(f"{domain}_*.png"))}


def drawing_state(domain):
    """This session's drawing for ``domain`` (kept across subjects, input modes and pages)."""
    return st.session_state.setdefault(f"p2p_drawing_{domain}", {"version": 0, "strokes": [], "example": None})


def keep_strokes(domain, sent):
    """The canvas sent a drawing for ``domain``: keep it when it is newer than the kept one (it comes from a
    browser: anything else is ignored here, unreadable strokes are reported when drawn, and an example that is
    not one of ours is none)."""
    state = drawing_state(domain)
    if isinstance(sent, dict) and isinstance(sent.get("version"), int) and sent["version"] > state["version"]:
        example = sent.get("example")
        state.update(version=sent["version"], strokes=sent.get("strokes"),
                     example=example if isinstance(example, str) and example in example_sketches(domain) else None)


def start_over(domain, example=None):
    """A new drawing for ``domain``: blank, or on top of ``example``."""
    old = drawing_state(domain)
    st.session_state[f"p2p_drawing_{domain}"] = {"version": old["version"] + 1, "strokes": [], "example": example}


controls = st.columns(2, gap="large", vertical_alignment="bottom")
with controls[0]:
    domain = ui.kept_radio("Subject", domains, key="p2p_domain", horizontal=True,
                           format_func=lambda d: d.capitalize() if d in sketch.DOMAINS else labels[d])
    source = ui.kept_radio("Sketch", ["Draw", "Upload a drawing", "From a photo"], key="p2p_source",
                           horizontal=True)
examples = example_sketches(domain)
if source == "Draw":
    with controls[1]:
        tool = st.segmented_control("Tool", list(TOOLS), default="Pen", key="p2p_tool") or "Pen"
        width = st.slider("Stroke width", 1, 24, 6, key="p2p_width")

left, right = st.columns(2, gap="large")  # side by side on a desktop; on a phone, the photo under the sketch
drawn = None
with left:
    if source == "Draw":
        state = drawing_state(domain)
        pen, line = TOOLS[tool]
        sent = ui.drawing_canvas(
            f"p2p_canvas_{domain}", state, pen, width, line,
            examples=[(name, label.capitalize(), img) for name, (label, img) in examples.items()],
            on_change=lambda sent, d=domain: keep_strokes(d, sent))
        keep_strokes(domain, sent)
        state = drawing_state(domain)
        base = examples[state["example"]][1] if state["example"] in examples else None
        try:
            drawn = sketch.render_strokes(state["strokes"], base=base)
        except ValueError as exc:
            ui.show_error(exc, "Could not read the drawing")
            start_over(domain)
    else:
        upload = st.file_uploader("A line drawing or edge map" if source == "Upload a drawing" else
                                  f"A photo of {labels[domain]}",
                                  type=ui.UPLOAD_TYPES, key=f"p2p_upload_{source}")
        picture = ui.read_upload(upload, MAX_UPLOAD_PIXELS) if upload else None
        if picture is not None:
            image = uploads.as_rgba(*picture)
            drawn = (sketch.normalize_sketch(image) if source == "Upload a drawing"
                     else inference.photo_to_sketch(image, domain))
            st.image(drawn, caption="Your sketch" if source == "Upload a drawing" else "The photo's sketch",
                     width="stretch")

# under both (on a phone, the photo comes right after the canvas)
random_col, vary_col, seed_col = st.columns(3, vertical_alignment="bottom")
if source == "Draw" and random_col.button("Random example", icon=":material/casino:", key="p2p_random",
                                          disabled=not examples, width="stretch"):
    state = drawing_state(domain)
    start_over(domain, random.choice([n for n in examples if n != state["example"]] or list(examples)))
    st.rerun()
vary = vary_col.toggle("Variation", key="p2p_vary", help="Keep dropout on: each seed paints a different photo.")
seed = seed_col.number_input("Seed", 0, 9_999, 0, key="p2p_seed", disabled=not vary)
if source == "Draw":
    st.caption("Draw with a mouse, a pen or a finger. Undo, Redo and Clear are above the canvas; the thumbnails "
               "under it start you from an example (Undo brings back what was there; Clear leaves a blank canvas).")

with right:
    if drawn is None or sketch.is_blank(drawn):
        st.info(f"Draw {labels[domain]} on the canvas, pick an example to start from, or upload a drawing or a "
                "photo. The photo appears here.", icon=":material/draw:")
    else:
        try:
            t0 = time.perf_counter()
            photo = inference.sketch_to_photo(drawn, domain, variation=int(seed) if vary else None)
            ms = (time.perf_counter() - t0) * 1000
            shown = images.resize(photo, (photo.shape[1] * 4, photo.shape[0] * 4), "lanczos")
            noun = SUBJECTS[domain].split()[-1] if domain in SUBJECTS else domain  # "shoe", "handbags"
            st.html(ui.photo_html(shown, f"{subjects[domain].get('title', domain)} - {ms:.0f} ms",
                                  f"The photo painted from your {noun} sketch", peek=True),
                    unsafe_allow_javascript=True)
            save = st.columns(2)
            save[0].download_button("Download the photo", images.png_bytes(photo), file_name=f"{domain}_photo.png",
                                    mime="image/png", icon=":material/download:", key="p2p_download",
                                    width="stretch")
            save[1].download_button("Download the sketch", images.png_bytes(drawn),
                                    file_name=f"{domain}_sketch.png", mime="image/png",
                                    icon=":material/download:", key="p2p_download_sketch", width="stretch")
        except (ValueError, inference.WeightsError) as exc:
            ui.show_error(exc, "Could not paint a photo from this sketch")
