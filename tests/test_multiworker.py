"""The cluster path: `--strategy multiworker` as two local worker processes on loopback (TF_CONFIG)."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from benchmarks.live import free_port
from tests.conftest import ROOT, tiny_mnist


def tiny_image_folder(path, n=16):
    from PIL import Image
    path.mkdir()
    for i in range(n):
        Image.fromarray(np.full((32, 32, 3), 15 * i, np.uint8)).save(path / f"{i}.png")
    return path


CASES = {  # one per CLI with a GAN train step: digits (cdcgan) and image GANs (SAGAN: spectral norm, attention)
    "digits": lambda tmp: ["training.digits", "--variant", "cdcgan", "--data", str(tiny_mnist(tmp / "mnist.npz"))],
    "sagan": lambda tmp: ["training.dcgan", "--arch", "sagan", "--name", "s", "--g-feat", "4", "--d-feat", "4",
                          "--fd-every", "0", "--data", str(tiny_image_folder(tmp / "imgs"))],
}


def two_workers(command, run, steps):
    """Run ``command`` as a two-worker cluster on loopback to ``steps``; returns both workers' outputs."""
    cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
    procs = []
    for index in range(2):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
               "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        procs.append(subprocess.Popen(
            [sys.executable, "-m", *command, "--steps", str(steps), "--ckpt-every", "2", "--batch-size", "8",
             "--strategy", "multiworker", "--out", str(run)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    return outputs


@pytest.mark.parametrize("case", sorted(CASES))
def test_two_workers_train_in_lockstep_and_resume_together(tmp_path, case):
    command = CASES[case](tmp_path)
    run = tmp_path / "run"
    outputs = two_workers(command, run, 4)
    assert "step 4/4" in outputs[0]  # the chief logs and writes samples; the other worker stays quiet
    assert (run / "samples" / "step_0000004.png").exists()
    # restarted (a new session, a preempted job): both workers resume from the chief's checkpoint, at its step
    outputs = two_workers(command, run, 6)
    for out in outputs:
        assert f"resumed from {run / 'ckpt' / 'ckpt-4'} at step 4" in out, out[-2000:]
    assert "step 6/6" in outputs[0]

    chief = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(run / "ckpt")))
    assert chief.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE") == 6
    # every weight and optimizer slot is identical on both workers (a digest of all of them, printed by each)
    digests = [re.findall(r"worker finished at step 6, weights digest (\w+)", out) for out in outputs]
    assert digests[0] and digests[0] == digests[1], outputs[1][-2000:]
    assert not list(run.glob("ckpt_worker_*"))  # the other worker's folder went when the run ended


REPLICA_NOISE = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
from training.gan import GAN
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    gan = GAN(keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]),
              keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]), latent_dim=4, seed=3)
draw = tf.function(lambda: gan.noise(3))
first, second = ([t.numpy() for t in strategy.experimental_local_results(strategy.run(draw))] for _ in range(2))
print(float(abs(first[0] - first[1]).max()), float(abs(first[0] - second[0]).max()))
"""


def test_each_replica_draws_its_own_noise():
    """MirroredStrategy on two logical CPUs (a subprocess: devices are set before TensorFlow starts): the two
    replicas' z differ, and so do two steps' (``keras.random.normal`` on the shared seed generator gave both
    replicas the same z)."""
    out = subprocess.run([sys.executable, "-c", REPLICA_NOISE], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    between_replicas, between_steps = map(float, out.stdout.split()[-2:])
    assert between_replicas > 0.1 and between_steps > 0.1
