"""Handwritten digits: four GANs trained on MNIST, a grid or one large digit, a seed, a latent walk."""

import time

import numpy as np
import streamlit as st

import ui
from models import images, inference

st.title("Handwritten digits")
st.caption("Four generators trained on the 60,000 MNIST training digits. Every image below is new: "
           "none of them is in the data set.")

with st.expander("How this works", icon=":material/school:"):
    st.markdown(
        "Each model is a **generator** that turns 100 random numbers (the *noise*, fixed by the seed) into a "
        "28x28 image. It learned by playing against a **discriminator** that tried to tell its images from "
        "real MNIST digits.\n\n"
        "- **GAN** and **conditional GAN** are small fully connected networks (2014 designs).\n"
        "- **DCGAN** and **conditional DCGAN** use transposed convolutions, which suit images better (2015).\n"
        "- The **conditional** models also receive the digit you ask for, so you can choose it; the others "
        "draw whatever digit the noise leads to.\n\n"
        "The same seed always gives the same images. *Latent walk* moves smoothly from one seed's noise to "
        "another's: the digit morphs, because nearby noise gives similar images.")

models = ui.models_or_stop("digits", "digit", "python -m training.digits --variant cdcgan --export")

controls, output = st.columns([1, 2], gap="large")
with controls:
    name = st.selectbox("Model", list(models), format_func=lambda n: models[n].get("title", n), key="variant",
                        index=list(models).index(inference.DEFAULT_DIGITS) if inference.DEFAULT_DIGITS in models else 0)
    conditional = models[name]["args"].get("conditional", False)
    modes = ["Grid", "Single digit"] + (["All digits, one row each"] if conditional else [])
    mode = st.radio("Show", modes, horizontal=True, key="mode")
    digit, n = None, 1
    if mode == "Grid":
        n = st.slider("How many digits", 1, 100, 60, key="n")
    if conditional and mode != "All digits, one row each":
        choice = st.selectbox("Digit", ["any (0 to 9 in turn)"] + list(range(10)), key="digit",
                              index=0 if mode == "Grid" else 8)
        digit = None if isinstance(choice, str) else int(choice)
    per_digit = st.slider("Per digit", 1, 10, 8, key="per_digit") if mode.startswith("All") else 0
    seed = ui.seed_controls("seed")

with output:
    try:
        t0 = time.perf_counter()
        if mode.startswith("All"):
            batch = inference.generate_digits(name, 10 * per_digit, seed=int(seed))  # labels 0..9, 0..9, ...
            batch = batch.reshape(per_digit, 10, 28, 28).transpose(1, 0, 2, 3).reshape(-1, 28, 28)
            picture, ncol, scale = images.make_grid(batch, ncol=per_digit), per_digit, 3
        else:
            batch = inference.generate_digits(name, n, digit=digit, seed=int(seed))
            ncol = 10 if n > 16 else int(np.ceil(np.sqrt(n)))
            picture = images.make_grid(batch, ncol=ncol) if mode == "Grid" else batch[0]
            scale = 12 if mode != "Grid" else (3 if n > 16 else 6)
        ms = (time.perf_counter() - t0) * 1000
        ui.show_image(picture, caption=f"{models[name].get('title', name)}, seed {seed} - generated in {ms:.0f} ms",
                      scale=scale, download_name=f"{name}_seed{seed}.png", key="download_grid")
    except (ValueError, inference.WeightsError) as exc:
        ui.show_error(exc, f"Could not generate with {name}")

st.subheader("Latent walk")
walk_cols = st.columns([1, 1, 1, 1], vertical_alignment="bottom")
seed_a = walk_cols[0].number_input("From seed", 0, 99_999, value=int(seed), key="seed_a")
seed_b = walk_cols[1].number_input("To seed", 0, 99_999, value=int(seed) + 1, key="seed_b")
frames = walk_cols[2].slider("Frames", 4, 32, 12, key="frames")
walk_digit = digit if conditional and digit is not None else (3 if conditional else None)
try:
    strip = inference.interpolate_digits(name, int(seed_a), int(seed_b), frames, digit=walk_digit)
    ui.show_image(images.make_grid(strip, ncol=frames), scale=3)
    gif = images.gif_bytes([images.upscale_nearest(f, 8) for f in strip], boomerang=True)
    walk_cols[3].download_button("Download GIF", gif,
                                 file_name=f"{name}_walk_{seed_a}_{seed_b}.gif", mime="image/gif",
                                 icon=":material/animated_images:", key="download_gif")
except (ValueError, inference.WeightsError) as exc:
    ui.show_error(exc, f"Could not walk the latent space of {name}")
