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


def cold_start(runs=3, visit_after_s=0.0):
    """Seconds from launching the app (`streamlit run app.py`, as `make run` and Streamlit Community Cloud do) to the digits
    page showing its first grid in chromium, the visitor arriving as soon as the server answers (or
    ``visit_after_s`` later: then the page's own time, from the visit to the grid, is reported too)."""
    from playwright.sync_api import sync_playwright
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=live.chromium_path(), args=live.CHROMIUM_ARGS)
        for _ in range(runs):
            t0 = time.perf_counter()
            with live.streamlit_app() as (url, proc):
                healthy = time.perf_counter() - t0
                time.sleep(visit_after_s)
                page = browser.new_page()
                t_visit = time.perf_counter()
                page.goto(url + "/digits")
                page.locator('[data-testid="stImage"] img').first.wait_for(timeout=120_000)
                done = time.perf_counter()
                out.append({"server_healthy_s": round(healthy, 2), "first_digits_page_s": round(done - t0, 2),
                            "visit_to_grid_s": round(done - t_visit, 2),
                            "server_peak_rss_mb": round(peak_rss_mb(proc.pid), 1)})
                page.close()
        browser.close()
    return out


def main():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    gen, rss = generation()
    cold = {"streamlit run app.py (= make run)": cold_start(),
            "streamlit run app.py, visitor 10 s after start": cold_start(visit_after_s=10)}
    result = {"cpu_count": os.cpu_count(), "generation_100": gen, "bench_process_peak_rss_mb": rss, "cold_start": cold}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "digits.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| model | 100-digit grid, median | p95 | first call (load + trace) |\n|---|---|---|---|")
    for v, r in gen.items():
        print(f"| {v} | {r['median_ms']} ms | {r['p95_ms']} ms | {r['first_call_ms']:.0f} ms |")
    print("\n| launch, visit | launch to first grid (best / worst of 3) | visit to first grid | server peak RSS |"
          "\n|---|---|---|---|")
    for how, runs in cold.items():
        total = sorted(c["first_digits_page_s"] for c in runs)
        visit = sorted(c["visit_to_grid_s"] for c in runs)
        print(f"| {how} | {total[0]:.1f} / {total[-1]:.1f} s | {visit[0]:.1f} / {visit[-1]:.1f} s | "
              f"{max(c['server_peak_rss_mb'] for c in runs):.0f} MB |")


if __name__ == "__main__":
    main()
