"""Training speed of each family on this machine, in float32 and in bfloat16 (``--precision mixed_bfloat16``).

    python -m benchmarks.training [FAMILY ...]  # prints a Markdown table, writes benchmarks/results/training.json

Each run trains a shipped-size configuration for two logged chunks on the real data in ``../shared/data``; the
rate is the second chunk's training seconds per step (the first pays for tracing and warm-up). Run it on an
otherwise idle machine.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.digits import RESULTS
from benchmarks.live import ROOT
from training import records

DATA = ROOT.parent / "shared" / "data"
STEPS = {"digits": 200, "images": 100, "sr": 60, "pix2pix": 40}
FAMILIES = {  # the command (without the run flags) of each family's shipped configuration
    "digits": ["training.digits", "--variant", "dcgan", "--data", str(DATA / "mnist.npz")],
    "images": ["training.dcgan", "--arch", "dcgan", "--name", "bench", "--data", str(DATA / "cifar10_jpeg.tar.gz"),
               "--limit", "2000", "--fd-every", "0", "--g-feat", "32", "--d-feat", "32"],
    "sr": ["training.sr", "--name", "bench", "--data", str(DATA / "sr" / "train")],
    "pix2pix": ["training.pix2pix", "--name", "bench", "--domain", "shoes", "--data", str(DATA / "shoes" / "train"),
                "--limit", "200"],
}


def ms_per_step(family, precision):
    """Training milliseconds per step of ``family`` in its second logged chunk."""
    steps = STEPS[family]
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", *FAMILIES[family], "--steps", str(steps), "--ckpt-every", str(steps // 2),
               "--log-every", str(steps // 2), "--precision", precision, "--out", str(Path(tmp) / "run")]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
        if done.returncode:
            raise SystemExit(f"{family} {precision} failed: {done.stderr[-1000:]}")
        rows = records.read_csv(Path(tmp) / "run" / "log.csv")
    (a, b) = [(int(r["step"]), float(r["seconds"])) for r in rows[-2:]]
    return round((b[1] - a[1]) / (b[0] - a[0]) * 1000, 1)


def main(families=None):
    """Measure ``families`` (default all; names on the command line), keeping the other families' rows."""
    path = RESULTS / "training.json"
    kept = {r["family"]: r for r in json.loads(path.read_text())["rows"]} if path.exists() else {}
    for family in families or FAMILIES:
        f32, bf16 = (ms_per_step(family, p) for p in ("float32", "mixed_bfloat16"))
        kept[family] = {"family": family, "command": " ".join(FAMILIES[family][:3]), "float32_ms": f32,
                        "bfloat16_ms": bf16, "speedup": round(f32 / bf16, 2)}
        print(kept[family], flush=True)
    rows = [kept[f] for f in FAMILIES if f in kept]
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    print("| family | float32 | bfloat16 | speed-up |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['family']} | {r['float32_ms']} ms | {r['bfloat16_ms']} ms | {r['speedup']}x |")


if __name__ == "__main__":
    main(sys.argv[1:])
