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
        "its discriminator mirrors it. Our face generator doubles its maps by resizing and then convolves "
        "instead, which cannot paint the faint 2-pixel checkerboard that transposed convolutions leave; late in its "
        "training its discriminator saw every image shifted at random (*DiffAugment*), so that it could not learn "
        "the 4,000 photos by heart. "
        "**SAGAN** (2019) adds *self-attention*, so distant parts of the image can agree (the two eyes of a "
        "face, the two ends of a car), and *spectral normalisation*, which keeps the discriminator's judgements "
        "smooth so training stays stable. Ours is also *class-conditional*, as in the paper: the class you pick "
        "sets the scale and shift of every batch norm in the generator, and the discriminator is told the class "
        "too (a *projection* discriminator), so it can say \"not a convincing horse\".\n\n"
        "*Upscale to 256* sends the 64x64 faces through our face super-resolution GAN (4x).")

models = ui.models_or_stop("images", "image GAN",
                           "python -m training.dcgan --arch dcgan --name dcgan_cifar10 --export")
MAX_UPSCALED = 16  # faces upscaled at once (each about 30 ms)
names = list(models)
ui.from_url("img_model", "model", str, set(names))
ui.seed_from_url("img_seed")
ui.from_url("img_mode", "mode", str, {"Grid", "Single image"})
ui.from_url("img_n", "n", int, range(4, 65, 4))
ui.from_url("img_walk_to", "to", int, range(0, 100_000))
ui.from_url("img_frames", "frames", int, range(4, 33))
ui.from_url("img_upscale", "upscale", lambda v: v == "1", {True, False})
ui.from_url("img_closer", "sample", int, range(1, 65))
ROWS = "one row per class"
PER_CLASS = 8  # images in each class's row


@st.fragment
def generate():
    """Controls and samples; a fragment, so a slider step reruns only this part (a new model or seed reruns the
    page, so the walk below follows)."""
    controls, output = ui.result_first("images_block").columns([1, 2], gap="large")
    with controls:
        # the default through session state, like a ?model= link's value: a widget given both logs a warning
        st.session_state.setdefault("img_model", FACES if FACES in names else names[0])
        name = st.selectbox("Model", names, format_func=lambda n: models[n].get("title", n), key="img_model")
        classes = inference.image_classes(name)  # a class-conditional model paints the class asked for
        label = None
        if classes:
            ui.from_url("img_class", "class", str, {ROWS, *classes})
            label = st.selectbox("Class", [ROWS] + classes, key="img_class")
        rows = label == ROWS
        mode = "Grid" if rows else st.radio("Show", ["Grid", "Single image"], horizontal=True, key="img_mode")
        n = len(classes) * PER_CLASS if rows else \
            st.slider("How many", 4, 64, 16, step=4, key="img_n") if mode == "Grid" else 1
        seed = ui.seed_controls("img_seed")
        chain = name == FACES and SR_FACES in {m["name"] for m in inference.list_models("sr")}
        upscale = chain and st.toggle("Upscale to 256 (face SRGAN)", key="img_upscale")
    ui.to_url(model=name, seed=seed, mode=None if rows else mode, n=n if mode == "Grid" and not rows else None,
              upscale=int(upscale) if chain else None, **{"class": label})
    ui.rerun_page_when_changed("img_state", (name, seed, label))

    with output:
        ui.scroll_on_change("images_shown", (name, label, mode, n, int(seed), upscale))
        try:
            t0 = time.perf_counter()
            if rows:  # the classes in turn, then one row each
                batch = inference.generate_images(name, n, seed=int(seed))
                batch = images.rows_by_class(batch, len(classes))
            else:
                batch = inference.generate_images(name, n, seed=int(seed), label=label)
            ms = (time.perf_counter() - t0) * 1000
            size = batch.shape[1]
            title = models[name].get("title", name)
            if upscale:
                shown = batch[:MAX_UPSCALED]
                t0 = time.perf_counter()
                sharp = np.stack([inference.upscale(img, SR_FACES) for img in shown])
                up_ms = (time.perf_counter() - t0) * 1000
                ui.show_image(images.make_grid(sharp, ncol=min(4, len(sharp))),
                              caption=f"{title}, seed {seed}: {len(shown)} faces generated at 64x64 in {ms:.0f} ms "
                                      f"and upscaled to 256x256 in {up_ms:.0f} ms"
                                      + (f" (the first {MAX_UPSCALED} of {n})" if n > MAX_UPSCALED else ""),
                              download_name=f"{name}_seed{seed}_x4.png", key="img_download")
            else:
                scale = max(1, 256 // size) if mode == "Grid" else max(1, 512 // size)
                picture = images.make_grid(batch, ncol=PER_CLASS if rows else min(8, n)) if mode == "Grid" \
                    else batch[0]
                what = (", rows: " + ", ".join(classes)) if rows else (f", {label}" if label else "")
                ui.show_image(picture, scale=scale, caption=f"{title}{what}, seed {seed} - generated in {ms:.0f} ms",
                              download_name=f"{name}_seed{seed}{'_' + label if label and not rows else ''}.png",
                              key="img_download")
        except (ValueError, inference.WeightsError) as exc:
            ui.show_error(exc, f"Could not generate with {name}")
            return name, int(seed), None, chain, None
    return name, int(seed), batch, chain, None if rows else label


def closer_look(batch, chain):
    """One sample large: its pixels enlarged, and with the face SRGAN, bicubic beside the SRGAN's 256x256."""
    if batch is None:
        return
    st.subheader("A closer look")
    k = 1
    if len(batch) > 1:
        if st.session_state.get("img_closer", 1) > len(batch):  # a link's, or a larger grid's before
            st.session_state.img_closer = 1
        st.session_state.setdefault("img_closer", 1)
        k = st.number_input(f"Sample (1 to {len(batch)}, left to right, top to bottom)", 1, len(batch),
                            key="img_closer")
        ui.to_url(sample=int(k) if k > 1 else None)
    img = batch[int(k) - 1]
    size = img.shape[0]
    views = [(images.upscale_nearest(img, 256 // size), f"sample {k}: its {size}x{size} pixels, enlarged")]
    if chain:
        views += [(sr.bicubic_upscale(img), "bicubic to 256x256"),
                  (inference.upscale(img, SR_FACES), "face SRGAN to 256x256")]
    for col, (picture, caption) in zip(st.columns(3), views):
        col.image(picture, caption=caption, output_format="PNG", width="stretch")
    st.caption("Hover a picture (on a touch screen, tap it) and press its full-screen button to see it at full "
               "size.")


EDIT_LABELS = {"age": "Age: younger (-) or older (+)", "male": "Gender: more female (-) or more male (+)"}


def reset_edits(names):
    for attr in names:
        st.session_state[f"img_edit_{attr}"] = 0.0


@st.cache_data(max_entries=32, show_spinner=False)
def steer_strip_image(name, seed, k, along, edits, version):
    """The -3..+3 strip along ``along`` (the other ``edits`` kept) as one enlarged grid, and its frames. Cached
    (per ``version``, the weights' sha256, and directions): moving the slider of the strip's own attribute leaves
    the strip as it is, and the same image is not sent again."""
    strip = inference.steer_strip(name, seed, k - 1, along, np.linspace(-3, 3, 7), dict(edits))
    return images.upscale_nearest(images.make_grid(strip, ncol=7), 2), strip


@st.fragment
def steering(name, seed, batch, chain):
    """Sliders that move one face along the directions the manifest lists (age, gender), the face updating as a
    slider moves (a fragment: only this part reruns), and a strip from -3 to +3 along one of them."""
    spec = models[name].get("edits")
    if not spec or batch is None:
        return
    st.subheader("Steer the face")
    k = int(st.session_state.get("img_closer", 1)) if len(batch) > 1 else 1
    st.caption(f"Sample {k} of the grid, moved along directions found in the generator's noise: a face reader "
               "trained on the labelled photos scored 10,000 generated faces, and each direction was fitted to its "
               "scores and made independent of the other attribute. 0 is the face as generated.")
    # on a phone the face comes right above its sliders, so that it stays in view as they move
    controls, face_col, strip_col = ui.result_first("img_steer").columns([2, 2, 3], gap="medium")
    with controls:
        for attr in spec:  # a link's edits (?age=2&male=-1), else 0
            ui.from_url(f"img_edit_{attr}", attr, float, set(np.arange(-3.0, 3.01, 0.5).tolist()))
            st.session_state.setdefault(f"img_edit_{attr}", 0.0)
        edits = {attr: st.slider(EDIT_LABELS.get(attr, attr), -3.0, 3.0, step=0.5, key=f"img_edit_{attr}")
                 for attr in spec}
        ui.to_url(**{attr: f"{v:g}" if v else None for attr, v in edits.items()})
        st.button("Reset", on_click=reset_edits, args=(list(spec),), icon=":material/restart_alt:",
                  key="img_edit_reset")
        along = st.selectbox("Strip along", list(spec), format_func=lambda a: EDIT_LABELS.get(a, a).split(":")[0],
                             key="img_edit_along")
    try:
        t0 = time.perf_counter()
        face = inference.generate_images(name, k, seed=seed, edits=edits)[k - 1]
        big = inference.upscale(face, SR_FACES) if chain else images.upscale_nearest(face, 4)
        ms = (time.perf_counter() - t0) * 1000
        shown = ", ".join(f"{a} {v:+g}" for a, v in edits.items() if v) or "unedited"
        face_col.image(big, caption=f"Seed {seed}, sample {k}: {shown} ({ms:.0f} ms"  # JPEG: quick to send
                       + (", face SRGAN to 256x256)" if chain else ")"), output_format="JPEG", width="stretch")
        others = tuple(sorted((a, v) for a, v in edits.items() if a != along))  # the strip's own edit: no matter
        grid, strip = steer_strip_image(name, seed, k, along, others,
                                        (models[name].get("sha256"), str(models[name].get("edits"))))
        strip_col.image(grid, output_format="JPEG",
                        caption=f"{EDIT_LABELS.get(along, along).split(':')[0]} from -3 to +3, the other edits kept")
        strip_col.download_button(  # the GIF is made when asked for: a slider move does not wait for it
            "Download GIF", lambda: images.gif_bytes([images.upscale_nearest(f, 4) for f in strip], boomerang=True),
            file_name=f"{name}_seed{seed}_{k}_{along}.gif", mime="image/gif", icon=":material/animated_images:",
            key="img_edit_gif")
    except (ValueError, inference.WeightsError) as exc:
        ui.show_error(exc, "Could not steer the face")


@st.fragment
def latent_walk(name, seed, label):
    st.subheader("Latent walk")
    st.caption(f"From seed {seed} (the one above) to the seed you pick: the first image of each seed, morphing"
               + (f", a {label} all along." if label else ", in one class all along." if inference.image_classes(name)
                  else "."))
    ui.walk_end("img_walk_from", "img_walk_to", seed)
    cols = st.columns(3, vertical_alignment="bottom")
    seed_b = cols[0].number_input("To seed", 0, 99_999, key="img_walk_to")
    st.session_state.setdefault("img_frames", 10)
    frames = cols[1].slider("Frames", 4, 32, key="img_frames")
    ui.to_url(to=seed_b, frames=frames)
    try:
        strip = inference.interpolate_images(name, seed, int(seed_b), frames, label=label)
        scale = max(1, 128 // strip.shape[1])
        gif = ui.show_walk(strip, seed, seed_b, scale=scale, gif_scale=2 * scale, gif_width=256)
        cols[2].download_button("Download GIF", gif, file_name=f"{name}_walk_{seed}_{seed_b}.gif", mime="image/gif",
                                icon=":material/animated_images:", key="img_gif")
    except (ValueError, inference.WeightsError) as exc:
        ui.show_error(exc, f"Could not walk the latent space of {name}")


name, seed, batch, chain, label = generate()
closer_look(batch, chain)
steering(name, seed, batch, chain)
latent_walk(name, seed, label)
