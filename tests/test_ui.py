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
