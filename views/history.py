"""How they learned: every shipped model's training record (samples over time, curves, time, hardware, command)."""

import csv

import streamlit as st

from models.manifest import contained
from models.weights import read_manifest, weights_dir

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


name = st.selectbox("Model", list(models), format_func=lambda n: models[n].get("title", n), key="history_model")
entry, files = models[name], models[name]["history"]
minutes = entry.get("train_time_s", 0) / 60
st.markdown(f"**{entry.get('title', name)}** (`{name}`): {entry.get('steps', 0):,} steps of batch "
            f"{entry.get('batch_size', '?')}, {minutes:.0f} min of training on {entry.get('hardware', 'unknown')}; "
            f"data: {entry.get('dataset', 'unknown')}.")
left, right = st.columns([2, 3], gap="large")
with left:
    if "gif" in files and contained(folder, files["gif"]).exists():  # the manifest's paths stay in weights/
        st.image(str(contained(folder, files["gif"])), caption="Samples at fixed inputs, from the first checkpoint to the last",
                 width="stretch")
with right:
    for key, title in (("eval", "Quality measured during training"), ("log", "Losses")):
        path = contained(folder, files[key]) if key in files else None
        if path is not None and path.exists():
            data = curves(str(path), path.stat().st_mtime)
            columns = [c for c in data if c != "step"]
            st.markdown(f"**{title}**")
            st.line_chart(data, x="step", y=columns, height=220)
st.markdown("**Retrain it**")
start = entry.get("init_model")
if start:  # a fine-tune: the model it started from first
    st.caption(f"Starts from `{start['name']}`, trained by:")
    st.code(start.get("command", "unknown"), language="bash")
    st.caption("then:")
if entry.get("stages"):  # one run, resumed with new settings: its commands in order
    for stage in entry["stages"]:
        st.caption(f"Steps {stage['steps']}" + (f" ({stage['result']})" if stage.get("result") else "") + ":")
        st.code(stage["command"], language="bash")
else:
    st.code(entry.get("command", "unknown"), language="bash")
if entry.get("metrics"):
    with st.expander("Measured quality (from the manifest)"):
        st.json(entry["metrics"])
