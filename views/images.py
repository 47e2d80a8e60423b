"""Image GANs: DCGAN and SAGAN samples (CIFAR-10, faces), a latent walk, and faces upscaled by the face SRGAN."""

import time

import numpy as np
import streamlit as st

import ui
from models import images, inference, sr

SR_FACES = "srgan_faces"
FACES = "dcgan_faces64"  # opens first when shipped: the best-looking samples, and the upscale chain

st.title("Image GANs")
st.caption("Generators that learned to paint small colour images from noise: 32x32 objects from CIFAR-10 and "
           "64x64 faces. Every image below is new.")
with st.expander("How this works", icon=":material/school:"):
    st.markdown(
        "**DCGAN** (2015) turns 100 random numbers into an image with transposed convolutions and batch norm; "
        "its discriminator mirrors it. **SAGAN** (2019) adds *self-attention*, so distant parts of the image "
        "can agree (the two eyes of a face, the two ends of a car), and *spectral normalisation*, which keeps "
        "the discriminator's judgements smooth so training stays stable.\n\n"
        "*Upscale to 256* sends the 64x64 faces through our face super-resolution GAN (4x).")

models = ui.models_or_stop("images", "image GAN",
                           "python -m training.dcgan --arch dcgan --name dcgan_cifar10 --export")
controls, output = st.columns([1, 2], gap="large")
with controls:
    names = list(models)
    name = st.selectbox("Model", names, index=names.index(FACES) if FACES in names else 0,
                        format_func=lambda n: models[n].get("title", n), key="img_model")
    mode = st.radio("Show", ["Grid", "Single image"], horizontal=True, key="img_mode")
    n = st.slider("How many", 4, 64, 16, step=4, key="img_n") if mode == "Grid" else 1
    seed = ui.seed_controls("img_seed")
    chain = name == FACES and SR_FACES in {m["name"] for m in inference.list_models("sr")}
    upscale = chain and st.toggle("Upscale to 256 (face SRGAN)", key="img_upscale")

with output:
    try:
        t0 = time.perf_counter()
        batch = inference.generate_images(name, n, seed=int(seed))
        ms = (time.perf_counter() - t0) * 1000
        size = batch.shape[1]
        if upscale:
            shown = batch[:8]
            t0 = time.perf_counter()
            sharp = np.stack([inference.upscale(img, SR_FACES) for img in shown])
            up_ms = (time.perf_counter() - t0) * 1000
            rows = np.concatenate([np.stack([images.upscale_nearest(img, 4) for img in shown]),
                                   np.stack([sr.bicubic_upscale(img) for img in shown]), sharp])
            ui.show_image(images.make_grid(rows, ncol=len(shown)),
                          caption=f"Rows: the 64x64 sample (pixels enlarged) | bicubic | face SRGAN. Generated in "
                                  f"{ms:.0f} ms, upscaled in {up_ms:.0f} ms.",
                          download_name=f"{name}_seed{seed}_x4.png", key="img_download")
        else:
            scale = max(1, 256 // size) if mode == "Grid" else max(1, 512 // size)
            picture = images.make_grid(batch, ncol=min(8, n)) if mode == "Grid" else batch[0]
            ui.show_image(picture, scale=scale, caption=f"{models[name].get('title', name)}, seed {seed} - "
                                                        f"generated in {ms:.0f} ms",
                          download_name=f"{name}_seed{seed}.png", key="img_download")
    except (ValueError, inference.WeightsError) as exc:
        ui.show_error(exc, f"Could not generate with {name}")

st.subheader("Latent walk")
walk_cols = st.columns(4, vertical_alignment="bottom")
seed_a = walk_cols[0].number_input("From seed", 0, 99_999, value=int(seed), key="img_seed_a")
seed_b = walk_cols[1].number_input("To seed", 0, 99_999, value=int(seed) + 1, key="img_seed_b")
frames = walk_cols[2].slider("Frames", 4, 24, 10, key="img_frames")
try:
    strip = inference.interpolate_images(name, int(seed_a), int(seed_b), frames)
    ui.show_image(images.make_grid(strip, ncol=frames), scale=2)
    gif = images.gif_bytes([images.upscale_nearest(f, 4) for f in strip], boomerang=True)
    walk_cols[3].download_button("Download GIF", gif, file_name=f"{name}_walk_{seed_a}_{seed_b}.gif",
                                 mime="image/gif", icon=":material/animated_images:", key="img_gif")
except (ValueError, inference.WeightsError) as exc:
    ui.show_error(exc, f"Could not walk the latent space of {name}")
