"""Sketch to photo: one translation after warm-up, per domain, through the same call the page makes.

    python -m benchmarks.pix2pix [--repeats 20]

Uses the shipped pix2pix_<domain> model when the manifest has it, else the same architecture untrained (speed
does not depend on the weight values). The inputs are the page's example sketches (256x256). Target (issue 5):
at most 150 ms per translation on this 2-core CPU at the shipped resolution.
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from models import BUILDERS, inference  # noqa: PLC0415
    from training import common  # noqa: PLC0415
    from training.pix2pix import PRESETS  # noqa: PLC0415
    shipped = {m["name"] for m in inference.list_models("pix2pix")}
    rows = []
    for domain in ("shoes", "faces"):
        name = f"pix2pix_{domain}"
        label = f"{name} (shipped)"
        if name not in shipped:  # the shipped configuration, untrained, in a private weights folder
            g_args = PRESETS["small"][0]
            tmp = os.environ.setdefault("GAN_STUDIO_WEIGHTS", tempfile.mkdtemp())
            common.export(BUILDERS["unet_generator"](**g_args), name, "unet_generator", g_args, tmp,
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
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pix2pix.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| model | variation | resolution | translation, median | p95 |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {'seeded dropout' if r['variation'] else 'off'} | {r['size']} px | "
              f"{r['median_ms']} ms | {r['p95_ms']} ms |")


if __name__ == "__main__":
    main()
