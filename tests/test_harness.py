"""The training harness is safe to kill and refuses flags that cannot work."""

import os

import numpy as np
import pytest
from PIL import Image

from models.weights import load_model, read_manifest
from tests.conftest import export_tiny_sr


class Killer:
    """Stops an export with KeyboardInterrupt (what a kill leaves: nothing after it runs) at its ``at``-th file
    operation: writing the weights, a rename, a link, a removal, a manifest write. ``at=None`` only counts."""

    def __init__(self, monkeypatch, at=None):
        import keras

        from training import export
        self.at, self.count = at, 0
        for owner, name in ((os, "replace"), (os, "link"), (os, "unlink"), (export, "write_manifest_entry"),
                            (keras.Model, "save_weights")):
            monkeypatch.setattr(owner, name, self.wrap(getattr(owner, name)))

    def wrap(self, real):
        def operation(*args, **kwargs):
            if self.count == self.at:
                raise KeyboardInterrupt("killed")
            self.count += 1
            return real(*args, **kwargs)
        return operation


def export_killed(monkeypatch, weights_dir, seed, at):
    """Export version ``seed`` of model "m", killed at operation ``at``; returns whether it finished."""
    with monkeypatch.context() as m:
        Killer(m, at)
        try:
            export_tiny_sr(weights_dir, "m", seed=seed)
            return True
        except KeyboardInterrupt:
            return False


def every_model_loads(weights_dir):
    for name in read_manifest(weights_dir):
        load_model(name, weights_dir)  # never "damaged" or "missing"


def test_any_two_kills_in_a_row_during_exports_leave_loadable_models_and_a_rerun_ships(tmp_path, monkeypatch):
    """A kill at every file operation of an export, then a second kill at every operation of the export run
    again: after each pair every model in the manifest loads, and a complete export then ships its weights and
    leaves no staged or temporary file. (Two kills in a row once left the manifest naming a staged file that the
    second export had overwritten with other weights: 'damaged'.)"""
    import shutil

    from models.weights import sha256_file
    start = tmp_path / "start"
    export_tiny_sr(start, "other", seed=5)
    export_tiny_sr(start, "m", seed=0)
    with monkeypatch.context() as m:
        counter = Killer(m)
        export_tiny_sr(tmp_path / "count", "m", seed=0)
    operations = counter.count
    assert operations >= 7
    export_tiny_sr(tmp_path / "v3", "m", seed=3)  # the weights the final export ships
    final = load_model("m", tmp_path / "v3").get_weights()
    pairs = 0
    for first in range(operations):
        after_first = tmp_path / f"first{first}"
        shutil.copytree(start, after_first)
        assert not export_killed(monkeypatch, after_first, 1, first)
        every_model_loads(after_first)
        for second in range(operations + 2):  # the rerun may clean up, so it can have more operations
            folder = tmp_path / "pair"
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(after_first, folder)
            finished = export_killed(monkeypatch, folder, 2, second)
            every_model_loads(folder)
            pairs += 1
            if not finished:
                export_tiny_sr(folder, "m", seed=3)  # run to the end
                entry = read_manifest(folder)["m"]
                assert entry["file"] == "m.weights.h5" and entry["sha256"] == sha256_file(folder / "m.weights.h5")
                assert all((a == b).all() for a, b in zip(load_model("m", folder).get_weights(), final))
                assert sorted(p.name for p in folder.iterdir()) == ["m.weights.h5", "manifest.json",
                                                                    "other.weights.h5"]
                every_model_loads(folder)
    assert pairs >= operations ** 2


def test_an_interrupted_exports_staged_file_is_named_by_its_hash_and_its_hint_says_to_export_again(
        weights_dir, monkeypatch):
    from models.weights import restore_hint
    from training import export
    export_tiny_sr(weights_dir, "m", seed=0)
    with monkeypatch.context() as m:
        m.setattr(os, "link", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
        with pytest.raises(KeyboardInterrupt):
            export_tiny_sr(weights_dir, "m", seed=1)
    entry = read_manifest(weights_dir)["m"]
    assert entry["file"] == export.staged_name("m", entry["sha256"])  # served from the staged file meanwhile
    assert "git checkout -- weights/m." not in restore_hint(entry) and "run it again" in restore_hint(entry)
    (weights_dir / "m.next.weights.h5").write_bytes(b"left by an older export")
    (weights_dir / ".m.tmp.weights.h5").write_bytes(b"half")
    assert export_tiny_sr(weights_dir, "m", seed=2)["file"] == "m.weights.h5"
    assert sorted(p.name for p in weights_dir.glob("*m*.h5")) == ["m.weights.h5"]


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
    (["--lr", "inf"], "--lr must be a finite number, got inf"),
    (["--lr", "nan"], "--lr must be a finite number, got nan"),
    (["--w-perceptual=-inf"], "--w-perceptual must be a finite number, got -inf"),
])
def test_flags_that_cannot_work_are_one_line_errors(flags, message, capsys):
    from training import sr
    with pytest.raises(SystemExit) as exc:
        sr.main(["--name", "x", "--data", "nowhere", *flags])
    assert exc.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("flags,message", [
    (["--ema", "2"], "--ema must be from 0 (off) to below 1"),
    (["--ema", "-0.5"], "--ema must be from 0 (off) to below 1"),
    (["--limit", "-3"], "--limit must be a positive whole number"),
    (["--limit", "0"], "--limit must be a positive whole number (leave it out for all), got 0"),
])
def test_digit_and_image_gan_flags_that_cannot_work_are_one_line_errors(flags, message, capsys):
    from training import dcgan, digits
    for main, argv in ((digits.main, ["--variant", "gan"]), (dcgan.main, ["--name", "x"])):
        with pytest.raises(SystemExit) as exc:
            main(argv + flags)
        assert exc.value.code == 2 and message in capsys.readouterr().err


def bad_data_files(folder):
    """What an unlucky operator passes as --data: nothing there, a text file, a PNG, an empty folder, .npz files
    with the wrong arrays or shapes."""
    folder.mkdir(exist_ok=True)
    (folder / "notes.txt").write_text("hello\n")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / "picture.png")
    (folder / "empty").mkdir(exist_ok=True)
    np.savez(folder / "keys.npz", a=np.zeros(3))
    np.savez(folder / "shapes.npz", x_train=np.zeros((5, 3)), y_train=np.zeros(5), x_test=np.zeros((5, 3)),
             y_test=np.zeros(5))
    return {name: str(folder / name) for name in ("missing.npz", "notes.txt", "picture.png", "empty", "keys.npz",
                                                  "shapes.npz")}


def test_every_familys_bad_data_is_one_line_naming_the_flag_with_exit_2(tmp_path, capsys):
    """Each training CLI, as its ``__main__`` runs it, on each bad --data: one line on stderr that names --data,
    exit status 2, no traceback (a text file was once '15 lines of "pickled (object) data"')."""
    import importlib

    from training import flags
    files = bad_data_files(tmp_path / "bad")
    run = ["--out", str(tmp_path / "run"), "--weights-dir", str(tmp_path / "w")]
    families = {"training.digits": ["--variant", "gan", *run], "training.dcgan": ["--name", "x", *run],
                "training.sr": ["--name", "x", *run], "training.pix2pix": ["--name", "x", *run],
                "training.attributes": ["train", "--weights-dir", str(tmp_path / "w")]}
    failures = []
    for module, argv in families.items():
        main = importlib.import_module(module).main
        for path in files.values():
            with pytest.raises(SystemExit) as exc:
                flags.run_cli(lambda: main(argv + ["--data", path]))  # noqa: B023
            err = capsys.readouterr().err
            errors = [line for line in err.splitlines() if line.startswith("error: ")]
            if exc.value.code != 2 or len(errors) != 1 or "--data" not in errors[0]:
                failures.append((module, path, exc.value.code, err[-300:]))
    assert not failures, failures


def test_a_diverging_run_stops_with_a_message_saves_nothing_and_exports_nothing(tmp_path, weights_dir, monkeypatch,
                                                                                   capsys):
    from tests.conftest import tiny_mnist
    from training import digits, trainer
    data = tiny_mnist(tmp_path / "mnist.npz")
    run = tmp_path / "run"
    argv = ["--variant", "gan", "--g-feat", "8", "--d-feat", "8", "--data", str(data), "--ckpt-every", "2",
            "--batch-size", "8", "--out", str(run), "--export", "--weights-dir", str(weights_dir)]
    digits.main(argv + ["--steps", "2"])
    first = read_manifest(weights_dir)["gan"]
    real_check = trainer.check_finite
    monkeypatch.setattr(trainer, "check_finite", lambda step, logs: real_check(
        step, {**logs, "d_loss": float("nan")} if step >= 3 else logs))  # the discriminator's loss blows up
    with pytest.raises(SystemExit, match=r"training diverged at step 4: d_loss=nan \(not finite\): stopped"):
        digits.main(argv + ["--steps", "4"])
    assert sorted(p.name for p in (run / "ckpt").glob("ckpt-*.index")) == ["ckpt-2.index"]
    assert read_manifest(weights_dir)["gan"] == first  # the shipped model untouched


def test_non_finite_weights_are_never_exported(weights_dir):
    import keras

    from models import BUILDERS
    from training import export
    args = {"num_feat": 8, "num_block": 2, "upscale": 4}
    model = BUILDERS["sr_generator"](**args)
    model.weights[0].assign(np.full(model.weights[0].shape, np.nan, "float32"))
    with pytest.raises(SystemExit, match="not exporting m: 1 weight arrays hold NaN or infinite values"):
        export.export(model, "m", "sr_generator", args, weights_dir)
    assert not list(weights_dir.iterdir()) and keras


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
