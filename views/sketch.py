"""Sketch to photo: draw a shoe or a face (or upload a drawing or a photo); Pix2Pix paints a photo of it."""

import time
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image
from streamlit_drawable_canvas import st_canvas

import ui
from models import images, inference, sketch, uploads

EXAMPLES = Path(__file__).resolve().parent.parent / "assets" / "sketches"
CANVAS = 384  # pixels on screen; the models work at 128
MAX_UPLOAD_PIXELS = 4096 * 4096
SUBJECTS = {"shoes": "a shoe", "faces": "a face"}

st.title("Sketch to photo")
models = ui.models_or_stop("pix2pix", "sketch-to-photo",
                           "python -m training.pix2pix --name pix2pix_shoes --domain shoes --data DIR --export")
installed = {m["domain"] for m in models.values() if m["name"] == f"pix2pix_{m['domain']}"}
domains = [d for d in SUBJECTS if d in installed]  # shoes first: the sharper of the two
if not domains:
    st.warning("No pix2pix_shoes or pix2pix_faces model is installed.")
    st.stop()
st.caption(f"Draw the outline of {' or '.join(SUBJECTS[d] for d in domains)}. A network that learned from thousands "
           "of photo and line-drawing pairs paints a photo to match.")
with st.expander("How this works", icon=":material/school:"):
    st.markdown(
        "**Pix2Pix** (2017) is a *conditional* GAN: its generator gets your sketch instead of random noise. It is "
        "a U-Net, which squeezes the sketch down to a summary and paints the photo back up, with shortcuts that "
        "keep your lines where you drew them. Its discriminator looks at 70x70-pixel patches of (sketch, photo) "
        "pairs and says whether each patch looks like a real photo of that sketch.\n\n"
        "The training sketches were made from photos by an edge detector (try *From a photo* to see one), then "
        "thickened, thinned, bent and partly erased at random, so that hand-drawn lines work too. "
        "*Variation* keeps the network's dropout switched on: each seed gives another plausible photo.")

left, right = st.columns([1, 1], gap="large")
with left:
    domain = st.radio("Subject", domains, format_func=str.capitalize, horizontal=True, key="p2p_domain")
    source = st.radio("Sketch", ["Draw", "Upload a drawing", "From a photo"], horizontal=True, key="p2p_source")
    drawn = None
    if source == "Draw":
        examples = ["Blank"] + sorted(p.stem for p in EXAMPLES.glob(f"{domain}_*.png"))
        example = st.selectbox("Start from", examples, key=f"p2p_example_{domain}",
                               format_func=lambda e: "A blank canvas" if e == "Blank" else f"Example {e[-1]}")
        tools = st.columns([3, 2], vertical_alignment="bottom")
        tool = tools[0].segmented_control("Tool", ["Pen", "Eraser", "Line"], default="Pen", key="p2p_tool") or "Pen"
        width = tools[1].slider("Stroke width", 1, 16, 4, key="p2p_width")
        st.space("small")  # room for the canvas's floating toolbar
        base = None if example == "Blank" else np.asarray(Image.open(EXAMPLES / f"{example}.png").convert("L"))
        canvas = st_canvas(stroke_width=width, stroke_color="#FFFFFF" if tool == "Eraser" else "#000000",
                           background_color="" if base is not None else "#FFFFFF",
                           background_image=None if base is None else Image.fromarray(base),
                           drawing_mode="line" if tool == "Line" else "freedraw", height=CANVAS, width=CANVAS,
                           return_image_data=True, key=f"p2p_canvas_{domain}_{example}")
        st.caption("The toolbar above the canvas has undo, redo and clear. The eraser paints white.")
        if canvas.image_data is not None:
            drawn = sketch.from_canvas(np.asarray(canvas.image_data), base)
        elif base is not None:
            drawn = base
    else:
        upload = st.file_uploader("A line drawing or edge map" if source == "Upload a drawing" else
                                  f"A photo of {SUBJECTS[domain]}",
                                  type=ui.UPLOAD_TYPES, key=f"p2p_upload_{source}")
        picture = ui.read_upload(upload, MAX_UPLOAD_PIXELS) if upload else None
        if picture is not None:
            image = uploads.as_rgba(*picture)
            drawn = (sketch.normalize_sketch(image) if source == "Upload a drawing"
                     else inference.photo_to_sketch(image, domain))
    vary_col, seed_col = st.columns([1, 1], vertical_alignment="bottom")
    vary = vary_col.toggle("Variation", key="p2p_vary", help="Keep dropout on: each seed paints a different photo.")
    seed = seed_col.number_input("Seed", 0, 9_999, 0, key="p2p_seed", disabled=not vary)

with right:
    if drawn is None or sketch.is_blank(drawn):
        st.info(f"Draw {SUBJECTS[domain]} on the canvas, pick an example to start from, or upload a drawing or a "
                "photo. The photo appears here.", icon=":material/draw:")
    else:
        try:
            t0 = time.perf_counter()
            photo = inference.sketch_to_photo(drawn, domain, variation=int(seed) if vary else None)
            ms = (time.perf_counter() - t0) * 1000
            shown = images.resize(photo, (photo.shape[1] * 3, photo.shape[0] * 3), "lanczos")
            sketch_col, photo_col = st.columns(2)
            sketch_col.image(drawn, caption="Your sketch", width="stretch")
            photo_col.image(shown, caption=f"{models[f'pix2pix_{domain}']['title']} - {ms:.0f} ms",
                            width="stretch")
            st.download_button("Download the photo", images.png_bytes(photo), file_name=f"{domain}_photo.png",
                               mime="image/png", icon=":material/download:", key="p2p_download")
        except (ValueError, inference.WeightsError) as exc:
            ui.show_error(exc, "Could not paint a photo from this sketch")
