"""How long a page stays busy after a click (issue 33): Image GANs "New seed" and a model switch on "How they
learned", in chromium, on the app as `make run` starts it with the shipped models.

    python -m benchmarks.settle [--repeats 7] [--conditions idle|loaded]

For each click: the seconds to the new result on screen, and to the page settled (every part updated, Streamlit's
"Running" status gone and no element left greyed out as stale). Target: settled within 1.5 s here (median).
"""

import argparse
import json
import statistics
import time

from benchmarks import live
from benchmarks.digits import RESULTS

SETTLED = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
           " && !document.querySelector('[data-stale=\"true\"]')")
HAS_TEXT = "([text]) => document.body.innerText.includes(text)"


def wait_text(page, text):
    page.wait_for_function(HAS_TEXT, arg=[text], timeout=60_000, polling=20)


def summary(pairs):
    shown, settled = zip(*pairs)
    return {"result_shown_s": round(statistics.median(shown), 2), "settled_s": round(statistics.median(settled), 2),
            "settled_worst_s": round(max(settled), 2), "clicks": len(pairs)}


def image_gans_new_seed(page, url, repeats):
    """The page as it opens (the face GAN: grid, closer look, steering, walk): "New seed", then the new seed's
    grid caption (shown) and its walk's caption at the foot of the page (settled)."""
    page.goto(url + "/images")
    page.get_by_text("The walk, animated").wait_for(timeout=120_000)
    page.wait_for_function(SETTLED, timeout=60_000)
    seed_box = page.get_by_role("spinbutton").first
    pairs = []
    for _ in range(repeats):
        before = seed_box.input_value()
        t0 = time.perf_counter()
        page.get_by_role("button", name="New seed").first.click()
        page.wait_for_function("([b]) => document.querySelector('input[type=number]').value !== b", arg=[before],
                               timeout=60_000, polling=20)
        seed = seed_box.input_value()
        wait_text(page, f"seed {seed} - generated")
        shown = time.perf_counter() - t0
        wait_text(page, f"The walk, animated: seed {seed} to")
        page.wait_for_function(SETTLED, timeout=60_000, polling=20)
        pairs.append((shown, time.perf_counter() - t0))
    return summary(pairs)


def history_switch(page, url, repeats, models):
    """A model picked in the menu: its title line (shown), then nothing running or greyed out (settled)."""
    page.goto(url + "/history")
    page.get_by_text("Retrain it").wait_for(timeout=120_000)
    page.wait_for_function(SETTLED, timeout=60_000)
    box = page.get_by_role("combobox", name="Model")
    pairs = []
    for i in range(repeats):
        name, title = models[(i + 1) % len(models)]
        t0 = time.perf_counter()
        box.click()
        page.get_by_role("option", name=title, exact=True).click()
        wait_text(page, f"({name}):")
        shown = time.perf_counter() - t0
        page.wait_for_timeout(20)
        page.wait_for_function(SETTLED, timeout=60_000, polling=20)
        pairs.append((shown, time.perf_counter() - t0))
    return summary(pairs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--conditions", choices=["idle", "loaded"], default="idle",
                        help="what else the machine does (loaded: two training runs, a thread each); the result is "
                             "kept under this key of the results file")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    from models.weights import read_manifest  # noqa: PLC0415
    recorded = [(n, e.get("title", n)) for n, e in read_manifest().items() if e.get("history")]
    with live.streamlit_app() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=live.chromium_path(), args=live.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        result = {"target": "settled within 1.5 s (median)",
                  "image_gans_new_seed": image_gans_new_seed(page, url, args.repeats),
                  "history_model_switch": history_switch(page, url, args.repeats, recorded),
                  "measured": time.strftime("%Y-%m-%d")}
        browser.close()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "settle.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**kept, args.conditions: result}, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
