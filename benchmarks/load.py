"""Load: 8 browser sessions at once on the digits page, each asking for new seeds; errors and response times.

    python -m benchmarks.load [--sessions 8] [--clicks 10] [--during-upscale]

With ``--during-upscale`` another session keeps upscaling a 1-megapixel photo x4 on the upscale page the whole
time, to see that the other pages stay responsive while a long job runs.

Response time = from the click on "New seed" to the new grid being shown. Traffic stays on 127.0.0.1.
"""

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

from benchmarks import live
from benchmarks.digits import RESULTS

IMG = '[data-testid="stImage"] img'


async def session(browser, url, clicks, times, errors):
    page = await browser.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        await page.goto(url + "/digits")
        await page.locator(IMG).first.wait_for(timeout=120_000)
        for _ in range(clicks):
            before = await page.locator(IMG).first.get_attribute("src")
            t0 = time.perf_counter()
            await page.get_by_role("button", name="New seed").click()
            await page.wait_for_function(f"s => document.querySelector('{IMG}').src !== s", arg=before, timeout=60_000)
            times.append((time.perf_counter() - t0) * 1000)
        if await page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count():
            errors.append("error shown on the page")
    except Exception as exc:  # count and report every failure; the run goes on with the other sessions
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        await page.close()


async def upscaler(browser, url, photo, stop, jobs, errors):
    """Upscale ``photo`` on the upscale page again and again until ``stop`` is set; ``jobs`` gets their seconds."""
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        await page.goto(url + "/upscale")
        await page.locator('[data-testid="stRadio"]').get_by_text("Upload", exact=True).click()
        files = page.locator('[data-testid="stFileUploader"]', has_text="A small photo").locator("input[type=file]")
        await files.set_input_files(str(photo))
        await page.locator('[data-testid="stImageCaption"]', has_text="Input,").wait_for(timeout=60_000)
        while not stop.is_set():
            scale = 3 if len(jobs) % 2 else 4  # another setting each time: a new job, not the stored result
            await page.locator('[data-testid="stRadio"]').get_by_text(f"x{scale}", exact=True).first.click()
            t0 = time.perf_counter()
            await page.get_by_role("button", name="Upscale", exact=True).click()
            done = f"{1024 * scale}x{768 * scale} in"
            await page.locator('[data-testid="stCaptionContainer"]', has_text=done).wait_for(timeout=300_000)
            jobs.append(round(time.perf_counter() - t0, 2))
    except Exception as exc:  # reported with the rest
        errors.append(f"upscaler: {type(exc).__name__}: {exc}")
    finally:
        await page.close()


async def run(sessions, clicks, during_upscale=False):
    from playwright.async_api import async_playwright
    times, errors = [], []
    with live.streamlit_app() as (url, _):
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=live.chromium_path(), args=live.CHROMIUM_ARGS)
            warm = await browser.new_page()  # first visitor pays for loading the model
            await warm.goto(url + "/digits")
            await warm.locator(IMG).first.wait_for(timeout=120_000)
            await warm.close()
            stop, jobs, background = asyncio.Event(), [], None
            if during_upscale:
                import tempfile  # noqa: PLC0415

                import numpy as np  # noqa: PLC0415
                from PIL import Image  # noqa: PLC0415
                photo = Path(tempfile.mkdtemp()) / "photo.png"
                Image.fromarray(np.random.default_rng(0).integers(0, 256, (768, 1024, 3), np.uint8)).save(photo)
                background = asyncio.create_task(upscaler(browser, url, photo, stop, jobs, errors))
                await asyncio.sleep(8)  # the first job under way
            t0 = time.perf_counter()
            await asyncio.gather(*(session(browser, url, clicks, times, errors) for _ in range(sessions)))
            wall = time.perf_counter() - t0
            stop.set()
            if background:
                await background
            await browser.close()
    return times, errors, wall, jobs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--clicks", type=int, default=10)
    parser.add_argument("--during-upscale", action="store_true")
    args = parser.parse_args()
    times, errors, wall, jobs = asyncio.run(run(args.sessions, args.clicks, args.during_upscale))
    times.sort()
    result = {"sessions": args.sessions, "clicks_each": args.clicks, "responses": len(times), "errors": errors,
              "median_ms": round(statistics.median(times), 1) if times else None,
              "worst_ms": round(times[-1], 1) if times else None, "wall_s": round(wall, 1),
              "upscale_jobs_s": jobs}
    RESULTS.mkdir(exist_ok=True)
    name = "load_during_upscale.json" if args.during_upscale else "load.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
