"""Super-resolution speed and memory: our SR model vs bicubic vs an ESRGAN-architecture network (RRDB).

    python -m benchmarks.sr [--model srgan] [--repeats 5]

Each case runs in its own process so its peak RSS is its own. The SR model is the shipped one when the
manifest has it, else the same architecture untrained (speed does not depend on the weight values); RRDB
(23 blocks, 64 channels, 16.7M parameters) has random weights. Target (issue 4): 256x256 -> 1024x1024 in at
most 1.5 s with the shipped srgan, and a 1024x1024 input under 3 GB peak RSS.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from benchmarks.digits import RESULTS, peak_rss_mb


def run_case(case, model, repeats):
    from models import BUILDERS, inference, sr  # noqa: PLC0415
    from training.sr import PRESETS  # noqa: PLC0415
    small = PRESETS["small"]
    size = 1024 if case.endswith("1024") else 256
    image = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
    label = case
    if case.startswith("bicubic"):
        fn = lambda: sr.bicubic_upscale(image)  # noqa: E731
    elif case.startswith("rrdb"):
        import tensorflow as tf  # noqa: PLC0415
        net = BUILDERS["rrdb_generator"]()
        run = tf.function(lambda x: net(x, training=False), autograph=False)
        fn = lambda: run(image[None].astype("float32") / 255.0).numpy()  # noqa: E731
        label = f"RRDB 23x64 ({net.count_params() / 1e6:.1f}M params, random weights)"
    else:
        if model in {m["name"] for m in inference.list_models("sr")}:
            label = f"{model} (shipped)"
        else:  # the same architecture, untrained, in a private weights folder
            import tempfile  # noqa: PLC0415

            from training import common  # noqa: PLC0415
            tmp = tempfile.mkdtemp()
            common.export(BUILDERS["sr_generator"](**small), model, "sr_generator", small, tmp, task="sr",
                          title=model, dataset="none", steps=0, command="benchmark")
            os.environ["GAN_STUDIO_WEIGHTS"] = tmp
            label = f"{model} architecture (untrained: not shipped yet)"
        fn = lambda: inference.upscale(image, model)  # noqa: E731
    fn()  # warm-up: load, trace
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    seconds = statistics.median(times)
    return {"case": case, "label": label, "input": f"{size}x{size}", "seconds": round(seconds, 3),
            "output_mp_per_s": round((4 * size) ** 2 / 1e6 / seconds, 2), "peak_rss_mb": round(peak_rss_mb(), 0)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="srgan")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.case:
        print(json.dumps(run_case(args.case, args.model, args.repeats)))
        return
    rows = []
    for case in ("bicubic_256", "model_256", "rrdb_256", "model_1024"):
        out = subprocess.run([sys.executable, "-m", "benchmarks.sr", "--case", case, "--model", args.model,
                              "--repeats", str(args.repeats if case != "model_1024" else 2)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sr.json").write_text(json.dumps({"cpu_count": os.cpu_count(), "rows": rows}, indent=2) + "\n")
    print("| upscaler x4 | input | time (median) | output MP/s | peak RSS |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['label']} | {r['input']} | {r['seconds']} s | {r['output_mp_per_s']} | {r['peak_rss_mb']:.0f} MB |")


if __name__ == "__main__":
    main()
