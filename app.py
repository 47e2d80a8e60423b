"""GAN Studio's entry point: ``streamlit run app.py`` (what Streamlit Community Cloud and `make run` start).

This file only makes the server (``st.App``, Streamlit's ASGI application) and warms it up: as the server starts,
a background thread imports TensorFlow (about 3.5 s here) and loads the first page's model, so the first visitor
does not wait for them. The pages are routed by ``router.py``.
"""

import contextlib
import logging
import threading
import time

import streamlit as st

log = logging.getLogger("gan_studio")


def warm_up():
    """Import TensorFlow and load and run the first page's model, off the server's thread."""
    t0 = time.perf_counter()
    from models import inference  # noqa: PLC0415  (the slow import)
    log.info("warm-up: TensorFlow imported in %.1f s", time.perf_counter() - t0)
    names = inference.warm_up()
    log.info("warm-up: %s ready %.1f s after start", ", ".join(names) or "no models", time.perf_counter() - t0)


@contextlib.asynccontextmanager
async def lifespan(_app):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()  # the server answers meanwhile
    yield


app = st.App("router.py", lifespan=lifespan)
