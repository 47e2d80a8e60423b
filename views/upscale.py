"""Super-resolution: upload (or pick) small photos, upscale them x2 to x4, compare with bicubic in the browser,
download one PNG or a ZIP of a batch."""

import hashlib
import io
import os
import time
import zipfile
from pathlib import Path

import numpy as np
import streamlit as st

import ui
from models import images, inference, uploads

EXAMPLES = Path(__file__).resolve().parent.parent / "assets" / "examples"
MAX_INPUT_PIXELS = int(os.environ.get("GAN_STUDIO_SR_MAX_PIXELS", 1024 * 1024))  # output is 16x that
MAX_EVAL_PIXELS = 4 * MAX_INPUT_PIXELS
MAX_BATCH_FILES = 10
MAX_BATCH_PIXELS = 2 * MAX_INPUT_PIXELS  # input pixels of one batch in all: its ZIP (16x that) stays in memory
LABELS = {"realsr": "Photo (real-world)", "realsr_gan": "Photo, textured (real-world GAN)",
          "srresnet": "Faithful, for clean images", "srgan": "Sharp (SRGAN)", "srgan_faces": "Faces (SRGAN, 64 to 256 px)"}
USE = {"realsr": "For photos as people have them: small, noisy or JPEG-compressed (thumbnails, screenshots, "
                 "pictures from messaging apps). Removes noise and blocks, then restores detail.",
       "realsr_gan": "The same photos with texture painted back (grass, stone, fur) where the default leaves them "
                     "smooth; closer to a real photo at a glance, but the texture is invented, not recovered.",
       "srresnet": "For clean images (renders, lossless PNGs, careful reductions): closest to the real photo pixel "
                   "by pixel, never invents texture; it keeps noise and JPEG blocks as they are.",
       "srgan": "For clean photos where crisp texture matters more than exact pixels; it can invent texture.",
       "srgan_faces": "For small face crops (64 px), such as the faces the face GAN paints."}


@st.cache_resource
def job_queue():
    """One line for the whole server: at most $GAN_STUDIO_SR_JOBS upscales at once (default 1 on this 2-core
    machine), so that a burst of visitors waits its turn instead of exhausting memory."""
    return ui.JobQueue(int(os.environ.get("GAN_STUDIO_SR_JOBS", 1)))


def label(name):
    return LABELS.get(name, models[name].get("title", name))


def upscale_queued(image, model, scale, status, bar, prefix=""):
    """``inference.upscale`` once a slot of the server's job queue is free, telling the visitor their place."""
    def wait(position):
        status.info(f"{prefix}The upscaler is busy: waiting, position {position} in line.", icon=":material/schedule:")
    with job_queue().slot(on_wait=wait):
        status.empty()
        return inference.upscale(image, model, scale=scale,
                                 progress=lambda d, t: bar.progress(d / t, text=f"{prefix}tile {d} of {t}"))


def comparable(image, size):
    """Bicubic enlargement of ``image`` to ``size`` (w, h), with the input's channels."""
    return np.asarray(images.resize(image, size, "bicubic"))


def on_checkerboard(image):
    """RGB for display: an RGBA image composited over a light checkerboard (both sides of a comparison alike)."""
    if image.ndim == 2 or image.shape[2] != 4:
        return image if image.ndim == 3 else np.dstack([image] * 3)
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    board = np.where(((yy // 16 + xx // 16) % 2)[..., None] == 0, 255, 214).astype(np.float32)
    a = image[..., 3:4].astype(np.float32) / 255.0
    return np.rint(image[..., :3] * a + board * (1 - a)).astype(np.uint8)


st.title("Super-resolution (x2, x3, x4)")
st.caption("Give it a small photo; it returns one with up to four times the width and height, with detail a plain "
           "resize cannot invent.")
models = ui.models_or_stop("sr", "super-resolution",
                           "python -m training.sr --stage pretrain --name srresnet --data DIR --export")
order = [n for n in LABELS if n in models] + [n for n in models if n not in LABELS]
ui.from_url("sr_model", "model", str, set(order))  # a shared link opens with its model and factor
ui.from_url("sr_scale", "scale", int, {2, 3, 4})
with st.expander("How this works, and which model to pick", icon=":material/school:"):
    st.markdown(
        "Enlarging an image means inventing the pixels in between. **Bicubic** interpolation blends neighbours "
        "smoothly, so everything looks soft. Our networks were shown thousands of photo patches next to "
        "4x-reduced copies and learned what fine detail usually looks like.\n\n"
        + "\n".join(f"- **{label(n)}**: {USE.get(n, models[n].get('title', ''))}" for n in order)
        + "\n\nx2 and x3 run the x4 network, then reduce with Lanczos. Large images are processed in overlapping "
          "tiles, so memory stays bounded.")


def model_picker(key):
    name = st.selectbox("Model", order, format_func=label, key=key)
    st.caption(USE.get(name, ""))
    return name


upscale_tab, batch_tab, evaluate_tab = st.tabs(["Upscale", "Several files", "Evaluate on your own photo"])

with upscale_tab:
    left, right = st.columns([1, 2], gap="large")
    with left:
        source = st.radio("Image", ["Example", "Upload"], horizontal=True, key="sr_source")
        picture = None
        if source == "Example":
            name = st.selectbox("Example", sorted(p.name for p in EXAMPLES.glob("*.png")), key="sr_example")
            picture = inference.decode_image((EXAMPLES / name).read_bytes())
        else:
            upload = st.file_uploader(f"A small photo ({ui.MIN_SIDE}x{ui.MIN_SIDE} pixels to 1 megapixel)", type=ui.UPLOAD_TYPES, key="sr_upload")
            picture = ui.read_upload(upload, MAX_INPUT_PIXELS) if upload else None
        model = model_picker("sr_model")
        scale = st.radio("Enlarge", [4, 3, 2], format_func=lambda s: f"x{s}", horizontal=True, key="sr_scale")
        ui.to_url(model=model, scale=scale)
        go = st.button("Upscale", type="primary", icon=":material/zoom_in:", disabled=picture is None)

    with right:
        if picture is None:
            st.info("Pick an example or upload a photo (PNG, JPEG, WebP, ...).")
        else:
            image = uploads.as_rgba(*picture)
            key = (hashlib.sha256(image.tobytes()).hexdigest(), image.shape, model, scale, models[model]["sha256"])
            if go:
                status, bar = st.empty(), st.progress(0.0, text="Upscaling...")
                try:
                    t0 = time.perf_counter()
                    result = upscale_queued(image, model, scale, status, bar)
                    st.session_state.sr_result = (key, result, time.perf_counter() - t0)  # one result a session
                except (ValueError, inference.WeightsError) as exc:
                    ui.show_error(exc, "Could not upscale")
                bar.empty()
            stored = st.session_state.get("sr_result")
            if stored and stored[0] == key:
                _, result, seconds = stored
                if go:
                    ui.scroll_here_on_phones()
                h, w = result.shape[:2]
                st.caption(f"{image.shape[1]}x{image.shape[0]} -> {w}x{h} in {seconds:.2f} s "
                           f"({image.shape[0] * image.shape[1] * scale * scale / 1e6 / seconds:.2f} "
                           "output megapixels per second)")
                view = st.session_state.get("sr_view")
                if not view or view[0] != key:  # encoded once per result, not on every rerun of the page
                    view = (key, *ui.compare_html(on_checkerboard(comparable(image, (w, h))),
                                                  on_checkerboard(result), "Bicubic", label(model)),
                            images.png_bytes(result))
                    st.session_state.sr_view = view
                _, page_html, cropped, png = view
                st.html(page_html, unsafe_allow_javascript=True)
                st.caption("Left of the line: bicubic. Right: " + label(model) + "."
                           + (" Transparent parts are shown on a checkerboard; the download keeps them."
                              if image.ndim == 3 and image.shape[2] == 4 else "")
                           + (" Shown: the centre of the picture; the download is whole." if cropped else ""))
                st.download_button("Download PNG", png, file_name=f"upscaled_x{scale}.png",  # encoded once
                                   mime="image/png", icon=":material/download:", key="sr_download")
            else:
                shown = on_checkerboard(image)
                st.image(images.upscale_nearest(shown, max(1, min(4, 512 // max(shown.shape[:2])))),
                         caption=f"Input, {image.shape[1]}x{image.shape[0]} pixels. Press Upscale.")

with batch_tab:
    files = st.file_uploader(f"Up to {MAX_BATCH_FILES} small photos (each {ui.MIN_SIDE}x{ui.MIN_SIDE} pixels to 1 "
                             f"megapixel, {MAX_BATCH_PIXELS / 2**20:.0f} megapixels in all)", type=ui.UPLOAD_TYPES,
                             accept_multiple_files=True, key=f"sr_batch_files_{st.session_state.get('sr_batch_round', 0)}")
    b_model = model_picker("sr_batch_model")
    b_scale = st.radio("Enlarge", [4, 3, 2], format_func=lambda s: f"x{s}", horizontal=True, key="sr_batch_scale")
    if len(files) > MAX_BATCH_FILES:
        st.warning(f"{len(files)} files chosen; the first {MAX_BATCH_FILES} will be upscaled.")
    files = files[:MAX_BATCH_FILES]
    if st.button("Upscale all", type="primary", icon=":material/zoom_in:", disabled=not files, key="sr_batch_go"):
        rows, buffer, names, budget = [], io.BytesIO(), set(), MAX_BATCH_PIXELS
        status, bar = st.empty(), st.progress(0.0)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PNGs are compressed already
            for i, upload in enumerate(files, 1):
                prefix = f"{i}/{len(files)} {ui.literal(upload.name)}: "
                try:
                    image = uploads.as_rgba(*uploads.decode_image(upload.getvalue(), max_pixels=MAX_INPUT_PIXELS,
                                                                        min_side=ui.MIN_SIDE))
                    if image.shape[0] * image.shape[1] > budget:
                        raise ValueError(f"Left out: this batch's {MAX_BATCH_PIXELS / 2**20:.0f} megapixels are used up "
                                         "by the photos before it. Upscale it in another batch.")
                    budget -= image.shape[0] * image.shape[1]
                    result = upscale_queued(image, b_model, b_scale, status, bar, prefix)
                except (ValueError, inference.WeightsError) as exc:
                    ui.log.warning("batch upscale of %s: %s", upload.name, exc)
                    rows.append((upload.name, None, str(exc)))
                    continue
                stem, k = uploads.safe_stem(upload.name), 1
                while f"{stem}_x{b_scale}{'' if k == 1 else f'-{k}'}.png" in names:
                    k += 1
                out_name = f"{stem}_x{b_scale}{'' if k == 1 else f'-{k}'}.png"
                names.add(out_name)
                archive.writestr(out_name, images.png_bytes(result))
                rows.append((upload.name, out_name, f"{image.shape[1]}x{image.shape[0]} -> "
                                                    f"{result.shape[1]}x{result.shape[0]}"))
        bar.empty()
        st.session_state.sr_batch = (rows, buffer.getvalue() if names else None)  # one batch a session
        ui.release_uploads(files)  # done with: Streamlit need not hold their bytes any longer
        st.session_state.sr_batch_round = st.session_state.get("sr_batch_round", 0) + 1  # an empty uploader
        st.rerun()
    done = st.session_state.get("sr_batch")
    if done:
        rows, archive = done
        for name, out_name, note in rows:
            if out_name:
                st.success(f"**{ui.literal(name)}**: {note}, saved as {ui.literal(out_name)}",
                           icon=":material/check_circle:")
            else:
                st.error(f"**{ui.literal(name)}**: {note}", icon=":material/error:")
        if archive:
            st.download_button(f"Download ZIP ({sum(1 for r in rows if r[1])} PNG files)", archive,
                               file_name="upscaled.zip", mime="application/zip", icon=":material/download:",
                               key="sr_batch_download")

with evaluate_tab:
    st.markdown("Upload a **sharp, high-resolution** photo. The page reduces it 4x, upscales it back with the "
                "model and with bicubic, and measures both against your original (PSNR and SSIM on brightness, "
                "the standard protocol of super-resolution papers).")
    upload = st.file_uploader("A high-resolution photo (up to 4 megapixels)", type=ui.UPLOAD_TYPES, key="sr_eval_upload")
    eval_model = st.selectbox("Model", order, format_func=label, key="sr_eval_model")
    decoded = ui.read_upload(upload, MAX_EVAL_PIXELS) if upload else None
    if decoded is not None:
        # measured once per photo and model, on a button, in the upscales' queue; kept for the session
        key = (hashlib.sha256(decoded[0].tobytes()).hexdigest(), decoded[0].shape, eval_model,
               models[eval_model]["sha256"])
        stored = st.session_state.get("sr_eval")
        if (stored is None or stored[0] != key) and st.button("Evaluate", type="primary", icon=":material/analytics:",
                                                              key="sr_eval_go"):
            status = st.empty()
            try:
                with st.spinner("Reducing, upscaling and measuring..."):
                    with job_queue().slot(on_wait=lambda n: status.info(
                            f"The upscaler is busy: waiting, position {n} in line.", icon=":material/schedule:")):
                        status.empty()
                        scores = inference.evaluate_upscale(decoded[0], eval_model)
                        # copies: a crop is a view that would keep its whole 4-megapixel image in the session
                        crops = {k: images.crop_around(scores.pop(k), 0.5, 0.5, 192).copy()
                                 for k in ("bicubic", "sr", "hr")}
                        del scores["lr"]  # the full images go before the slot returns their memory to the system
                st.session_state.sr_eval = stored = (key, scores, crops)  # numbers and crops: no full images
            except (ValueError, inference.WeightsError) as exc:
                ui.show_error(exc, "Could not evaluate")
        if stored is not None and stored[0] == key:
            _, scores, crops = stored
            cols = st.columns(4)
            cols[0].metric("PSNR, model", f"{scores['psnr']:.2f} dB",
                           delta=f"{scores['psnr'] - scores['bicubic_psnr']:+.2f} dB vs bicubic")
            cols[1].metric("PSNR, bicubic", f"{scores['bicubic_psnr']:.2f} dB")
            cols[2].metric("SSIM, model", f"{scores['ssim']:.4f}",
                           delta=f"{scores['ssim'] - scores['bicubic_ssim']:+.4f} vs bicubic")
            cols[3].metric("SSIM, bicubic", f"{scores['bicubic_ssim']:.4f}")
            for col, k, name in zip(st.columns(3), ["bicubic", "sr", "hr"], ["bicubic", "model", "original"]):
                col.image(crops[k], caption=f"{name} (centre crop)", output_format="PNG")
