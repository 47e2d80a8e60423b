"""Training end to end on tiny synthetic data: judge, train, export, evaluate, serve; and resume after kill -9."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np

from models import inference
from tests.conftest import ROOT, tiny_mnist
from training import digits as train_digits


def test_train_export_evaluate_and_serve(tmp_path, weights_dir):
    data = tiny_mnist(tmp_path / "mnist.npz")
    train_digits.main(["judge", "--data", str(data), "--epochs", "1", "--batch-size", "16", "--export",
                       "--weights-dir", str(weights_dir)])
    run = tmp_path / "run"
    train_digits.main(["--variant", "cdcgan", "--preset", "small", "--data", str(data), "--steps", "6",
                       "--ckpt-every", "3", "--log-every", "2", "--batch-size", "8", "--out", str(run),
                       "--export", "--weights-dir", str(weights_dir)])
    entry = json.loads((weights_dir / "manifest.json").read_text())["models"]["cdcgan"]
    assert entry["steps"] == 6 and entry["builder"] == "dcgan_generator"
    assert entry["command"].startswith("python -m training.digits") and "--variant cdcgan" in entry["command"]
    assert {"recognised", "confident", "class_histogram", "frechet", "frechet_floor"} <= set(entry["metrics"])
    assert entry["metrics"]["samples"] == 10_000
    # the run directory describes itself and shows its progress
    assert (run / "config.json").exists() and (run / "progress.gif").exists() and (run / "log.csv").exists()
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["step_0000003.png", "step_0000006.png"]
    assert list((run / "logs").iterdir())  # TensorBoard events
    # the app's inference API serves what training exported
    out = inference.generate_digits("cdcgan", 10, digit=4, seed=1)
    assert out.shape == (10, 28, 28) and out.dtype == np.uint8


def test_resume_after_kill_9(tmp_path):
    data = tiny_mnist(tmp_path / "mnist.npz")
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "training.digits", "--variant", "gan", "--data", str(data), "--batch-size", "8",
           "--ckpt-every", "5", "--out", str(run)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen(cmd + ["--steps", "100000"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list((run / "ckpt").glob("ckpt-*.index")):
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reached = max(int(p.name.split("-")[1].split(".")[0]) for p in (run / "ckpt").glob("ckpt-*.index"))
    assert reached >= 5
    target = reached + 10
    out = subprocess.run(cmd + ["--steps", str(target)], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"at step {reached}" in out.stdout
    logged = [int(m) for m in re.findall(r"^step (\d+)/", out.stdout, re.M)]
    assert logged == list(range(reached + 5, target + 1, 5))  # carried on from the checkpoint, not from 0
