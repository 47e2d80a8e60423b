"""Helpers the pages share that need no page: the job queue that bounds heavy work per server."""

import threading
import time

import pytest

import ui


def test_job_queue_runs_at_most_n_at_once_in_arrival_order():
    queue = ui.JobQueue(2)
    running, peak, order, waits = [], [0], [], {}
    lock = threading.Lock()

    def job(i):
        with queue.slot(on_wait=lambda pos: waits.setdefault(i, []).append(pos)):
            with lock:
                running.append(i)
                order.append(i)
                peak[0] = max(peak[0], len(running))
            time.sleep(0.15)
            with lock:
                running.remove(i)

    threads = []
    for i in range(5):
        threads.append(threading.Thread(target=job, args=(i,)))
        threads[-1].start()
        deadline = time.monotonic() + 5
        while queue.running + queue.waiting() < min(i + 1, 5) and time.monotonic() < deadline:
            time.sleep(0.005)  # each arrives (holds a slot or stands in line) before the next one comes
    for t in threads:
        t.join(timeout=10)
    assert peak[0] == 2 and order == [0, 1, 2, 3, 4]
    assert 0 not in waits and 1 not in waits  # free slots: no waiting
    assert waits[2][0] == 1 and waits[4][0] == 3 and waits[4][-1] == 1  # told their place as the line moves
    assert queue.waiting() == 0


def test_a_waiter_that_gives_up_leaves_the_line():
    queue = ui.JobQueue(1)
    release = threading.Event()

    def hold():
        with queue.slot():
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.05)

    def quit_while_waiting(position):
        raise RuntimeError("visitor left")  # as Streamlit stops a script
    with pytest.raises(RuntimeError):
        with queue.slot(on_wait=quit_while_waiting):
            pass
    assert queue.waiting() == 0
    release.set()
    holder.join(5)
    with queue.slot():  # the queue still works
        pass


def test_a_canvas_message_nested_too_deeply_is_refused_not_a_recursion_error():
    """Streamlit parses a component's state itself: a 50,000-deep message raised RecursionError inside it and broke
    the session; now it is invalid JSON (the state falls back to its default) and the canvas says so."""
    from streamlit.components.v2.bidi_component import serialization
    ui._shallow_json.refused.flag = False
    deep = '{"drawing": ' + "[" * 50_000 + "]" * 50_000 + "}"
    assert serialization.BidiComponentSerde(default={"drawing": None}).deserialize(deep) == {"drawing": None}
    assert ui._shallow_json.refused.flag
    ui._shallow_json.refused.flag = False
    state = serialization.BidiComponentSerde(default={"drawing": None}).deserialize('{"drawing": {"version": 3}}')
    assert state == {"drawing": {"version": 3}} and not ui._shallow_json.refused.flag


def test_file_names_from_visitors_are_shown_literally():
    """``![x](http://...).png`` as Markdown made the browser fetch that address."""
    import re
    shown = ui.literal("![x](http://evil.example/a.png).png")
    assert "](" not in shown and "![" not in shown and "http://" not in shown
    assert re.sub(r"\\(.)", r"\1", shown) == "![x](http://evil.example/a.png).png"  # nothing lost, only escaped
    assert ui.literal("a*b*_c_<b>x</b>") == r"a\*b\*\_c\_\<b\>x\</b\>"
    assert ui.literal("line\nbreak") == "line break"


def test_uploads_one_session_holds_are_bounded_at_the_server(caplog):
    """Streamlit keeps every uploaded file in memory: past the bound a file is refused (HTTP 413) in one log line,
    other sessions unaffected, and room comes back when the visitor removes files."""
    from starlette.exceptions import HTTPException
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    import app
    manager = MemoryUploadedFileManager("/upload")
    app.bound_uploads(manager, limit=50)
    rec = lambda i, size: UploadedFileRec(f"f{i}", f"{i}.png", "image/png", b"x" * size)  # noqa: E731
    manager.add_file("s1", rec(1, 20))
    manager.add_file("s1", rec(2, 20))
    with pytest.raises(HTTPException) as refused:
        manager.add_file("s1", rec(3, 20))
    assert refused.value.status_code == 413
    assert len([r for r in caplog.records if "upload refused" in r.getMessage()]) == 1
    assert not [r for r in caplog.records if r.exc_info]
    manager.add_file("s2", rec(4, 40))  # another visitor has their own room
    manager.remove_file("s1", "f1")
    manager.add_file("s1", rec(5, 20))
    assert [r.file_id for r in manager.get_files("s1", ["f2", "f5"])] == ["f2", "f5"]


def test_a_walks_grid_leaves_no_black_block_where_it_can():
    assert ui.walk_columns(6) == 6 and ui.walk_columns(8) == 8
    assert ui.walk_columns(10) == 5 and ui.walk_columns(12) == 6 and ui.walk_columns(16) == 8
    for frames in range(9, 33):
        cols = ui.walk_columns(frames)
        assert 5 <= cols <= 8 and -frames % cols <= min(-frames % c for c in range(5, 9))


def test_closed_sessions_uploads_are_freed_once_streamlit_stops_keeping_them():
    """Streamlit drops an expired disconnected session without shutting it down: its uploaded files stayed in
    memory for good. The upkeep removes the uploads of every session that is neither connected nor kept."""
    from types import SimpleNamespace

    from streamlit.runtime.caching.ttl_cache import TTLCache
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    import app
    uploads = MemoryUploadedFileManager("/upload")
    for session in ("active", "kept", "gone"):
        uploads.add_file(session, UploadedFileRec(f"{session}-f", "a.png", "image/png", b"x" * 10))
    now = [0.0]
    cache = TTLCache(maxsize=10, ttl=60, timer=lambda: now[0])
    cache["gone"] = "closed long ago"
    now[0] = 50.0
    cache["kept"] = "kept for a reconnect"
    now[0] = 70.0  # "gone" expired, "kept" not yet
    sessions = SimpleNamespace(_session_storage=SimpleNamespace(_cache=cache),
                               get_session_info=lambda sid: 1 if sid == "active" else cache.get(sid))
    app.free_closed_sessions(SimpleNamespace(_session_mgr=sessions, uploaded_file_mgr=uploads))
    assert sorted(uploads.file_storage) == ["active", "kept"]
    assert list(cache._data) == ["kept"]  # the expired session itself reaped too
