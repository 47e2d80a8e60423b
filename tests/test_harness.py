"""The training harness is safe to kill and refuses flags that cannot work."""

import os

import numpy as np
import pytest
from PIL import Image

from models.weights import load_model, read_manifest
from tests.conftest import export_tiny_sr


@pytest.mark.parametrize("fail_at", range(6))
def test_a_kill_at_any_moment_of_an_export_leaves_a_loadable_model(weights_dir, monkeypatch, fail_at):
    """Export a new version over a shipped one, stopped at each of its file operations in turn: the manifest
    always names a complete file with the right sha256 (the old model or the new one)."""
    from training import export
    old = export_tiny_sr(weights_dir, "m", seed=0)
    calls = {"n": 0}

    def stop_here(real):
        def wrapped(*args, **kwargs):
            if calls["n"] == fail_at:
                raise KeyboardInterrupt("killed")
            calls["n"] += 1
            return real(*args, **kwargs)
        return wrapped
    monkeypatch.setattr(os, "replace", stop_here(os.replace))
    monkeypatch.setattr(os, "link", stop_here(os.link))
    monkeypatch.setattr(export, "write_manifest_entry", stop_here(export.write_manifest_entry))
    try:
        export_tiny_sr(weights_dir, "m", seed=1)
        finished = True
    except KeyboardInterrupt:
        finished = False
    monkeypatch.undo()
    entry = read_manifest(weights_dir)["m"]
    load_model("m", weights_dir)  # never "damaged" or "missing"
    assert entry["sha256"] != old["sha256"] or not finished
    if finished:
        assert entry["file"] == "m.weights.h5" and not (weights_dir / "m.next.weights.h5").exists()


def test_an_export_run_again_after_a_kill_cleans_up(weights_dir, monkeypatch):
    from training import records
    export_tiny_sr(weights_dir, "m", seed=0)
    real = os.link
    monkeypatch.setattr(os, "link", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        export_tiny_sr(weights_dir, "m", seed=1)
    monkeypatch.setattr(os, "link", real)
    assert read_manifest(weights_dir)["m"]["file"] == "m.next.weights.h5"  # served from the staged file
    entry = export_tiny_sr(weights_dir, "m", seed=2)
    assert entry["file"] == "m.weights.h5"
    assert sorted(p.name for p in weights_dir.glob("m*.h5")) == ["m.weights.h5"]
    assert records.read_grid  # (the harness module is importable without side effects)


@pytest.mark.parametrize("flags,message", [
    (["--ckpt-every", "0"], "--ckpt-every must be a positive whole number, got 0"),
    (["--ckpt-every", "-1"], "--ckpt-every must be a positive whole number, got -1"),
    (["--steps", "0"], "--steps must be a positive whole number"),
    (["--batch-size", "-4"], "--batch-size must be a positive whole number"),
    (["--lr", "0"], "--lr must be positive"),
    (["--decay-steps", "500", "--steps", "100"], "--decay-steps must be from 0 to --steps (100)"),
    (["--steps-per-execution", "0"], "--steps-per-execution must be a positive whole number, got 0"),
    (["--park", "gs://bucket/run"], "gs://bucket/run is a URL: this folder must be local"),
    (["--steps-per-execution", "4", "--ckpt-every", "10"],
     "--ckpt-every (10) must be a multiple of --steps-per-execution (4)"),
])
def test_flags_that_cannot_work_are_one_line_errors(flags, message, capsys):
    from training import sr
    with pytest.raises(SystemExit) as exc:
        sr.main(["--name", "x", "--data", "nowhere", *flags])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_a_damaged_sample_grid_never_stops_a_gif_or_an_export(tmp_path):
    from training import records
    samples = tmp_path / "run" / "samples"
    samples.mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(samples / "step_0000001.png")
    (samples / "step_0000002.png").write_bytes(b"")  # what a kill during a non-atomic write left
    (samples / "step_0000003.png").write_bytes(b"\x89PNG\r\n\x1a\n trunc")
    assert records.write_progress_gif(tmp_path / "run") is not None
    files = records.save_history(tmp_path / "run", tmp_path / "weights", "m")
    assert "gif" in files


@pytest.mark.timeout(60)
def test_a_run_whose_sample_grids_are_all_damaged_exports_without_a_gif(tmp_path):
    from training import records
    samples = tmp_path / "run" / "samples"
    samples.mkdir(parents=True)
    (samples / "step_0000001.png").write_bytes(b"")
    assert "gif" not in records.save_history(tmp_path / "run", tmp_path / "weights", "m")
    assert records.write_progress_gif(tmp_path / "run") is None


def test_a_shipped_progress_gif_drops_frames_to_stay_small(tmp_path, monkeypatch):
    """History files in weights/ stay small (1.5 MB each): a long run's GIF keeps fewer frames, first and last in."""
    from training import records
    samples = tmp_path / "run" / "samples"
    samples.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for step in range(1, 25):  # noise compresses badly: about 12 KB a frame, 24 frames
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(samples / f"step_{step:07d}.png")
    monkeypatch.setattr(records, "GIF_BYTES", 100_000)
    gif = tmp_path / "weights" / records.save_history(tmp_path / "run", tmp_path / "weights", "m")["gif"]
    with Image.open(gif) as im:
        assert gif.stat().st_size <= 100_000 and 2 <= im.n_frames < 24
        im.seek(im.n_frames - 1)
        last = np.asarray(im.convert("RGB"), np.int16)
    assert np.abs(last - np.asarray(Image.open(samples / "step_0000024.png"), np.int16)).mean() < 40  # the last


@pytest.mark.timeout(300)
def test_sigterm_saves_a_checkpoint_exits_in_one_line_and_the_run_goes_on(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT
    from tests.test_sr_training import photo
    data = tmp_path / "train"
    data.mkdir()
    for s in range(2):
        Image.fromarray(photo(64, 64, s)).save(data / f"p{s}.png")
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "training.sr", "--name", "t", "--data", str(data), "--batch-size", "2",
           "--hr-size", "32", "--ckpt-every", "100000", "--log-every", "1", "--out", str(run)]
    proc = subprocess.Popen(cmd + ["--steps", "100000"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len((run / "log.csv").read_text().splitlines()
                                              if (run / "log.csv").exists() else []) < 4:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "stopped at step" in out
    step = int(out.split("stopped at step ")[1].split(":")[0])
    assert step >= 3
    resumed = subprocess.run(cmd + ["--steps", str(step + 1)], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert resumed.returncode == 0 and f"at step {step}" in resumed.stdout, resumed.stdout[-2000:]


def test_missing_or_damaged_squeezenet_weights_are_one_line_errors(tmp_path, monkeypatch, capsys):
    from training import perceptual
    with pytest.raises(SystemExit, match=r"not found: .*nothing\.h5; pass --perceptual-weights PATH"):
        perceptual.weights_file(tmp_path / "nothing.h5")
    assert perceptual.weights_file(tmp_path / "nothing.h5", required=False) is None
    assert "not found" in capsys.readouterr().out
    # a fresh clone (no ../shared): the default file is fetched; offline, that is a clear message too
    monkeypatch.setattr(perceptual, "SQUEEZENET", tmp_path / "shared" / "squeezenet.h5")
    monkeypatch.setattr(perceptual, "SQUEEZENET_URL", "http://127.0.0.1:9/squeezenet.h5")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(SystemExit, match="not downloadable from http://127.0.0.1:9/squeezenet.h5"):
        perceptual.weights_file(perceptual.SQUEEZENET)
    damaged = tmp_path / "damaged.h5"
    damaged.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(SystemExit, match="could not be read"):
        perceptual.squeezenet(weights=damaged)
    assert perceptual.frechet_features("squeezenet", tmp_path / "nothing.h5") is None  # a run goes on without it


@pytest.mark.timeout(300)
@pytest.mark.parametrize("family", ["sr", "dcgan", "pix2pix"])
def test_image_folder_families_start_with_a_thread_count(tmp_path, family):
    """``--threads`` must be applied before anything runs in TensorFlow (reading the image folder with tf.data
    did, once, and every run with --threads failed at the start); a fresh process, as a user's."""
    import subprocess
    import sys

    from tests.conftest import ROOT
    from tests.test_sr_training import photo
    data = tmp_path / "train"
    data.mkdir()
    for s in range(3):
        Image.fromarray(photo(72, 72, s)).save(data / f"p{s}.jpg")
    flags = {"sr": ["--hr-size", "32"], "dcgan": ["--image-size", "32", "--g-feat", "4", "--d-feat", "4",
                                                   "--fd-every", "0"],
             "pix2pix": ["--preset", "small"]}[family]
    cmd = [sys.executable, "-m", f"training.{family}", "--name", "t", "--data", str(data), "--val", str(data),
           "--batch-size", "2", "--steps", "1", "--ckpt-every", "1", "--threads", "1", "--out", str(tmp_path / "run"),
           *flags]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "run" / "config.json").exists()
