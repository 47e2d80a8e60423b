"""GAN Studio's entry point: ``streamlit run app.py`` (what Streamlit Community Cloud and `make run` start).

This file only makes the server (``st.App``, Streamlit's ASGI application), bounds what one visitor may leave in
its memory, and warms it up: as the server starts, a background thread imports TensorFlow (about 3.5 s here) and
loads the first page's model, so the first visitor does not wait for them. The pages are routed by ``router.py``.
"""

import contextlib
import ctypes
import logging
import os
import threading
import time
from urllib.parse import quote

import streamlit as st
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse

log = logging.getLogger("gan_studio")
# Bytes of uploads one session may hold at once (Streamlit keeps every uploaded file in memory until the visitor
# removes it or the session ends): a batch of ten 4-megabyte photos fits; 30 files of 19 MB do not.
MAX_SESSION_UPLOAD_BYTES = int(os.environ.get("GAN_STUDIO_SESSION_UPLOAD_MB", 64)) * 1024 * 1024
# Path segments that start Streamlit's own routes, not pages
RESERVED = {"_stcore", "static", "media", "component", "app", "favicon.png", "robots.txt"}


def warm_up():
    """Import TensorFlow and load and run the first page's model, off the server's thread."""
    t0 = time.perf_counter()
    from models import inference  # noqa: PLC0415  (the slow import)
    log.info("warm-up: TensorFlow imported in %.1f s", time.perf_counter() - t0)
    names = inference.warm_up()
    log.info("warm-up: %s ready %.1f s after start", ", ".join(names) or "no models", time.perf_counter() - t0)


def bound_uploads(manager, limit=MAX_SESSION_UPLOAD_BYTES):
    """Make Streamlit's in-memory upload store refuse (HTTP 413, one log line) a file that would take one
    session's uploads past ``limit`` bytes; the visitor's uploader shows the refusal on that file."""
    add_file = manager.add_file

    def bounded_add_file(session_id, file):
        with manager._lock:
            held = sum(len(rec.data) for rec in manager.file_storage.get(session_id, {}).values())
        if held + len(file.data) > limit:
            log.warning("upload refused: session %s… holds %.1f MB, %.1f MB more would pass its %.0f MB",
                        session_id[:8], held / 2**20, len(file.data) / 2**20, limit / 2**20)
            raise HTTPException(status_code=413, detail="This session holds enough uploads: remove some first.")
        add_file(session_id, file)
    manager.add_file = bounded_add_file


def free_closed_sessions(runtime):
    """Free what closed tabs left: Streamlit keeps a disconnected session for ``server.disconnectedSessionTTL``
    seconds for a reconnect, then only stops finding it (its entry is reaped on some later write, and it is never
    shut down), so its session state stayed in memory, and its uploaded files for good. Reaps the expired
    sessions, and removes the uploads of every session that is neither connected nor kept for a reconnect."""
    sessions = runtime._session_mgr  # Streamlit's own objects: no public API reaches them
    storage = getattr(getattr(sessions, "_session_storage", None), "_cache", None)
    if hasattr(storage, "expire"):
        with getattr(sessions, "_storage_lock", threading.Lock()):
            storage.expire()
    uploads = runtime.uploaded_file_mgr
    with uploads._lock:
        owners = list(uploads.file_storage)
    for session_id in owners:
        if sessions.get_session_info(session_id) is None:
            uploads.remove_session_files(session_id)


def memory_upkeep(runtime, every=20.0):
    """Every ``every`` seconds, in a thread: ``free_closed_sessions``, then give the heap's free memory back to
    the system (glibc kept it for reuse: after a burst of uploads the server stayed 300 MB larger once the
    sessions had closed; large blocks now come from, and go back to, the system at once). Without glibc, only
    the sessions are freed."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 256 * 1024)  # M_MMAP_THRESHOLD, fixed: blocks over 256 KB are mmapped, freed at once
    except (OSError, AttributeError):
        libc = None

    def upkeep():
        while True:
            time.sleep(every)
            try:
                free_closed_sessions(runtime)
            except Exception:  # Streamlit's internals changed: say so once a round, keep serving
                log.exception("memory upkeep: could not free closed sessions")
            if libc is not None:
                libc.malloc_trim(0)
    threading.Thread(target=upkeep, name="memory-upkeep", daemon=True).start()


class PageAddress:
    """ASGI middleware: a page address with more after it (``/digits/extra``) served Streamlit's page with its
    relative script paths resolved below it, a blank white page; it is sent to the page itself, query kept."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            parts = [p for p in scope["path"].split("/") if p]
            # the frontend asks for its own routes below the page it is on (/digits/_stcore/health): those pass
            if len(parts) > 1 and parts[0] not in RESERVED and parts[1] not in RESERVED:
                query = scope.get("query_string", b"").decode("latin-1")
                target = "/" + quote(parts[0]) + (f"?{query}" if query else "")
                await RedirectResponse(target, status_code=308)(scope, receive, send)
                return
        await self.app(scope, receive, send)


@contextlib.asynccontextmanager
async def lifespan(_app):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from streamlit.runtime import Runtime  # noqa: PLC0415  (started by now)
    bound_uploads(Runtime.instance().uploaded_file_mgr)
    memory_upkeep(Runtime.instance())
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()  # the server answers meanwhile
    yield


app = st.App("router.py", lifespan=lifespan, middleware=[Middleware(PageAddress)])
