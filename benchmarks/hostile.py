"""Memory and responsiveness under what one hostile or unlucky visitor can send (issue 34's probes), measured on
the live app: the server's peak resident memory through each scenario, another visitor's first page load
meanwhile, and the memory a minute after the sessions closed.

    python -m benchmarks.hostile [--skip-batch] [--skip-canvas] [--skip-evaluate]

Scenarios: two sessions each choose 15 photos of 19 MB in the "Several files" uploader and press "Upscale all";
two crafted 23 MB messages go to the app's WebSocket as a canvas's state would; four sessions each upload a
4-megapixel photo to "Evaluate on your own photo" and press Evaluate at once. Traffic stays on 127.0.0.1.
Target: peak RSS under 1.5 GB through each, back within a minute, the other visitor's first load under 8 s.
"""

import argparse
import asyncio
import json
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks import live
from benchmarks.digits import RESULTS

IMG = '[data-testid="stImage"] img'
ARTEFACTS = live.ROOT / "screenshots"  # the server's log and a screenshot (git-ignored)


class RssMonitor:
    """The resident memory of process ``pid`` (``/proc``), sampled every 0.1 s in a thread; ``peak()`` since the
    last ``reset()``."""

    def __init__(self, pid):
        self.pid, self.stop, self.samples, self.lock = pid, threading.Event(), [], threading.Lock()
        self.mark = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def rss_mb(self):
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def _run(self):
        while not self.stop.is_set():
            try:
                value = self.rss_mb()
            except OSError:
                return
            with self.lock:
                self.samples.append(value)
            time.sleep(0.1)

    def reset(self):
        with self.lock:
            self.mark = len(self.samples)

    def peak(self):
        with self.lock:
            return round(max(self.samples[self.mark:] or [self.rss_mb()]))


async def first_load(browser, url):
    """Seconds from a new visitor's request for the digits page to its grid on screen."""
    context = await browser.new_context()
    page = await context.new_page()
    t0 = time.perf_counter()
    await page.goto(url + "/digits")
    await page.locator(IMG).first.wait_for(timeout=120_000)
    seconds = time.perf_counter() - t0
    await context.close()
    return round(seconds, 2)


async def while_running(browser, url, work):
    """Run ``work`` (a coroutine); meanwhile another visitor loads the digits page every few seconds."""
    task = asyncio.ensure_future(work)
    loads = []
    while True:  # the first load starts with the work
        loads.append(await first_load(browser, url))
        if task.done():
            break
        await asyncio.sleep(1.0)
    return loads, await task


async def upscale_tab(browser, url, tab, uploader_text, files):
    """A new visitor's upscale page on ``tab``, ``files`` chosen in the uploader labelled ``uploader_text``."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(url + "/upscale")
    await page.get_by_role("tab", name=tab).click()
    uploader = page.locator('[data-testid="stFileUploader"]', has_text=uploader_text).locator("input[type=file]")
    await uploader.set_input_files(files)
    return context, page


async def batch_session(browser, url, files, notes):
    context, page = await upscale_tab(browser, url, "Several files", "small photos", [str(f) for f in files])
    await page.wait_for_timeout(15_000)  # every file sent (or refused) by now
    await page.screenshot(path=str(ARTEFACTS / "hostile_batch.png"), full_page=True)  # refused: a red mark each
    button = page.get_by_role("button", name="Upscale all")
    if await button.is_enabled():
        await button.click()
        await page.wait_for_timeout(10_000)
    notes.append({"files_chosen": len(files)})
    return context


async def batch_scenario(browser, url, folder):
    photo = folder / "big.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (2520, 2520, 3), np.uint8)).save(photo, compress_level=1)
    files = []
    for i in range(15):
        files.append(folder / f"big_{i:02d}.png")
        files[-1].write_bytes(photo.read_bytes())
    notes = []
    contexts = await asyncio.gather(*(batch_session(browser, url, files, notes) for _ in range(2)))
    return contexts, {"file_mb": round(photo.stat().st_size / 1e6, 1), "sessions": notes}


def crafted_messages(url, count=2, size=23_000_000):
    """Send ``count`` binary WebSocket messages of ``size`` bytes to the app's stream, as a crafted canvas state
    would arrive; returns how the server answered each (close code)."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect
    codes = []
    for _ in range(count):
        with connect(url.replace("http", "ws") + "/_stcore/stream", max_size=None, open_timeout=10,
                     subprotocols=["streamlit"]) as ws:
            try:
                ws.send(b"\x0a" + b"\x00" * (size - 1))
                ws.recv(timeout=30)
                codes.append("answered")
            except ConnectionClosed as exc:
                codes.append(exc.rcvd.code if exc.rcvd else "closed")
            except TimeoutError:
                codes.append("no answer")
    return codes


async def evaluate_session(browser, url, photo, seconds):
    context, page = await upscale_tab(browser, url, "Evaluate on your own photo", "high-resolution", str(photo))
    button = page.get_by_role("button", name="Evaluate")
    await button.wait_for(timeout=60_000)
    t0 = time.perf_counter()
    await button.click()
    await page.locator('[data-testid="stMetric"]').first.wait_for(timeout=600_000)
    seconds.append(round(time.perf_counter() - t0, 1))
    return context


def test_photo(path, width, height, seed=1):
    """A noisy, smooth-ish PNG photo of ``width`` x ``height``."""
    rng = np.random.default_rng(seed)
    smooth = Image.fromarray(rng.integers(0, 256, (64, 64, 3), np.uint8)).resize((width, height), Image.BICUBIC)
    noisy = np.clip(np.asarray(smooth).astype(int) + rng.integers(-20, 21, (height, width, 3)), 0, 255)
    Image.fromarray(noisy.astype(np.uint8)).save(path)
    return path


async def warm_evaluation(browser, url, folder):
    """One small evaluation first: the upscaler's model loaded and traced, which stays (the 'before' level)."""
    context = await evaluate_session(browser, url, test_photo(folder / "small.png", 256, 192), [])
    await context.close()


async def evaluate_scenario(browser, url, folder):
    photo = test_photo(folder / "four_mp.png", 2304, 1728)
    seconds = []
    contexts = await asyncio.gather(*(evaluate_session(browser, url, photo, seconds) for _ in range(4)))
    return contexts, {"photo": "2304x1728 (4.0 MP) PNG", "evaluation_s": sorted(seconds)}


async def run(args):
    from playwright.async_api import async_playwright
    ARTEFACTS.mkdir(exist_ok=True)
    result = {"target": "peak RSS < 1500 MB, back within 60 s of closing, first load < 8 s"}
    with live.streamlit_app(ARTEFACTS / "hostile_server.log") as (url, proc), tempfile.TemporaryDirectory() as tmp:
        monitor = RssMonitor(proc.pid)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=live.chromium_path(), args=live.CHROMIUM_ARGS)
            result["idle_first_load_s"] = await first_load(browser, url)  # also warms the digits model
            result["rss_idle_mb"] = round(monitor.rss_mb())
            scenarios = []
            if not args.skip_batch:
                scenarios.append(("batch_30x19MB_two_sessions", batch_scenario))
            if not args.skip_evaluate:  # again after the first: what stays is a one-off cache or grows per burst
                scenarios += [("evaluate_4MP_four_sessions" + (f"_burst{k + 1}" if k else ""), evaluate_scenario)
                              for k in range(args.evaluate_bursts)]
            for name, scenario in scenarios:
                if scenario is evaluate_scenario and not name.endswith(tuple("0123456789")):
                    await warm_evaluation(browser, url, Path(tmp))
                    await asyncio.sleep(args.settle)  # its session closed and freed
                monitor.reset()
                before = round(monitor.rss_mb())
                box = {}

                async def work(scenario=scenario, box=box):
                    box["contexts"], box["notes"] = await scenario(browser, url, Path(tmp))
                loads, _ = await while_running(browser, url, work())
                peak = monitor.peak()
                for context in box["contexts"]:
                    await context.close()
                closed = time.perf_counter()
                await asyncio.sleep(args.settle)
                log = (ARTEFACTS / "hostile_server.log").read_text()
                result[name] = {"rss_before_mb": before, "peak_rss_mb": peak, **box["notes"],
                                "uploads_refused_so_far": log.count("upload refused"),
                                "other_visitor_first_load_s": loads,
                                f"rss_{args.settle}s_after_close_mb": round(monitor.rss_mb()),
                                "settle_s": round(time.perf_counter() - closed), "measured": time.strftime("%Y-%m-%d")}
                print(name, json.dumps(result[name]), flush=True)
            if not args.skip_canvas:
                monitor.reset()
                before = round(monitor.rss_mb())
                loads, codes = await while_running(browser, url, asyncio.to_thread(crafted_messages, url))
                result["canvas_2x23MB_messages"] = {"rss_before_mb": before, "peak_rss_mb": monitor.peak(),
                                                    "server_answer": codes, "other_visitor_first_load_s": loads}
                print("canvas", json.dumps(result["canvas_2x23MB_messages"]), flush=True)
            await browser.close()
        monitor.stop.set()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--skip-canvas", action="store_true")
    parser.add_argument("--skip-evaluate", action="store_true")
    parser.add_argument("--evaluate-bursts", type=int, default=2, help="times the four evaluations are repeated")
    parser.add_argument("--settle", type=int, default=60, help="seconds to wait after closing the sessions")
    result = asyncio.run(run(parser.parse_args()))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "hostile.json"  # a skipped scenario keeps its last measurement
    result = {**(json.loads(path.read_text()) if path.exists() else {}), **result}
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
