"""How they learned: every shipped model's training record (samples over time, curves, time, hardware, command)."""

import csv

import streamlit as st

import ui
from models import cards
from models.manifest import contained
from models.weights import read_manifest, weights_dir

# What each logged quantity means, in plain words (one small chart each: their scales differ by orders of magnitude)
MEANING = {
    "g_loss": ("Generator loss, total", "How badly the generator is doing against everything it is scored on. In a "
               "GAN it does not simply fall: it rises when the discriminator gets better."),
    "d_loss": ("Discriminator loss", "How often the discriminator mistakes real for fake or fake for real. Near "
               "1.39 (2 ln 2) it is guessing; near 0 it wins every time and the generator learns little."),
    "d_real": ("Discriminator on real images", "Its average belief that a real image is real (1: sure)."),
    "d_fake": ("Discriminator on generated images", "Its average belief that a generated image is real. When this "
               "rises toward d_real, the fakes are harder to tell apart."),
    "d_class": ("Discriminator naming the class", "Cross-entropy of the discriminator's class guess for real "
                "images (the class loss; ln 10 = 2.30: guessing among ten)."),
    "g_class": ("Generator, painting the class asked for", "Cross-entropy of the discriminator's class guess for "
                "generated images against the class asked for (the class loss; lower: more plainly that class)."),
    "g_adv": ("Generator, fooling the discriminator", "The adversarial part of the generator's loss (lower: it "
              "fools the discriminator more often)."),
    "adversarial": ("Generator, fooling the discriminator", "The adversarial part of the generator's loss."),
    "g_l1": ("Generator, distance to the real photo", "Mean absolute difference to the true photo, pixel by "
             "pixel (lower is closer)."),
    "pixel": ("Distance to the real image", "Mean absolute difference to the true image, pixel by pixel (lower "
              "is closer)."),
    "g_perceptual": ("Generator, distance in features", "Difference to the true photo as a pretrained SqueezeNet "
                     "sees it: shapes and textures rather than exact pixels (lower is closer)."),
    "perceptual": ("Distance in features", "Difference to the true image as a pretrained SqueezeNet sees it "
                   "(lower is closer)."),
    "grid": ("Mesh on the upsampler's grid", "Error at the frequencies of the 4-pixel sub-pixel grid, where a dot "
             "pattern would show (lower: less mesh)."),
    "frechet": ("Fréchet distance to real images", "How far the generated images are from real ones, as a "
                "population (lower is better). Measured on samples every checkpoint."),
    "val_psnr": ("Held-out PSNR", "Closeness to the true photos of the validation set, in dB (higher is better)."),
    "val_bicubic_psnr": ("Held-out PSNR of bicubic", "The same for plain bicubic enlargement: the baseline."),
    "val_gain_db": ("Gain over bicubic", "How many dB the model adds over bicubic on held-out photos (higher is "
                    "better; above 0 it beats a plain resize)."),
    "val_mesh": ("Mesh score, held-out", "Power on the upsampler's 4-pixel grid over its surroundings (1.0: none)."),
}

st.title("How they learned")
st.caption("A GAN's losses do not simply go down: the generator and the discriminator push against each other. "
           "The samples, taken at fixed noise as training went on, and the quality measured along the way tell "
           "the story better.")

folder = weights_dir()
models = {name: e for name, e in sorted(read_manifest().items()) if e.get("history")}
if not models:
    st.info("No model in `weights/` has a training record yet.")
    st.stop()


@st.cache_data(show_spinner=False)
def curves(path, mtime):
    """A run's CSV as {column: values}, for st.line_chart (``mtime`` keys the cache to the file's version)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: [float(r[k]) if r[k] else None for r in rows] for k in (rows[0] if rows else {}) if k != "seconds"}


ui.from_url("history_model", "model", str, set(models))
name = st.selectbox("Model", list(models), format_func=lambda n: models[n].get("title", n), key="history_model")
ui.to_url(model=name)
entry, files = models[name], models[name]["history"]
chain = cards.lineage(entry)
st.markdown(f"**{entry.get('title', name)}** (`{name}`): {cards.training(entry)} of training in all"
            + (f" (the {len(chain)} stages below)" if len(chain) > 1 else "") + f", on {entry.get('hardware', 'unknown')}; "
            f"data: {cards.dataset_name(entry.get('dataset'))}.")
left, right = st.columns([2, 3], gap="large")
with left:
    if "gif" in files and contained(folder, files["gif"]).exists():  # the manifest's paths stay in weights/
        st.image(str(contained(folder, files["gif"])), caption="Samples at fixed inputs, from the first checkpoint to the last",
                 width="stretch")
with right:
    series = {}  # quantity -> (its file's steps, its values): eval.csv and log.csv are logged at different steps
    for key in ("eval", "log"):  # quality first, then the losses
        path = contained(folder, files[key]) if key in files else None
        if path is not None and path.exists():
            columns = curves(str(path), path.stat().st_mtime)
            steps = columns.pop("step", None)
            if steps:
                series.update({k: (steps, v) for k, v in columns.items() if k not in series})
    if series:
        st.caption("One chart per quantity, over training steps" + (" (of the last stage)" if len(chain) > 1 else "") + "."
                   + (" The run was resumed with new settings along the way (the commands are under *Retrain it*): a "
                      "sudden step in a curve is one of them, such as a loss term added, not training going wrong."
                      if entry.get("stages") else ""))
        shown = [k for k in MEANING if k in series] + [k for k in series if k not in MEANING]
        for row in range(0, len(shown), 2):
            for col, key in zip(st.columns(2), shown[row:row + 2]):
                title, meaning = MEANING.get(key, (key, ""))
                steps, values = series[key]
                with col:
                    st.markdown(f"**{title}** (`{key}`)")
                    st.line_chart({"step": steps, key: values}, x="step", y=key, height=150)
                    if meaning:
                        st.caption(meaning)
st.markdown("**Retrain it**")
for number, stage in enumerate(chain[:-1], 1):  # a fine-tune: the models it started from first, oldest first
    st.caption(f"Stage {number}: " + ("the first" if number == 1 else "fine-tuned from it,")
               + f" `{stage.get('name', name)}` ({stage.get('steps', 0):,} steps, "
               f"{stage.get('train_time_s', 0) / 60:.0f} min), trained by:")
    st.code(stage.get("command", "unknown"), language="bash", wrap_lines=True)  # whole commands, no scrolling
if len(chain) > 1:
    st.caption(f"Stage {len(chain)}: fine-tuned from it ({entry.get('steps', 0):,} steps, "
               f"{entry.get('train_time_s', 0) / 60:.0f} min) by:")
if entry.get("stages"):  # one run, resumed with new settings: its commands in order
    for stage in entry["stages"]:
        st.caption(f"Steps {stage['steps']}" + (f" ({stage['result']})" if stage.get("result") else "") + ":")
        st.code(stage["command"], language="bash", wrap_lines=True)  # whole commands, no scrolling
else:
    st.code(entry.get("command", "unknown"), language="bash", wrap_lines=True)  # whole commands, no scrolling
if entry.get("metrics"):
    with st.expander("Measured quality (from the manifest)"):
        st.json(entry["metrics"])
