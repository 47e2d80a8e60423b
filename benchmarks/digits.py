"""Digits: 100-digit grid generation per model after warm-up, and cold start to the first rendered page.

    python -m benchmarks.digits            # prints a Markdown table, writes benchmarks/results/digits.json

Targets (issue 3): 100-digit grid under 50 ms for every variant; cold start under 8 s.
"""

import json
import os
import statistics
import time
from pathlib import Path

from benchmarks import live

RESULTS = Path(__file__).resolve().parent / "results"


def peak_rss_mb(pid="self"):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def generation(repeats=50):
    from models import inference
    rows = {}
    for variant in ("gan", "cgan", "dcgan", "cdcgan"):
        t0 = time.perf_counter()
        inference.generate_digits(variant, 100, seed=0)  # loads the model, traces the call
        first = (time.perf_counter() - t0) * 1000
        times = []
        for seed in range(1, repeats + 1):
            t0 = time.perf_counter()
            inference.generate_digits(variant, 100, seed=seed)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        rows[variant] = {"first_call_ms": round(first, 1), "median_ms": round(statistics.median(times), 2),
                         "p95_ms": round(times[int(0.95 * len(times)) - 1], 2)}
    return rows, round(peak_rss_mb(), 1)


def cold_start(runs=3):
    """Seconds from launching `streamlit run app.py` to the digits page showing its first grid in chromium."""
    from playwright.sync_api import sync_playwright
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=live.chromium_path(), args=live.CHROMIUM_ARGS)
        for _ in range(runs):
            t0 = time.perf_counter()
            with live.streamlit_app() as (url, proc):
                healthy = time.perf_counter() - t0
                page = browser.new_page()
                page.goto(url + "/digits")
                page.locator('[data-testid="stImage"] img').first.wait_for(timeout=120_000)
                total = time.perf_counter() - t0
                out.append({"server_healthy_s": round(healthy, 2), "first_digits_page_s": round(total, 2),
                            "server_peak_rss_mb": round(peak_rss_mb(proc.pid), 1)})
                page.close()
        browser.close()
    return out


def main():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    gen, rss = generation()
    cold = cold_start()
    result = {"cpu_count": os.cpu_count(), "generation_100": gen, "bench_process_peak_rss_mb": rss, "cold_start": cold}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "digits.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| model | 100-digit grid, median | p95 | first call (load + trace) |\n|---|---|---|---|")
    for v, r in gen.items():
        print(f"| {v} | {r['median_ms']} ms | {r['p95_ms']} ms | {r['first_call_ms']:.0f} ms |")
    best = min(c["first_digits_page_s"] for c in cold)
    worst = max(c["first_digits_page_s"] for c in cold)
    print(f"\ncold start to first digits grid in chromium: {best:.1f} s best, {worst:.1f} s worst of {len(cold)}; "
          f"server peak RSS {max(c['server_peak_rss_mb'] for c in cold):.0f} MB")


if __name__ == "__main__":
    main()
