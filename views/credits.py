"""Credits and licences: the data, the pretrained network, the example images, the papers and the software."""

from pathlib import Path

import streamlit as st

st.title("Credits and licences")
st.caption("GAN Studio stands on public data sets, papers and open-source software. Thank you to their authors.")
st.markdown((Path(__file__).resolve().parent.parent / "assets" / "CREDITS.md").read_text())
