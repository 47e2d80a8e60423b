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
DIGITS = list(range(10))

# a shared link (?model=cgan&seed=42&digit=7&mode=Single+digit) opens on exactly what its sender saw
ui.from_url("variant", "model", str, set(models))
ui.seed_from_url("seed")
ui.from_url("mode", "mode", str, {"Grid", "Single digit", "All digits, one row each"})
ui.from_url("digit", "digit", int, set(DIGITS))
ui.from_url("walk_to", "to", int, range(0, 100_000))
ui.from_url("n", "n", int, range(1, 101))
ui.from_url("frames", "frames", int, range(4, 33))
ANY = "any (0 to 9 in turn)"


def generate():
    """Model, mode, digit and seed on the left, the picture on the right."""
    controls, output = ui.result_first("digits_block").columns([1, 2], gap="large")
    with controls:
        # defaults through session state, as a link's values are: a widget given both logs a warning with a stack
        st.session_state.setdefault("variant", inference.DEFAULT_DIGITS if inference.DEFAULT_DIGITS in models
                                    else list(models)[0])
        name = st.selectbox("Model", list(models), format_func=lambda n: models[n].get("title", n), key="variant")
        conditional = models[name]["args"].get("conditional", False)
        modes = ["Grid", "Single digit"] + (["All digits, one row each"] if conditional else [])
        if st.session_state.get("mode") not in modes:
            st.session_state.mode = "Grid"
        mode = st.radio("Show", modes, horizontal=True, key="mode")
        digit, n = None, 1
        if mode == "Grid":
            ui.keep("n", 60)
            n = ui.kept(st.slider("How many digits", 1, 100, key="n"), "n")
        if conditional and mode != "All digits, one row each":
            ui.keep("digit", ANY if mode == "Grid" else 7)  # kept while "All digits" hides it
            choice = ui.kept(st.selectbox("Digit", [ANY] + DIGITS, key="digit"), "digit")
            digit = None if isinstance(choice, str) else int(choice)
        per_digit = st.slider("Per digit", 1, 10, 8, key="per_digit") if mode.startswith("All") else 0
        seed = ui.seed_controls("seed")
    ui.to_url(model=name, seed=seed, mode=mode, digit=digit, n=n if mode == "Grid" else None)

    with output:
        ui.scroll_on_change("digits_shown", (name, mode, digit, n, per_digit, int(seed)))
        try:
            t0 = time.perf_counter()
            if mode.startswith("All"):
                batch = inference.generate_digits(name, 10 * per_digit, seed=int(seed))  # labels 0..9, 0..9, ...
                batch = images.rows_by_class(batch, 10)
                picture, scale = images.make_grid(batch, ncol=per_digit), 3
            else:
                batch = inference.generate_digits(name, n, digit=digit, seed=int(seed))
                ncol = 10 if n > 16 else int(np.ceil(np.sqrt(n)))
                picture = images.make_grid(batch, ncol=ncol) if mode == "Grid" else batch[0]
                scale = 12 if mode != "Grid" else (3 if n > 16 else 6)
            ms = (time.perf_counter() - t0) * 1000
            ui.show_image(picture, caption=f"{models[name].get('title', name)}, seed {seed} - generated in "
                                           f"{ms:.0f} ms", scale=scale, download_name=f"{name}_seed{seed}.png",
                          key="download_grid")
        except (ValueError, inference.WeightsError) as exc:
            ui.show_error(exc, f"Could not generate with {name}")
    return name, conditional, digit, int(seed)


def latent_walk(name, conditional, digit, seed):
    """From the seed on screen to another one, animated and as numbered frames; its own widgets rerun only it."""
    st.subheader("Latent walk")
    st.caption(f"From seed {seed} (the one above) to the seed you pick: the noise moves smoothly, and so does "
               "the digit." + (" A conditional model keeps one digit along the walk: pick it." if conditional else ""))
    ui.walk_end("walk_from", "walk_to", seed)
    cols = st.columns(4, vertical_alignment="bottom")
    seed_b = cols[0].number_input("To seed", 0, 99_999, key="walk_to")
    st.session_state.setdefault("frames", 12)
    frames = cols[1].slider("Frames", 4, 32, key="frames")
    walk_digit = None
    if conditional:
        if st.session_state.get("walk_digit_for") != digit:  # follow the digit chosen above
            st.session_state.walk_digit_for = digit
            st.session_state.walk_digit = digit if digit is not None else 0
        walk_digit = cols[2].selectbox("Digit", DIGITS, key="walk_digit")
    ui.to_url(to=seed_b, frames=frames)
    try:
        strip = inference.interpolate_digits(name, seed, int(seed_b), frames, digit=walk_digit)
        gif = ui.show_walk(strip, seed, seed_b, scale=3, gif_scale=8, gif_width=224)
        cols[3].download_button("Download GIF", gif, file_name=f"{name}_walk_{seed}_{seed_b}.gif", mime="image/gif",
                                icon=":material/animated_images:", key="download_gif")
    except (ValueError, inference.WeightsError) as exc:
        ui.show_error(exc, f"Could not walk the latent space of {name}")


@st.fragment
def digits_demo():
    """The picture and the walk from its seed, in one fragment: a widget here (a slider step with the arrow keys,
    a new seed) reruns this part of the page, once."""
    latent_walk(*generate())


digits_demo()
