"""Home: what a GAN is, what each demo does, and the model cards from weights/manifest.json."""

import html

import streamlit as st

import ui
from models import cards, images, inference

GAN_DIAGRAM = """
<div class="gs-gan" role="img" aria-label="Diagram: random noise goes into the generator, which makes a fake
 image; the discriminator sees fake and real images and says real or fake; its verdict trains both networks.">
  <div class="gs-box" style="background:#EEF">random noise (the seed)</div><div class="gs-arrow">&darr;</div>
  <div class="gs-box" style="background:#D8D2FF"><b>Generator</b></div><div class="gs-arrow">&darr;</div>
  <div class="gs-pair">
    <div class="gs-box" style="background:#FFF3D6">fake image</div>
    <div class="gs-box" style="background:#DFF5E1">real image (training data)</div>
  </div>
  <div class="gs-arrow">&darr; &darr;</div>
  <div class="gs-box" style="background:#FFD9D2"><b>Discriminator</b></div><div class="gs-arrow">&darr;</div>
  <div class="gs-box gs-verdict">"real or fake?"</div>
  <div class="gs-note"><span style="color:#5B4BDB">The verdict trains both:</span> the generator learns to fool
   the discriminator, the discriminator learns to catch the generator.</div>
</div>
<style>
.gs-gan { max-width: 22rem; margin: 0.5rem auto; font-size: 0.95rem; text-align: center; }
.gs-box { padding: 0.45rem 0.6rem; border: 1px solid rgba(0,0,0,.25); border-radius: 0.6rem; color: #222; }
.gs-verdict { border-radius: 2rem; background: #fff; }
.gs-pair { display: flex; gap: 0.5rem; } .gs-pair .gs-box { flex: 1; }
.gs-arrow { line-height: 1.4; color: #555; }
.gs-note { margin-top: 0.5rem; font-size: 0.875rem; color: #444; }
</style>
"""

# a model card's table is 450 to 560 px wide: under 640 px each model is a short list of its own instead
CARD_LAYOUT = """<style>
@media (max-width: 640px) { [class*="st-key-card_table_"] { display: none; } }
@media (min-width: 641px) { [class*="st-key-card_list_"] { display: none; } }
.gs-card { margin: 0 0 0.8rem; } .gs-card dt { font-weight: 600; }
.gs-card dd { margin: 0; display: flex; justify-content: space-between; gap: 0.75rem; font-size: 0.9rem; }
.gs-card dd span:last-child { text-align: right; }
</style>"""


def card_list_html(rows):
    """``rows`` of a model card (dicts of display text) as one definition list per model, for narrow screens."""
    def item(row):
        name, *rest = row.items()
        cells = "".join(f"<dd><span>{html.escape(k)}</span><span>{html.escape(str(v))}</span></dd>" for k, v in rest)
        return f'<dl class="gs-card"><dt>{html.escape(str(name[1]))}</dt>{cells}</dl>'
    return "".join(item(row) for row in rows)


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
with right:
    try:
        sample = inference.generate_digits(inference.DEFAULT_DIGITS, 40, seed=7)
        ui.show_image(images.make_grid(sample, ncol=10), scale=3,
                      caption="Made just now by the conditional DCGAN: each column is one digit.")
    except (ValueError, inference.WeightsError) as exc:
        ui.show_error(exc, "The sample generator is not available")
    st.html(GAN_DIAGRAM)  # plain HTML and CSS: real text at the page's size, on any screen width

st.header("The demos")
try:
    demos = ui.available_demos()
    for row in range(0, len(demos), 2):  # two cards a row on a desktop; one under the other on a phone
        for col, demo in zip(st.columns(2), demos[row:row + 2]):
            with col.container(border=True):
                st.page_link(demo["page"], label=f"**{demo['title']}**", icon=demo["icon"])
                st.caption(demo["blurb"][:1].upper() + demo["blurb"][1:])
    shipped = inference.list_models()
except inference.WeightsError as exc:
    ui.show_error(exc, "The model list is damaged")
    st.stop()

st.header("Model cards")
st.caption("Every number was measured by the training scripts and read from `weights/manifest.json`. "
           "↑: higher is better; ↓: lower is better.")
if not shipped:
    st.info("No models are installed in `weights/` yet.")
entries = {m["name"]: m for m in shipped}
st.html(CARD_LAYOUT)
for task, spec in cards.TASKS.items():
    rows = cards.card_rows(task, entries)
    if rows:
        with st.container(border=True):
            st.subheader(spec["title"])
            st.caption(spec["explain"])
            with st.container(key=f"card_table_{task}"):  # a desktop: one table
                st.table(rows)
            with st.container(key=f"card_list_{task}"):  # a phone: each model on its own, every column in view
                st.html(card_list_html(rows))
