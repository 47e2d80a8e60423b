"""Sketch to photo: one translation after warm-up, per domain, through the same call the page makes.

    python -m benchmarks.pix2pix [--repeats 20] [--browser]

Uses the shipped pix2pix_<domain> model when the manifest has it, else the same architecture untrained (speed
does not depend on the weight values). The inputs are the page's example sketches (256x256). Target (issue 5):
at most 150 ms per translation on this 2-core CPU at the shipped resolution.

``--browser`` also times what a visitor sees: the app started as `make run` starts it, Debian's chromium draws a
stroke on the sketch page's canvas with the mouse, and the clock runs from the stroke's end to the new photo
loaded on the page (the first stroke, which loads the model, is left out). Target (issue 19): at most 1.0 s
median on an otherwise idle machine.
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.digits import RESULTS, peak_rss_mb

EXAMPLES = Path(__file__).resolve().parent.parent / "assets" / "sketches"


PHOTO_CHANGED = """before => { const i = document.querySelector('.gs-photo img');
    return i !== null && i.src !== before && i.complete && i.naturalWidth > 0; }"""


def stroke_to_photo(repeats):
    """Seconds from the end of a stroke on the canvas to the new photo shown, in chromium, ``repeats`` times."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    from benchmarks import live  # noqa: PLC0415
    times = []
    with live.streamlit_app() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=live.chromium_path(), args=live.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/sketch")
        canvas = page.locator("canvas.gs-canvas")
        canvas.wait_for(timeout=120_000)
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        for i in range(repeats + 1):
            image = page.locator(".gs-photo img")
            before = image.first.get_attribute("src") if image.count() else None
            y = box["y"] + box["height"] * (0.2 + 0.6 * (i % 12) / 12)
            page.mouse.move(box["x"] + 0.15 * box["width"], y)
            page.mouse.down()
            for t in range(1, 9):
                page.mouse.move(box["x"] + (0.15 + 0.7 * t / 8) * box["width"], y + 6 * (t % 2))
            page.mouse.up()
            t0 = time.perf_counter()
            page.wait_for_function(PHOTO_CHANGED, arg=before, timeout=120_000, polling=10)
            if i:  # the first stroke loads the model
                times.append(time.perf_counter() - t0)
            page.wait_for_timeout(300)
        browser.close()
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--browser", action="store_true", help="also time stroke end to photo shown in chromium")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from models import BUILDERS, inference  # noqa: PLC0415
    from training import export  # noqa: PLC0415
    from training.pix2pix import PRESETS  # noqa: PLC0415
    shipped = {m["name"] for m in inference.list_models("pix2pix")}
    rows = []
    for domain in ("shoes", "faces"):
        name = f"pix2pix_{domain}"
        label = f"{name} (shipped)"
        if name not in shipped:  # the shipped configuration, untrained, in a private weights folder
            g_args = PRESETS["small"][0]
            tmp = os.environ.setdefault("GAN_STUDIO_WEIGHTS", tempfile.mkdtemp())
            export.export(BUILDERS["unet_generator"](**g_args), name, "unet_generator", g_args, tmp,
                          task="pix2pix", domain=domain, title=name, dataset="none", steps=0, command="benchmark")
            label = f"{name} architecture (untrained: not shipped yet)"
        sketches = [np.asarray(Image.open(p).convert("L")) for p in sorted(EXAMPLES.glob(f"{domain}_*.png"))]
        for variation in (None, 1):
            inference.sketch_to_photo(sketches[0], domain, variation=variation)  # load, trace
            times = []
            for i in range(args.repeats):
                t0 = time.perf_counter()
                inference.sketch_to_photo(sketches[i % len(sketches)], domain, variation=variation)
                times.append((time.perf_counter() - t0) * 1000)
            rows.append({"model": label, "variation": variation is not None,
                         "size": inference.model_info(name)["args"]["image_size"],
                         "median_ms": round(statistics.median(times), 1),
                         "p95_ms": round(sorted(times)[int(0.95 * (len(times) - 1))], 1)})
    result = {"cpu_count": os.cpu_count(), "rows": rows, "peak_rss_mb": round(peak_rss_mb(), 0)}
    if args.browser:
        seconds = stroke_to_photo(args.repeats)
        result["stroke_to_photo_s"] = {"median": round(statistics.median(seconds), 3),
                                       "p95": round(sorted(seconds)[int(0.95 * (len(seconds) - 1))], 3),
                                       "strokes": len(seconds)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pix2pix.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| model | variation | resolution | translation, median | p95 |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {'seeded dropout' if r['variation'] else 'off'} | {r['size']} px | "
              f"{r['median_ms']} ms | {r['p95_ms']} ms |")
    if args.browser:
        print(f"stroke end to photo shown in chromium: {result['stroke_to_photo_s']}")


if __name__ == "__main__":
    main()
