"""Image GANs: a 64-image grid per model, and 16 faces generated then upscaled to 256x256, after warm-up.

    python -m benchmarks.images [--repeats 5]

Shipped models when the manifest has them, else the shipped configurations untrained (speed does not depend on
the weight values). Target (issue 6): 16 faces generated and upscaled in under 3 s on this 2-core CPU.
With the shipped face GAN's directions, also a slider move on the Image GANs page to the updated face shown in
chromium (issue 22: at most 0.5 s median).
"""

import argparse
import json
import os
import statistics
import tempfile
import time

import numpy as np

from benchmarks.digits import RESULTS, peak_rss_mb

MODELS = {"dcgan_cifar10": {"image_size": 32, "latent_dim": 100, "num_feat": 64, "sagan": False},
          "sagan_cifar10": {"image_size": 32, "latent_dim": 128, "num_feat": 64, "sagan": True},
          "dcgan_faces64": {"image_size": 64, "latent_dim": 100, "num_feat": 64, "sagan": False}}


def ensure(name, builder, args, **fields):
    """``name`` from the manifest, or the same architecture untrained in a private weights folder."""
    from models import BUILDERS, inference  # noqa: PLC0415
    from training import export  # noqa: PLC0415
    if name in {m["name"] for m in inference.list_models()}:
        return f"{name} (shipped)"
    tmp = os.environ.setdefault("GAN_STUDIO_WEIGHTS", tempfile.mkdtemp())
    if not os.path.exists(os.path.join(tmp, "manifest.json")):  # keep the shipped models visible too
        import shutil  # noqa: PLC0415

        from models.weights import DEFAULT_DIR  # noqa: PLC0415
        for f in DEFAULT_DIR.glob("*.*"):
            shutil.copy2(f, tmp)
    export.export(BUILDERS[builder](**args), name, builder, args, tmp, title=name, dataset="none", steps=0,
                  command="benchmark", **fields)
    return f"{name} architecture (untrained: not shipped yet)"


def timed(fn, repeats):
    fn()  # load, trace
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1)


def slider_to_face(moves=10):
    """Seconds from an arrow key on the page's age slider to the new face shown in chromium (median), the app
    started as `make run` starts it, the shipped models only."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    from benchmarks import live  # noqa: PLC0415
    times = []
    with live.streamlit_app() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=live.chromium_path(), args=live.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + "/images")
        caption = page.locator('[data-testid="stImageCaption"]', has_text="Seed 0, sample 1")
        caption.wait_for(timeout=120_000)
        face = page.locator('[data-testid="stImage"]', has=caption).locator("img")
        slider = page.get_by_role("slider", name="Age: younger (-) or older (+)")
        for i in range(moves):
            before = face.get_attribute("src")
            slider.focus()
            t0 = time.perf_counter()
            page.keyboard.press("ArrowRight" if i < moves // 2 else "ArrowLeft")
            page.wait_for_function(
                "([src]) => [...document.querySelectorAll('[data-testid=\"stImage\"] img')].some(i => "
                "i.src !== src && i.complete && i.naturalWidth > 0 && i.closest('[data-testid=\"stImage\"]')"
                ".innerText.includes('Seed 0, sample 1:'))", arg=[before], timeout=30_000)
            times.append(time.perf_counter() - t0)
        browser.close()
    return round(statistics.median(times), 3), round(max(times), 3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from models import inference  # noqa: PLC0415
    from training.sr import PRESETS  # noqa: PLC0415
    rows = []
    for name, g_args in MODELS.items():
        label = ensure(name, "image_generator", g_args, task="images")
        rows.append({"what": f"64-image grid, {label}", "median_ms": timed(
            lambda name=name: inference.generate_images(name, 64, seed=1), args.repeats)})
    sr_label = ensure("srgan_faces", "sr_generator", PRESETS["small"], task="sr")

    def chain():
        faces = inference.generate_images("dcgan_faces64", 16, seed=2)
        return np.stack([inference.upscale(face, "srgan_faces") for face in faces])

    rows.append({"what": f"16 faces generated and upscaled to 256x256 ({sr_label})",
                 "median_ms": timed(chain, args.repeats)})
    if inference.model_info("dcgan_faces64").get("edits") and "(shipped)" in sr_label:
        median, worst = slider_to_face()
        rows.append({"what": "age slider moved (arrow key) to the steered face shown in chromium, worst "
                             f"{worst * 1000:.0f} ms", "median_ms": round(median * 1000, 1)})
    result = {"cpu_count": os.cpu_count(), "rows": rows, "peak_rss_mb": round(peak_rss_mb(), 0)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "images.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| what | median |\n|---|---|")
    for r in rows:
        print(f"| {r['what']} | {r['median_ms']} ms |")


if __name__ == "__main__":
    main()
