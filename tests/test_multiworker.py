"""The cluster path: `--strategy multiworker` as two local worker processes on loopback (TF_CONFIG)."""

import json
import os
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


@pytest.mark.parametrize("case", sorted(CASES))
def test_two_workers_train_in_lockstep(tmp_path, case):
    command = CASES[case](tmp_path)
    run = tmp_path / "run"
    cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
    procs = []
    for index in range(2):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
               "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        procs.append(subprocess.Popen(
            [sys.executable, "-m", *command, "--steps", "4", "--ckpt-every", "2", "--batch-size", "8",
             "--strategy", "multiworker", "--out", str(run)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    assert "step 4/4" in outputs[0]  # the chief logs and writes samples; the other worker stays quiet
    assert (run / "samples" / "step_0000004.png").exists()

    chief = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(run / "ckpt")))
    (other_dir,) = run.glob("ckpt_worker_*")
    other = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(other_dir)))
    keys = [k for k in chief.get_variable_to_shape_map() if "train_seconds" not in k and "CHECKPOINTABLE" not in k]
    assert len(keys) > 40
    assert chief.get_tensor("g_optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE") == 4
    different = [k for k in keys if not np.array_equal(chief.get_tensor(k), other.get_tensor(k))]
    assert different == []  # every weight and optimizer slot is identical on both workers
