"""Super-resolution x4: upload (or pick) a small photo, upscale it, compare with bicubic, download."""

import hashlib
import os
import time
from pathlib import Path

import numpy as np
import streamlit as st

import ui
from models import images, inference, uploads

EXAMPLES = Path(__file__).resolve().parent.parent / "assets" / "examples"
MAX_INPUT_PIXELS = int(os.environ.get("GAN_STUDIO_SR_MAX_PIXELS", 1024 * 1024))  # output is 16x that
MAX_EVAL_PIXELS = 4 * MAX_INPUT_PIXELS

st.title("Super-resolution x4")
st.caption("Give it a small photo; it returns one with four times the width and height, with detail a plain "
           "resize cannot invent.")
with st.expander("How this works", icon=":material/school:"):
    st.markdown(
        "Enlarging an image means inventing the pixels in between. **Bicubic** interpolation blends neighbours "
        "smoothly, so everything looks soft. Our networks were shown thousands of photo patches next to "
        "4x-reduced copies and learned what fine detail usually looks like.\n\n"
        "- **Faithful** (SRResNet) is trained to be as close as possible to the real photo, pixel by pixel "
        "(highest PSNR), which still averages away fine texture.\n"
        "- **Sharp** (SRGAN) starts from it and adds a perceptual loss (match what an ImageNet network sees) and "
        "a discriminator that punishes blur: crisper textures, sometimes invented ones.\n"
        "- **Faces** is SRGAN trained on face photos, 64 to 256 pixels.\n\n"
        "Large images are processed in overlapping tiles, blended at the seams, so memory stays bounded.")

models = ui.models_or_stop("sr", "super-resolution",
                           "python -m training.sr --stage pretrain --name srresnet --data DIR --export")
LABELS = {"srgan": "Sharp (SRGAN)", "srresnet": "Faithful (SRResNet)", "srgan_faces": "Faces (SRGAN)"}
order = [n for n in LABELS if n in models] + [n for n in models if n not in LABELS]


upscale_tab, evaluate_tab = st.tabs(["Upscale", "Evaluate on your own photo"])

with upscale_tab:
    left, right = st.columns([1, 2], gap="large")
    with left:
        source = st.radio("Image", ["Example", "Upload"], horizontal=True, key="sr_source")
        picture = None
        if source == "Example":
            name = st.selectbox("Example", sorted(p.name for p in EXAMPLES.glob("*.png")), key="sr_example")
            picture = inference.decode_image((EXAMPLES / name).read_bytes())
        else:
            upload = st.file_uploader("A small photo (up to 1 megapixel)", type=ui.UPLOAD_TYPES, key="sr_upload")
            picture = ui.read_upload(upload, MAX_INPUT_PIXELS) if upload else None
        model = st.selectbox("Model", order, format_func=lambda n: LABELS.get(n, models[n].get("title", n)),
                             key="sr_model")
        scale = st.radio("Enlarge", [4, 3, 2], format_func=lambda s: f"x{s}", horizontal=True, key="sr_scale")
        go = st.button("Upscale", type="primary", icon=":material/zoom_in:", disabled=picture is None)

    with right:
        if picture is None:
            st.info("Pick an example or upload a photo (PNG, JPEG, WebP, ...).")
        else:
            rgb, alpha = picture
            image = uploads.as_rgba(rgb, alpha)
            key = (hashlib.sha256(image.tobytes()).hexdigest(), image.shape, model, scale, models[model]["sha256"])
            if go:
                bar = st.progress(0.0, text="Upscaling...")
                try:
                    t0 = time.perf_counter()
                    result = inference.upscale(image, model, scale=scale,
                                               progress=lambda d, t: bar.progress(d / t, text=f"Tile {d} of {t}"))
                    st.session_state.sr_result = (key, result, time.perf_counter() - t0)
                except (ValueError, inference.WeightsError) as exc:
                    ui.show_error(exc, "Could not upscale")
                bar.empty()
            stored = st.session_state.get("sr_result")
            if stored and stored[0] == key:
                _, result, seconds = stored
                h, w = result.shape[:2]
                bicubic = np.asarray(images.resize(image, (w, h), "bicubic"))
                st.caption(f"{image.shape[1]}x{image.shape[0]} -> {w}x{h} in {seconds:.2f} s "
                           f"({image.shape[0] * image.shape[1] * scale * scale / 1e6 / seconds:.2f} "
                           "output megapixels per second)")
                split = st.slider("Bicubic | model", 0, 100, 50, key="sr_split", format="%d%%",
                                  help="Left of the line: bicubic. Right: the model.")
                st.image(images.split_view(bicubic[..., :3], result[..., :3], split / 100),
                         caption="Left: bicubic. Right: " + LABELS.get(model, model))
                st.markdown("**Zoom**")
                zx, zy = st.columns(2)
                cx = zx.slider("Across", 0, 100, 50, key="sr_cx") / 100
                cy = zy.slider("Down", 0, 100, 50, key="sr_cy") / 100
                crops = [images.crop_around(x[..., :3], cx, cy, 96) for x in
                         (images.upscale_nearest(image, scale)[..., :3], bicubic, result)]
                for col, crop, label in zip(st.columns(3), crops, ["pixels", "bicubic", LABELS.get(model, model)]):
                    col.image(images.upscale_nearest(crop, 3), caption=label, output_format="PNG")  # lossless
                st.download_button("Download PNG", images.png_bytes(result), file_name=f"upscaled_x{scale}.png",
                                   mime="image/png", icon=":material/download:", key="sr_download")
            else:
                st.image(images.upscale_nearest(rgb, max(1, min(4, 512 // max(rgb.shape[:2])))),
                         caption=f"Input, {rgb.shape[1]}x{rgb.shape[0]} pixels. Press Upscale.")

with evaluate_tab:
    st.markdown("Upload a **sharp, high-resolution** photo. The page reduces it 4x, upscales it back with the "
                "model and with bicubic, and measures both against your original (PSNR and SSIM on brightness, "
                "the standard protocol of super-resolution papers).")
    upload = st.file_uploader("A high-resolution photo (up to 4 megapixels)", type=ui.UPLOAD_TYPES, key="sr_eval_upload")
    eval_model = st.selectbox("Model", order, format_func=lambda n: LABELS.get(n, models[n].get("title", n)),
                              key="sr_eval_model")
    decoded = ui.read_upload(upload, MAX_EVAL_PIXELS) if upload else None
    if decoded is not None:
        try:
            with st.spinner("Reducing, upscaling and measuring..."):
                scores = inference.evaluate_upscale(decoded[0], eval_model)
            cols = st.columns(4)
            cols[0].metric("PSNR, model", f"{scores['psnr']:.2f} dB",
                           delta=f"{scores['psnr'] - scores['bicubic_psnr']:+.2f} dB vs bicubic")
            cols[1].metric("PSNR, bicubic", f"{scores['bicubic_psnr']:.2f} dB")
            cols[2].metric("SSIM, model", f"{scores['ssim']:.4f}",
                           delta=f"{scores['ssim'] - scores['bicubic_ssim']:+.4f} vs bicubic")
            cols[3].metric("SSIM, bicubic", f"{scores['bicubic_ssim']:.4f}")
            for col, key, label in zip(st.columns(3), ["bicubic", "sr", "hr"], ["bicubic", "model", "original"]):
                col.image(images.crop_around(scores[key], 0.5, 0.5, 192), caption=f"{label} (centre crop)",
                          output_format="PNG")
        except (ValueError, inference.WeightsError) as exc:
            ui.show_error(exc, "Could not evaluate")
