"""Home: what a GAN is, what each demo does, and the model cards from weights/manifest.json."""

import streamlit as st

import ui
from models import images, inference

st.title("GAN Studio")
st.markdown("Real generative adversarial networks, trained by us on public data, running live on a plain CPU. "
            "Every number on this site was measured; every model can be retrained with one command.")

st.header("How a GAN works")
left, right = st.columns([3, 2], gap="large")
with left:
    st.markdown(
        "A GAN is two neural networks trained against each other:\n\n"
        "1. The **generator** takes random noise (a list of numbers) and turns it into an image. At first its "
        "images are just blotches.\n"
        "2. The **discriminator** is shown a mix of real photos from the training set and the generator's "
        "fakes, and must say which is which.\n"
        "3. Each round, the discriminator gets better at spotting fakes, and the generator is nudged in "
        "whatever direction fools the discriminator more often.\n\n"
        "When training goes well, the generator ends up producing images the discriminator can no longer tell "
        "from real ones. Then the discriminator is thrown away: the generator alone is what this site runs. "
        "Different noise gives a different image, and the same noise (the same *seed*) gives the same image.")
    st.graphviz_chart("""
        digraph {
          rankdir=LR; bgcolor="transparent"; node [shape=box, style="rounded,filled", fontname="Helvetica"];
          noise [label="random noise\\n(seed)", fillcolor="#EEF"];
          G [label="Generator", fillcolor="#D8D2FF"];
          fake [label="fake image", fillcolor="#FFF3D6"];
          real [label="real image\\n(training data)", fillcolor="#DFF5E1"];
          D [label="Discriminator", fillcolor="#FFD9D2"];
          verdict [label="real or fake?", shape=ellipse, fillcolor="#FFF"];
          noise -> G -> fake -> D; real -> D; D -> verdict;
          verdict -> G [label="  learns to fool D", style=dashed, color="#5B4BDB", fontcolor="#5B4BDB"];
          verdict -> D [label="  learns to catch G", style=dashed, color="#C0392B", fontcolor="#C0392B"];
        }""")
with right:
    try:
        sample = inference.generate_digits(inference.DEFAULT_DIGITS, 40, seed=7)
        ui.show_image(images.make_grid(sample, ncol=10), scale=3,
                      caption="Made just now by the conditional DCGAN: each column is one digit.")
    except (ValueError, inference.WeightsError) as exc:
        ui.show_error(exc, "The sample generator is not available")

st.header("The demos")
try:
    for demo in ui.available_demos():
        st.page_link(demo["page"], label=f"**{demo['title']}**: {demo['blurb']}", icon=demo["icon"])
    shipped = inference.list_models()
except inference.WeightsError as exc:
    ui.show_error(exc, "The model list is damaged")
    st.stop()

st.header("Model cards")
st.caption("Read from `weights/manifest.json`, written by the training scripts. Metrics: *recognised* is the share "
           "of 10,000 samples our digit judge (a CNN classifier) reads as the requested digit; *confident* the share "
           "it classifies with probability at least 0.9; *Frechet* the distance between generated and real digits "
           "in the judge's feature space (lower is better; real test vs real train digits score the floor).")
rows = []
for m in shipped:
    metrics = m.get("metrics", {})
    rows.append({
        "model": m.get("title", m["name"]), "name": m["name"], "task": m.get("task"), "dataset": m.get("dataset"),
        "parameters": m.get("params"), "training steps": m.get("steps"),
        "training time (min)": round(m["train_time_s"] / 60, 1) if m.get("train_time_s") else None,
        "recognised": metrics.get("recognised"), "confident": metrics.get("confident"),
        "Frechet": metrics.get("frechet"), "Frechet floor": metrics.get("frechet_floor"),
        "test accuracy": metrics.get("test_accuracy"),
    })
if rows:
    st.dataframe(rows, hide_index=True, column_config={
        "recognised": st.column_config.NumberColumn(format="percent"),
        "confident": st.column_config.NumberColumn(format="percent"),
        "test accuracy": st.column_config.NumberColumn(format="percent"),
        "parameters": st.column_config.NumberColumn(format="localized"),
    })
else:
    st.info("No models are installed in `weights/` yet.")
