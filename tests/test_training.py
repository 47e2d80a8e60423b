"""Training end to end on tiny synthetic data: judge, train, export, evaluate, serve; and resume after kill -9."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from models import inference
from tests.conftest import ROOT, tiny_mnist
from training import checkpoints, flags, records, trainer
from training import digits as train_digits


def test_train_export_evaluate_and_serve(tmp_path, weights_dir):
    data = tiny_mnist(tmp_path / "mnist.npz")
    train_digits.main(["judge", "--data", str(data), "--epochs", "1", "--batch-size", "16", "--export",
                       "--weights-dir", str(weights_dir)])
    run = tmp_path / "run"
    train_digits.main(["--variant", "cdcgan", "--preset", "small", "--g-feat", "16", "--d-feat", "8",
                       "--data", str(data), "--steps", "6", "--ckpt-every", "3", "--log-every", "2", "--batch-size", "8", "--out", str(run),
                       "--export", "--weights-dir", str(weights_dir)])
    entry = json.loads((weights_dir / "manifest.json").read_text())["models"]["cdcgan"]
    assert entry["steps"] == 6 and entry["builder"] == "dcgan_generator"
    assert entry["args"]["num_feat"] == 16 and entry["discriminator"]["args"]["num_feat"] == 8  # widths override
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


def test_averaged_copy_leaves_the_model_and_gives_the_moving_average_once_it_is_ready():
    import keras
    import tensorflow as tf

    from models import BUILDERS
    from training import trainer
    g, target = (BUILDERS["dcgan_generator"](latent_dim=8, num_feat=4) for _ in range(2))
    opt = keras.optimizers.Adam(0.05, use_ema=True, ema_momentum=0.5)  # ready after 3 / (1 - 0.5) = 6 steps
    z = np.random.default_rng(0).standard_normal((32, 8)).astype("float32")
    history = []
    for step in range(1, 9):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(g(z, training=True) - 0.5))
        opt.apply_gradients(zip(tape.gradient(loss, g.trainable_variables), g.trainable_variables))
        history.append(g.trainable_variables[0].numpy())
        if step == 5:  # not ready: the plain weights, not an average still made of the first steps
            trainer.averaged_copy(opt, g, target)
            np.testing.assert_array_equal(target.trainable_variables[0].numpy(), history[-1])
    online = [v.numpy() for v in g.trainable_variables]
    trainer.averaged_copy(opt, g, target)
    for v, value in zip(g.trainable_variables, online):
        np.testing.assert_array_equal(v.numpy(), value)  # the model keeps training from its own weights
    expected = history[0]  # the average starts at the first step's weights, then decays by 0.5 per step
    for h in history[1:]:
        expected = 0.5 * expected + 0.5 * h
    np.testing.assert_allclose(target.trainable_variables[0].numpy(), expected, rtol=1e-4, atol=1e-6)
    assert not np.allclose(expected, online[0])
    assert trainer.ema_ready(0.999, 3000) and not trainer.ema_ready(0.999, 2999)


def test_recalibrated_batch_norm_matches_training_mode_on_that_batch():
    from models import BUILDERS
    from training import trainer
    g = BUILDERS["dcgan_generator"](latent_dim=8, num_feat=4)
    z = np.random.default_rng(1).standard_normal((256, 8)).astype("float32")
    assert not np.allclose(g(z, training=False), g(z, training=True), atol=1e-3)  # fresh stats: 0 mean, 1 var
    trainer.recalibrate_batch_norm(g, z)
    np.testing.assert_allclose(g(z, training=False), g(z, training=True), atol=1e-4)
    assert all(bn.momentum == 0.99 for bn in g.layers if bn.__class__.__name__ == "BatchNormalization")


@pytest.mark.parametrize("flags", [["--strategy", "mirrored"], ["--mixed-precision"], ["--jit"],
                                   ["--strategy", "mirrored", "--mixed-precision"]])
def test_hardware_flags_train(tmp_path, flags):
    """The flags a GPU or cluster user passes also run here (one CPU replica, float16 compute, XLA)."""
    import keras
    data = tiny_mnist(tmp_path / "mnist.npz")
    try:
        train_digits.main(["--variant", "cdcgan", "--data", str(data), "--steps", "2", "--ckpt-every", "2",
                           "--batch-size", "8", "--out", str(tmp_path / "run"), *flags])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert (tmp_path / "run" / "samples" / "step_0000002.png").exists()


def test_several_steps_per_execution_keep_the_step_count_logs_and_checkpoints_exact(tmp_path):
    data = tiny_mnist(tmp_path / "mnist.npz")
    run = tmp_path / "run"
    train_digits.main(["--variant", "gan", "--data", str(data), "--batch-size", "8", "--steps", "6",
                       "--ckpt-every", "4", "--log-every", "2", "--steps-per-execution", "2", "--out", str(run)])
    assert [int(r["step"]) for r in records.read_csv(run / "log.csv")] == [2, 4, 6]
    saved = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(run / "ckpt")))
    assert saved.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE") == 6


def test_a_run_at_a_url_is_copied_there_and_resumed_from_there_on_a_machine_without_a_copy(tmp_path, monkeypatch,
                                                                                           capsys):
    """``--out`` on any tf.io.gfile file system (here ``ram://``, in memory, as gs:// would be): the run works in a
    local mirror, copied to the URL after every checkpoint; a machine without the mirror fetches it and goes on."""
    monkeypatch.setattr(checkpoints, "MIRRORS", tmp_path / "mirrors")
    data = tiny_mnist(tmp_path / "mnist.npz")
    url = "ram://bucket/runs/gan"
    args = ["--variant", "gan", "--data", str(data), "--batch-size", "8", "--ckpt-every", "2", "--log-every", "2",
            "--out", url + "/"]
    train_digits.main(args + ["--steps", "2"])
    for name in ("config.json", "log.csv", "samples/step_0000002.png", "progress.gif", "ckpt/checkpoint"):
        assert tf.io.gfile.exists(f"{url}/{name}"), name
    assert not tf.io.gfile.glob(f"{url}/**.tmp")
    import shutil
    shutil.rmtree(tmp_path / "mirrors")  # another machine: nothing but the URL
    capsys.readouterr()
    train_digits.main(args + ["--steps", "4"])
    out = capsys.readouterr().out
    assert f"copied the run from {url}" in out and "at step 2" in out
    assert tf.io.gfile.exists(f"{url}/ckpt/ckpt-4.index")
    with tf.io.gfile.GFile(f"{url}/log.csv") as f:
        assert [line.split(",")[0] for line in f.read().splitlines()[1:]] == ["2", "4"]


def test_a_run_resumed_with_other_settings_exports_its_stages(tmp_path, weights_dir):
    """The manifest's ``stages`` (each command and the steps it trained) come from the run, not from a hand."""
    from models.weights import read_manifest
    data = tiny_mnist(tmp_path / "mnist.npz")
    run = tmp_path / "run"
    args = ["--variant", "gan", "--data", str(data), "--batch-size", "8", "--ckpt-every", "2", "--out", str(run),
            "--weights-dir", str(weights_dir)]
    train_digits.main(args + ["--steps", "2"])
    train_digits.main(args + ["--steps", "2"])  # the same command again (after a kill, say): no new stage
    train_digits.main(args + ["--steps", "4", "--lr", "1e-4", "--export"])
    stages = read_manifest(weights_dir)["gan"]["stages"]
    assert [s["steps"] for s in stages] == ["0 to 2", "2 to 4"]
    assert stages[0]["command"].endswith("--steps 2") and stages[1]["command"].endswith("--lr 1e-4 --export")
    one = [a if a != str(run) else str(tmp_path / "one") for a in args]  # another run: one command only
    train_digits.main(one + ["--steps", "2", "--export"])
    assert "stages" not in read_manifest(weights_dir)["gan"]  # one command: the entry's command says it all
    # a rerun that only exports (no steps left) trained nothing: the entry names the command that did
    three = [a if a != str(run) else str(tmp_path / "three") for a in args]
    train_digits.main(three + ["--steps", "2"])
    train_digits.main(three + ["--steps", "2", "--export"])
    entry = read_manifest(weights_dir)["gan"]
    assert "stages" not in entry and entry["command"].endswith("--steps 2"), entry["command"]


def test_export_keeps_the_learning_record(tmp_path):
    from training import records
    run = tmp_path / "run"
    (run / "samples").mkdir(parents=True)
    for step in (1, 2, 3):
        Image.fromarray(np.full((400, 300, 3), 60 * step, np.uint8)).save(run / "samples" / f"step_{step:07d}.png")
    (run / "log.csv").write_text("step,seconds,g_loss,d_loss\n1,0.1,2.0,1.0\n2,0.2,1.5,1.1\n3,0.3,1.2,1.2\n")
    (run / "eval.csv").write_text("step,seconds,frechet\n2,0.2,50\n3,0.3,40\n")
    files = records.save_history(run, tmp_path / "w", "m", max_side=64)
    assert set(files) == {"log", "eval", "gif", "curves"}
    gif = Image.open(tmp_path / "w" / files["gif"])
    assert gif.n_frames == 3 and max(gif.size) == 64
    assert Image.open(tmp_path / "w" / files["curves"]).size == (900, 150)  # three panels: g_loss, d_loss, frechet


def test_park_round_trip_keeps_nets_exact_and_moments_close(tmp_path):
    import keras
    from training import checkpoints
    net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.BatchNormalization()])
    opt = keras.optimizers.Adam(use_ema=True)
    opt.build(net.trainable_variables)
    rng = np.random.default_rng(0)
    for v in net.weights + opt.variables[2:]:
        v.assign(rng.standard_normal(v.shape).astype("float32") ** 2 * 1e-3)  # velocities span decades, >= 0
    opt.iterations.assign(1234)
    before = {v.path: v.numpy().copy() for v in net.weights + opt.variables}
    checkpoints.park({"net": net, "opt": opt}, tmp_path / "park")
    for v in net.weights + opt.variables:
        v.assign(np.zeros(v.shape, v.dtype))
    checkpoints.unpark(tmp_path / "park", {"net": net, "opt": opt})
    for v in net.weights + opt.variables:
        if v.path.endswith(("_momentum", "_velocity")):
            np.testing.assert_allclose(v.numpy(), before[v.path], rtol=2e-3, atol=1e-9)
        else:
            np.testing.assert_array_equal(v.numpy(), before[v.path])  # nets, EMA averages, the step: exact
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5), keras.layers.BatchNormalization()])
    with pytest.raises(ValueError, match="does not fit this run"):
        checkpoints.unpark(tmp_path / "park", {"net": other, "opt": opt})


def test_a_run_resumes_from_its_parked_copy_when_the_run_directory_is_gone(tmp_path, capsys):
    import shutil
    data = tiny_mnist(tmp_path / "mnist.npz")
    args = ["--variant", "gan", "--data", str(data), "--batch-size", "8", "--ckpt-every", "2", "--log-every", "1",
            "--out", str(tmp_path / "run"), "--park", str(tmp_path / "parked")]
    train_digits.main(args + ["--steps", "4"])
    assert sorted(p.name for p in (tmp_path / "parked").iterdir()) == [
        "config.json", "log.csv", "park.npz", "samples"]
    shutil.rmtree(tmp_path / "run")  # a new machine: only what was committed is left
    capsys.readouterr()
    train_digits.main(args + ["--steps", "6"])
    out = capsys.readouterr().out
    assert "resumed from the parked copy" in out and "at step 4" in out
    assert re.findall(r"^step (\d+)/", out, re.M) == ["6"]
    steps = [int(line.split(",")[0]) for line in (tmp_path / "run" / "log.csv").read_text().splitlines()[1:]]
    assert steps == list(range(1, 7))  # the earlier session's log came back and goes on
    assert len(list((tmp_path / "run" / "samples").glob("step_*.png"))) == 3


def test_a_resumed_run_may_change_its_moving_average_but_not_switch_it_on_or_off():
    flags.check_resume({"ema": 0.999, "g_feat": 48}, {"ema": 0.9998, "g_feat": 48})  # the same variables
    for old, new in ((0.0, 0.999), (0.999, 0.0)):  # the optimizer's average variables come or go: refused
        with pytest.raises(SystemExit, match=f"--ema was {old} when this run began, not {new}"):
            flags.check_resume({"ema": old}, {"ema": new})


def test_a_resumed_run_keeps_its_flags_and_logs_each_step_once(tmp_path, capsys):
    data = tiny_mnist(tmp_path / "mnist.npz")
    run = tmp_path / "run"
    args = ["--variant", "gan", "--data", str(data), "--batch-size", "8", "--ckpt-every", "2", "--log-every", "1",
            "--out", str(run)]
    train_digits.main(args + ["--steps", "4"])
    with open(run / "log.csv", "a") as f:  # rows a killed run logged after its last checkpoint (step 4)
        f.write("5,0.1,0.1\n6,0.1,0.1\n")
    with pytest.raises(SystemExit, match=r"^--g-feat was not given when this run began, not 64: .*--fresh"):
        train_digits.main(args + ["--steps", "6", "--g-feat", "64"])  # another architecture: refused
    with pytest.raises(SystemExit, match="--batch-size was 8"):
        train_digits.main([a if a != "8" else "16" for a in args] + ["--steps", "6"])
    with pytest.raises(SystemExit, match="--precision was float32 when this run began, not mixed_float16"):
        train_digits.main(args + ["--steps", "6", "--precision", "mixed_float16"])  # a loss scale: other variables
    train_digits.main(args + ["--steps", "5", "--precision", "mixed_bfloat16"])  # the same variables: may change
    train_digits.main(args + ["--steps", "6", "--ckpt-every", "3"])  # the schedule may change
    steps = [int(line.split(",")[0]) for line in (run / "log.csv").read_text().splitlines()[1:]]
    assert steps == list(range(1, 7))
    config = json.loads((run / "config.json").read_text())
    assert [c.split("--steps ")[1].split()[0] for c in config["commands"]] == ["4", "5", "6"]  # every command run
    train_digits.main(args + ["--steps", "2", "--g-feat", "64", "--fresh"])  # a new run: anything goes
    assert "--g-feat 64" in json.loads((run / "config.json").read_text())["command"]


def test_decay_steps_take_the_rates_linearly_to_zero_and_survive_a_resume(tmp_path):
    from training import trainer
    decay = trainer.LinearDecay([], [], total=100, decay=40)
    assert [decay.factor(s) for s in (0, 60, 80, 99, 100)] == [1.0, 1.0, 0.5, 0.025, 0.0]

    def parked_rates():
        with np.load(tmp_path / "parked" / "park.npz") as data:
            names = [n for n, _ in json.loads(str(data["index"]))]
            return [float(data[f"v{i}"]) for i, n in enumerate(names) if n.endswith("learning_rate")]
    data = tiny_mnist(tmp_path / "mnist.npz")
    args = ["--variant", "gan", "--data", str(data), "--batch-size", "8", "--ckpt-every", "2", "--lr", "2e-4",
            "--decay-steps", "2", "--out", str(tmp_path / "run"), "--park", str(tmp_path / "parked")]
    train_digits.main(args + ["--steps", "4"])
    assert parked_rates() == pytest.approx([1e-4, 1e-4])  # the last step (3 of 4) ran at half the base rate
    train_digits.main(args + ["--steps", "8"])  # resumed: the base is the flag's rate, not the decayed one
    assert parked_rates() == pytest.approx([1e-4, 1e-4])


def test_a_run_resumed_between_checkpoints_keeps_their_steps(tmp_path):
    """A run stopped at step 3 (say by SIGTERM) with --ckpt-every 2 checkpoints again at 4, 6 and 8, not at 5 and 7
    (Keras counts its epochs from the resumed step): evaluations scheduled by step would otherwise never run."""
    data = tiny_mnist(tmp_path / "mnist.npz")
    args = ["--variant", "gan", "--data", str(data), "--batch-size", "8", "--ckpt-every", "2",
            "--out", str(tmp_path / "run")]
    train_digits.main(args + ["--steps", "3"])
    train_digits.main(args + ["--steps", "8"])
    saved = sorted(int(p.stem.split("_")[1]) for p in (tmp_path / "run" / "samples").glob("step_*.png"))
    assert saved == [2, 3, 4, 6, 8]


def test_training_time_leaves_out_a_pause(tmp_path):
    """A run paused with SIGSTOP (or Ctrl-Z) and continued: the wall time of the pause is not training time."""
    run = SimpleNamespace(out=tmp_path, chief=False, step=1, train_seconds=tf.Variable(0.0, dtype=tf.float64),
                          advance=lambda step: None)
    callback = trainer.RunCallback(run, sample_fn=None, log_every=50, total_steps=100)
    try:
        callback.on_train_batch_begin(0)
        time.sleep(0.05)
        callback.on_train_batch_end(0)
        worked = float(run.train_seconds.numpy())
        assert 0.04 < worked < 1.0
        os.kill(os.getpid(), signal.SIGCONT)  # what a continued process receives
        time.sleep(0.3)  # the pause
        callback.on_train_batch_end(1)
        assert float(run.train_seconds.numpy()) == worked
        time.sleep(0.05)
        callback.on_train_batch_end(2)  # the next step counts again
        assert float(run.train_seconds.numpy()) > worked + 0.04
    finally:
        signal.signal(signal.SIGCONT, signal.SIG_DFL)


def test_mixed_precision_counts_every_step_even_those_loss_scaling_skips(tmp_path):
    """Under float16 loss scaling the optimizer skips the steps whose gradients overflow (the first ones, while
    the scale comes down from 2^15), so its ``iterations`` lag; the run's own counter does not."""
    data = tiny_mnist(tmp_path / "mnist.npz")
    run = tmp_path / "run"
    train_digits.main(["--variant", "gan", "--data", str(data), "--batch-size", "8", "--steps", "3",
                       "--ckpt-every", "3", "--log-every", "1", "--mixed-precision", "--out", str(run)])
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["step_0000003.png"]
    assert [int(r["step"]) for r in records.read_csv(run / "log.csv")] == [1, 2, 3]
    assert (run / "ckpt" / "ckpt-3.index").exists()


def test_a_corrupt_latest_checkpoint_falls_back_to_the_one_before(tmp_path, capsys):
    data = tiny_mnist(tmp_path / "mnist.npz")
    run = tmp_path / "run"
    args = ["--variant", "gan", "--data", str(data), "--batch-size", "8", "--ckpt-every", "2", "--out", str(run)]
    train_digits.main(args + ["--steps", "4"])
    (shard,) = (run / "ckpt").glob("ckpt-4.data-*")
    shard.write_bytes(shard.read_bytes()[:100])  # a disk that filled up, a copy cut short
    capsys.readouterr()
    train_digits.main(args + ["--steps", "6"])
    out = capsys.readouterr().out
    assert "cannot resume from" in out and "ckpt-4" in out and "at step 2" in out
    assert re.findall(r"^step (\d+)/", out, re.M)[-1] == "6"
    for name in ("ckpt-6.index", "ckpt-4.index"):  # the run went on from step 2 and wrote new ones
        assert (run / "ckpt" / name).exists()
    for path in (run / "ckpt").glob("ckpt-*.data-*"):
        path.write_bytes(b"")
    with pytest.raises(SystemExit, match="no checkpoint .* could be read; pass --fresh"):
        train_digits.main(args + ["--steps", "8"])


def test_a_checkpoint_written_but_not_yet_named_in_the_state_file_is_resumed_from(tmp_path, capsys):
    """A kill between a checkpoint's files and the manager's ``checkpoint`` state file: the newest is resumed."""
    data = tiny_mnist(tmp_path / "mnist.npz")
    run = tmp_path / "run"
    args = ["--variant", "gan", "--data", str(data), "--batch-size", "8", "--ckpt-every", "2", "--out", str(run)]
    train_digits.main(args + ["--steps", "4"])
    state = run / "ckpt" / "checkpoint"
    state.write_text('model_checkpoint_path: "ckpt-2"\nall_model_checkpoint_paths: "ckpt-2"\n')  # ckpt-4 unnamed
    assert checkpoints.checkpoints_newest_first(run / "ckpt") == [str(run / "ckpt" / f"ckpt-{n}") for n in (4, 2)]
    capsys.readouterr()
    train_digits.main(args + ["--steps", "6"])
    assert "at step 4" in capsys.readouterr().out
    state.unlink()  # the first checkpoint of a run, killed before its state file
    train_digits.main(args + ["--steps", "8"])
    out = capsys.readouterr().out
    assert "at step 6" in out and re.findall(r"^step (\d+)/", out, re.M) == ["8"]


def test_bfloat16_precision_trains_without_loss_scaling(tmp_path):
    data = tiny_mnist(tmp_path / "mnist.npz")
    run = tmp_path / "run"
    train_digits.main(["--variant", "dcgan", "--preset", "small", "--data", str(data), "--batch-size", "8",
                       "--steps", "2", "--ckpt-every", "2", "--precision", "mixed_bfloat16", "--out", str(run)])
    keys = tf.train.load_checkpoint(str(run / "ckpt" / "ckpt-2")).get_variable_to_shape_map()
    assert not [k for k in keys if "inner_optimizer" in k]  # plain Adam: bfloat16 needs no loss scale
    assert tf.keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    train_digits.main(["--variant", "gan", "--data", str(data), "--batch-size", "8", "--steps", "1",
                       "--ckpt-every", "1", "--out", str(tmp_path / "next")])
    assert tf.keras.mixed_precision.global_policy().name == "float32"  # each run sets its own policy


def test_a_run_removes_what_a_kill_left_half_written_when_it_starts(tmp_path, weights_dir):
    """TensorFlow's unfinished checkpoint folder, temporary files of samples and parks, and an interrupted
    export's staged weights are gone when the same command runs again; the run resumes and exports."""
    data = tiny_mnist(tmp_path / "mnist.npz")
    run, park = tmp_path / "run", tmp_path / "park"
    args = ["--variant", "gan", "--g-feat", "8", "--d-feat", "8", "--data", str(data), "--ckpt-every", "2",
            "--batch-size", "8", "--out", str(run), "--park", str(park), "--export", "--weights-dir", str(weights_dir)]
    train_digits.main(args + ["--steps", "2"])
    left = [run / "ckpt" / "ckpt-600_temp" / "part-0", run / "samples" / ".step_0000004.png.77.tmp",
            park / "park.npz.tmp.npz", weights_dir / "gan.0123456789abcdef.weights.h5", weights_dir / ".gan.tmp.weights.h5"]
    for path in left:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    train_digits.main(args + ["--steps", "4"])
    assert not any(p.exists() for p in left) and not (run / "ckpt" / "ckpt-600_temp").exists()
    assert json.loads((weights_dir / "manifest.json").read_text())["models"]["gan"]["steps"] == 4


def test_a_kill_during_the_evaluation_after_an_export_is_made_good_by_running_the_command_again(
        tmp_path, weights_dir, monkeypatch):
    """The export lands first and its metrics after; killed in between, the entry has no metrics until the same
    command runs again: a finished run trains nothing, exports the same model again and measures it."""
    data = tiny_mnist(tmp_path / "mnist.npz")
    train_digits.main(["judge", "--data", str(data), "--epochs", "1", "--batch-size", "16", "--export",
                       "--weights-dir", str(weights_dir)])
    argv = ["--variant", "cgan", "--g-feat", "8", "--d-feat", "8", "--data", str(data), "--steps", "2",
            "--ckpt-every", "2", "--batch-size", "8", "--out", str(tmp_path / "run"), "--export",
            "--weights-dir", str(weights_dir)]
    real = train_digits.evaluate
    monkeypatch.setattr(train_digits, "evaluate", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        train_digits.main(argv)
    from models.weights import load_model
    assert "metrics" not in json.loads((weights_dir / "manifest.json").read_text())["models"]["cgan"]
    exported = load_model("cgan", weights_dir).get_weights()
    monkeypatch.setattr(train_digits, "evaluate", real)
    train_digits.main(argv)
    again = json.loads((weights_dir / "manifest.json").read_text())["models"]["cgan"]
    assert again["steps"] == 2 and "recognised" in again["metrics"]
    assert all(np.allclose(a, b) for a, b in zip(load_model("cgan", weights_dir).get_weights(), exported))


def test_a_model_exported_under_its_own_name_is_titled_by_it(tmp_path, weights_dir):
    """A second 'Conditional DCGAN' in the menus could not be told from the shipped one."""
    data = tiny_mnist(tmp_path / "mnist.npz")
    common = ["--variant", "gan", "--g-feat", "8", "--d-feat", "8", "--data", str(data), "--steps", "1",
              "--ckpt-every", "1", "--batch-size", "8", "--export", "--weights-dir", str(weights_dir)]
    train_digits.main(common + ["--name", "my_gan", "--out", str(tmp_path / "a")])
    train_digits.main(common + ["--name", "other", "--title", "Mine", "--out", str(tmp_path / "b")])
    models = json.loads((weights_dir / "manifest.json").read_text())["models"]
    assert models["my_gan"]["title"] == "GAN (MLP) (my_gan)" and models["other"]["title"] == "Mine"
