"""Hardware: the tf.distribute strategy, the precision policy, threads, and which worker is the chief."""

import json
import os
import platform

import keras
import tensorflow as tf


def precision(args):
    """The run's dtype policy from ``--precision`` (``--mixed-precision``: mixed_float16)."""
    return "mixed_float16" if getattr(args, "mixed_precision", False) else getattr(args, "precision", "float32")


def setup(args):
    """Seed, precision policy and distribution strategy from the common flags."""
    keras.utils.set_random_seed(args.seed)
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.mixed_precision.set_global_policy(precision(args))
    if args.strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    if args.strategy == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def sync_batch_norm(strategy, *models):
    """With several replicas, make every BatchNormalization use the global batch's statistics, so all
    replicas and workers keep identical moving statistics (as their weights are identical)."""
    if strategy.num_replicas_in_sync > 1:
        for model in models:
            for layer in model.layers:
                if isinstance(layer, keras.layers.BatchNormalization):
                    layer.synchronized = True


def is_chief():
    """True on the worker that writes checkpoints, logs and exports (always, without TF_CONFIG)."""
    cfg = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = cfg.get("task")
    if not task:
        return True
    if "chief" in cfg.get("cluster", {}):
        return task["type"] == "chief"
    return task["type"] == "worker" and task.get("index", 0) == 0


def hardware():
    gpus = tf.config.list_physical_devices("GPU")
    where = f"{len(gpus)} GPU" if gpus else f"{os.cpu_count()}-core CPU"
    return f"{where} ({platform.machine()}), TensorFlow {tf.__version__}, Keras {keras.__version__}"
