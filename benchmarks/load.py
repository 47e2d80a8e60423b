"""Load: 8 browser sessions at once on the digits page, each asking for new seeds; errors and response times.

    python -m benchmarks.load [--sessions 8] [--clicks 10]

Response time = from the click on "New seed" to the new grid being shown. Traffic stays on 127.0.0.1.
"""

import argparse
import asyncio
import json
import statistics
import time

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


async def run(sessions, clicks):
    from playwright.async_api import async_playwright
    times, errors = [], []
    with live.streamlit_app() as (url, _):
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=live.chromium_path(), args=live.CHROMIUM_ARGS)
            warm = await browser.new_page()  # first visitor pays for loading the model
            await warm.goto(url + "/digits")
            await warm.locator(IMG).first.wait_for(timeout=120_000)
            await warm.close()
            t0 = time.perf_counter()
            await asyncio.gather(*(session(browser, url, clicks, times, errors) for _ in range(sessions)))
            wall = time.perf_counter() - t0
            await browser.close()
    return times, errors, wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--clicks", type=int, default=10)
    args = parser.parse_args()
    times, errors, wall = asyncio.run(run(args.sessions, args.clicks))
    times.sort()
    result = {"sessions": args.sessions, "clicks_each": args.clicks, "responses": len(times), "errors": errors,
              "median_ms": round(statistics.median(times), 1) if times else None,
              "worst_ms": round(times[-1], 1) if times else None, "wall_s": round(wall, 1)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
