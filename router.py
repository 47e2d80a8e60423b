"""GAN Studio's router (run by ``app.py``'s server for every page view): the menu, and the page asked for.

The page scripts live in views/, not pages/: Streamlit routes through a pages/ folder (skipping this router)
for any request that arrives before some session has run st.navigation, e.g. a first visitor's deep link.
"""

import logging
from pathlib import Path

import streamlit as st

import ui
from models.weights import WeightsError

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
ICON = str(Path(__file__).resolve().parent / "assets" / "favicon.png")  # served by the app: no internet needed
st.set_page_config(page_title="GAN Studio", page_icon=ICON, layout="wide")

try:
    demos = ui.available_demos()
except WeightsError as exc:  # a damaged manifest must not take the whole site down: home explains it
    ui.log.error("could not read the manifest: %s", exc)
    demos = []
pages = [st.Page("views/home.py", title="Home", icon=":material/home:", default=True)]
pages += [st.Page(d["page"], title=d["title"], icon=d["icon"]) for d in demos]
pages.append(st.Page("views/credits.py", title="Credits and licences", icon=":material/license:"))
page = st.navigation(pages)
st.set_page_config(page_title=f"{page.title} · GAN Studio" if page.title != "Home" else "GAN Studio")  # browser tab
page.run()
