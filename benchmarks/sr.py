"""Super-resolution speed and memory: our SR model vs bicubic vs an ESRGAN-architecture network (RRDB).

    python -m benchmarks.sr [--model realsr] [--repeats 5]

Each case runs in its own process so its peak RSS is its own. The SR model is the shipped one when the
manifest has it, else the same architecture untrained (speed does not depend on the weight values); RRDB
(23 blocks, 64 channels, 16.7M parameters) has random weights. The model runs in float32 and in bfloat16
(``$GAN_STUDIO_DTYPE``; bfloat16 is native on CPUs with AVX-512 BF16 or AMX). Targets (issue 20): 256x256 ->
1024x1024 in at most 1.0 s and at least 15x faster than RRDB in the same run; a 4-megapixel input (2048x2048)
under 1.5 GB peak RSS.
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
    size = {"1024": 1024, "4mp": 2048}.get(case.split("_")[-1], 256)
    if case.startswith("model"):
        os.environ["GAN_STUDIO_DTYPE"] = "bfloat16" if "bf16" in case else "float32"
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

            from training import export  # noqa: PLC0415
            tmp = tempfile.mkdtemp()
            export.export(BUILDERS["sr_generator"](**small), model, "sr_generator", small, tmp, task="sr",
                          title=model, dataset="none", steps=0, command="benchmark")
            os.environ["GAN_STUDIO_WEIGHTS"] = tmp
            label = f"{model} architecture (untrained: not shipped yet)"
        label += f", {os.environ['GAN_STUDIO_DTYPE']}"
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
    parser.add_argument("--model", default="realsr")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.case:
        print(json.dumps(run_case(args.case, args.model, args.repeats)))
        return
    rows = []
    for case in ("bicubic_256", "model_256", "model_bf16_256", "rrdb_256", "model_bf16_4mp"):
        big = case.endswith("4mp") or case.startswith("rrdb")
        out = subprocess.run([sys.executable, "-m", "benchmarks.sr", "--case", case, "--model", args.model,
                              "--repeats", str(2 if big else args.repeats)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    by_case = {r["case"]: r for r in rows}
    for case in ("model_256", "model_bf16_256"):
        by_case[case]["times_faster_than_rrdb"] = round(by_case["rrdb_256"]["seconds"] / by_case[case]["seconds"], 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sr.json").write_text(json.dumps({"cpu_count": os.cpu_count(), "rows": rows}, indent=2) + "\n")
    print("| upscaler x4 | input | time (median) | output MP/s | vs RRDB | peak RSS |\n|---|---|---|---|---|---|")
    for r in rows:
        faster = f"{r['times_faster_than_rrdb']}x faster" if "times_faster_than_rrdb" in r else ""
        print(f"| {r['label']} | {r['input']} | {r['seconds']} s | {r['output_mp_per_s']} | {faster} | "
              f"{r['peak_rss_mb']:.0f} MB |")


if __name__ == "__main__":
    main()
