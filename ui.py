"""Small helpers the pages share: error display (logged, never a traceback) and images."""

import logging

import streamlit as st

from models import images

log = logging.getLogger("gan_studio")


def show_error(exc, what="That did not work"):
    """Tell the visitor what went wrong in plain words and log it for the operator."""
    log.warning("%s: %s: %s", what, type(exc).__name__, exc)
    st.error(f"**{what}.** {exc}", icon=":material/error:")


def show_image(image, caption=None, scale=1, download_name=None, key=None):
    """Show a uint8 image enlarged by ``scale`` (nearest neighbour, crisp pixels), with a PNG download."""
    shown = images.upscale_nearest(image, scale) if scale > 1 else image
    st.image(shown, caption=caption)
    if download_name:
        st.download_button("Download PNG", images.png_bytes(shown), file_name=download_name, mime="image/png",
                           icon=":material/download:", key=key)
