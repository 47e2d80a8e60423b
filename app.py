"""GAN Studio: a Streamlit app serving our own pretrained GAN generators. Run: streamlit run app.py"""

import logging

import streamlit as st

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
st.set_page_config(page_title="GAN Studio", page_icon=":material/auto_awesome:", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/digits.py", title="Handwritten digits", icon=":material/draw:"),
]
st.navigation(pages).run()
