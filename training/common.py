"""The training harness every family shares: flags, tf.distribute strategy, mixed precision, checkpoint and
resume, TensorBoard and CSV logs, sample grids and a progress GIF, and export into ``weights/``.

A run directory looks like::

    runs/cdcgan/
      config.json          the run's arguments and model configs (the checkpoint describes itself)
      ckpt/                tf.train.Checkpoint: nets, optimizers, step, training seconds
      logs/                TensorBoard scalars and sample images
      log.csv              the same scalars as plain data
      samples/step_*.png   fixed-seed sample grid after every checkpoint
      progress.gif         all sample grids, animated

With ``--park DIR`` a compact copy of each checkpoint (``park``/``unpark``) and the logs also go to ``DIR``, a
folder that can be committed, so a run survives a machine that keeps nothing but its git tree.
"""

import argparse
import contextlib
import csv
import datetime
import itertools
import json
import os
import platform
import shlex
import signal
import sys
import threading
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from models import images
from models import manifest
from models.uploads import write_atomic
from models.weights import DEFAULT_DIR, load_model, read_manifest, sha256_file


def add_common_args(parser, steps, batch_size, ckpt_every, lr=2e-4):
    """Flags shared by every training CLI; ``steps`` etc. are the family's defaults."""
    g = parser.add_argument_group("run")
    g.add_argument("--out", type=Path, help="run directory (checkpoints, logs, samples); default runs/NAME")
    g.add_argument("--steps", type=int, default=steps, help="total optimisation steps (default %(default)s)")
    g.add_argument("--batch-size", type=int, default=batch_size, help="global batch size (default %(default)s)")
    g.add_argument("--lr", type=float, default=lr,
                   help="Adam learning rate" + (f" (default {lr})" if lr else " (default: the architecture's)"))
    g.add_argument("--ckpt-every", type=int, default=ckpt_every,
                   help="checkpoint, sample grid and log flush every N steps (default %(default)s)")
    g.add_argument("--log-every", type=int, default=50, help="scalars to TensorBoard/CSV every N steps")
    g.add_argument("--decay-steps", type=int, default=0, metavar="N",
                   help="hold the learning rates, then take them linearly to zero over the last N of --steps "
                        "(the pix2pix and CycleGAN schedule); 0 (default): constant")
    g.add_argument("--seed", type=int, default=0, help="random seed")
    g.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint and start over")
    g.add_argument("--park", type=Path, metavar="DIR",
                   help="also keep a compact copy of every checkpoint in DIR (nets in float32, Adam moments in "
                        "float16: a third smaller, small enough to commit) with the run's logs; a run whose --out "
                        "has no checkpoint resumes from it (for machines that lose everything outside git)")
    g = parser.add_argument_group("hardware")
    g.add_argument("--strategy", choices=["default", "mirrored", "multiworker"], default="default",
                   help="default: one device; mirrored: all local GPUs; multiworker: several machines "
                        "described by TF_CONFIG")
    g.add_argument("--precision", choices=PRECISIONS, default="float32",
                   help="float32; mixed_float16 (GPUs with tensor cores; loss scaling); mixed_bfloat16 (TPUs, "
                        "Ampere and later GPUs, CPUs with AVX-512 BF16 or AMX: no loss scaling needed)")
    g.add_argument("--mixed-precision", action="store_true", help="the same as --precision mixed_float16")
    g.add_argument("--jit", action="store_true", help="compile the train step with XLA")
    g.add_argument("--threads", type=int, default=0,
                   help="CPU threads for TensorFlow ops (0: all cores); 1 lets two runs share a 2-core machine")
    g = parser.add_argument_group("export")
    g.add_argument("--export", action="store_true", help="write the weights and manifest entry when done")
    g.add_argument("--weights-dir", type=Path, default=DEFAULT_DIR, help="where --export writes")


class TrainerModel(keras.Model):
    """Base of our training wrappers (GAN, SRGAN): a ``keras.Model`` whose nets are already-built functional
    models, so ``fit`` has nothing to build.

    Two Keras 3 workarounds make ``--strategy multiworker`` work (keras-team/keras#20585): ``fit`` would
    "symbolically build" the model by reducing the first data batch across workers, which fails, and it
    mean-reduces the step's logs along axis 0, which fails for scalars (``logs`` hands them over as (1,)).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        return

    @property
    def metrics(self):
        """The loss trackers: ``self.trackers`` (name -> ``keras.metrics.Mean``), reset by Keras every epoch."""
        return list(getattr(self, "trackers", {}).values())

    def logs(self):
        """The metrics' results, as ``train_step`` should return them."""
        results = {m.name: m.result() for m in self.metrics}
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            results = {k: tf.reshape(v, [1]) for k, v in results.items()}
        return results


PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


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


def make_optimizer(args, beta_1=0.5, ema=0.0, learning_rate=None, beta_2=0.999):
    """Adam from the flags (``learning_rate``, e.g. a schedule, replaces ``--lr``); ``ema`` > 0 also keeps an
    exponential moving average of the weights it trains; float16 compute adds loss scaling (bfloat16 has
    float32's range and needs none)."""
    opt = keras.optimizers.Adam(learning_rate or args.lr, beta_1=beta_1, beta_2=beta_2, use_ema=ema > 0,
                                ema_momentum=ema or 0.99)
    return keras.optimizers.LossScaleOptimizer(opt) if precision(args) == "mixed_float16" else opt


def averaged_copy(optimizer, model, target):
    """Load ``target`` (same architecture as ``model``) with the optimizer's moving average of ``model``'s
    weights (its plain weights without EMA); ``model`` keeps its own weights. Returns ``target``."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    online = [v.numpy() for v in model.trainable_variables]
    inner.finalize_variable_values(model.trainable_variables)  # model <- EMA (no-op without use_ema)
    target.set_weights(model.get_weights())
    for v, value in zip(model.trainable_variables, online):
        v.assign(value)
    return target


def recalibrate_batch_norm(model, inputs):
    """Recompute every BatchNormalization layer's moving statistics from one large batch of ``inputs``
    ("standing statistics"): averaged weights need statistics of their own."""
    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [bn.momentum for bn in bns]
    for bn in bns:
        bn.momentum = 0.0  # the moving statistics become exactly this batch's
    model(inputs, training=True)
    for bn, m in zip(bns, momenta):
        bn.momentum = m
    return model


def is_chief():
    """True on the worker that writes checkpoints, logs and exports (always, without TF_CONFIG)."""
    cfg = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = cfg.get("task")
    if not task:
        return True
    if "chief" in cfg.get("cluster", {}):
        return task["type"] == "chief"
    return task["type"] == "worker" and task.get("index", 0) == 0


def command_line(module, argv):
    """The exact command that started this run, as it would be typed."""
    return shlex.join(["python", "-m", module] + list(argv))


def cli(module, doc):
    """A training CLI's parser and its subcommands (``train`` is the default one, see ``parse``)."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    return parser, parser.add_subparsers(dest="command", required=True)


def parse(parser, module, argv=None):
    """Parse ``argv`` (default ``sys.argv``), ``train`` when no command is named; the command as typed is
    kept in ``args.command_line`` for the manifest."""
    typed = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(["train"] + typed if not typed or typed[0].startswith("-") else typed)
    args.command_line = command_line(module, typed)
    problem = check_schedule(args)
    if problem:
        parser.error(problem)
    return args


def fraction(text):
    """An argparse type: a number from 0 to 1 (a share)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text}")
    return value


def check_schedule(args):
    """Why the run flags cannot work (one line naming the flag), or None: every count positive, the decay within
    the run (``--ckpt-every 0`` divided by zero, ``--ckpt-every -1 --export`` exported an untrained model)."""
    for flag in ("steps", "batch_size", "ckpt_every", "log_every", "epochs"):
        value = getattr(args, flag, None)
        if value is not None and value <= 0:
            return f"--{flag.replace('_', '-')} must be a positive whole number, got {value}"
    lr = getattr(args, "lr", None)
    if lr is not None and not lr > 0:
        return f"--lr must be positive, got {lr}"
    decay, steps = getattr(args, "decay_steps", None), getattr(args, "steps", None)
    if decay is not None and not 0 <= decay <= (steps or decay):
        return f"--decay-steps must be from 0 to --steps ({steps}), got {decay}"
    if getattr(args, "threads", 0) < 0:
        return f"--threads must be 0 (all cores) or more, got {args.threads}"
    return None


class Run:
    """A run directory with a resumable checkpoint of ``objects`` (nets, optimizers) and its step counter.

    The step counts the batches trained (``advance`` after each), kept in a checkpointed variable: not an
    optimizer's ``iterations``, which loss scaling under mixed precision leaves behind when it skips a step
    (``--steps 2`` ended at step 1). Checkpoints written before the step variable existed resume from
    ``step_source.iterations``.

    Args:
        out: run directory.
        config: JSON-able description of the run, saved as ``config.json`` beside the checkpoint.
        step_source: the optimizer whose ``iterations`` was the step of older checkpoints.
        park: optional directory for a compact copy of each checkpoint (see ``--park``), or None.
        objects: trackables to checkpoint, e.g. ``generator=G, discriminator=D, g_optimizer=...``.
    """

    def __init__(self, out, config, step_source, park=None, **objects):
        self.out = Path(out)
        self.chief = is_chief()
        self.step_source = step_source
        self.park = Path(park) if park else None
        self.train_seconds = tf.Variable(0.0, dtype=tf.float64, trainable=False)
        self.step_var = tf.Variable(-1, dtype=tf.int64, trainable=False)  # -1: not in the checkpoint restored
        self._step = 0
        self.objects = {"train_seconds": self.train_seconds, **objects, "step": self.step_var}
        self.checkpoint = tf.train.Checkpoint(**self.objects)
        # Every worker must write a checkpoint (the save is a collective), but only the chief's is the run's:
        # the others write theirs into a folder of their own, one checkpoint kept, and all resume from the chief's.
        task = json.loads(os.environ.get("TF_CONFIG") or "{}").get("task", {})
        ckpt_dir = self.out / ("ckpt" if self.chief else f"ckpt_{task.get('type', 'worker')}_{task.get('index', 0)}")
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(ckpt_dir), max_to_keep=2 if self.chief else 1)
        if self.chief:
            saved = saved_config(self.out, self.park)
            resuming = bool(saved) and not config.get("args", {}).get("fresh") and bool(
                checkpoints_newest_first(ckpt_dir) or (self.park and (self.park / PARK_FILE).exists()))
            if resuming:  # the run's own flags, except its schedule; its config keeps every command it ran
                check_resume(saved.get("args", {}), config.get("args", {}))
                config = {**config, "commands": saved.get("commands", [saved.get("command")]) + [config.get("command")]}
            (self.out / "samples").mkdir(parents=True, exist_ok=True)
            write_atomic(self.out / "config.json", json.dumps(config, indent=2, default=str).encode())

    @property
    def step(self):
        return self._step

    def advance(self, step):
        """Training reached ``step`` (batches trained since the run began)."""
        self._step = step

    def _restored_step(self):
        step = int(self.step_var.numpy())
        self._step = step if step >= 0 else int(self.step_source.iterations.numpy())
        return self._step

    def restore(self, fresh=False):
        """Resume from the latest checkpoint, else from the parked copy (unless ``fresh``); returns the step."""
        if fresh:
            return self.step
        candidates = checkpoints_newest_first(self.out / "ckpt")  # the chief's, for every worker
        if candidates:
            for path in candidates:
                try:
                    self.checkpoint.restore(path).assert_existing_objects_matched()
                    break
                except Exception as exc:  # cut short or corrupt (TensorFlow raises many types), or another run
                    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
                    print(f"cannot resume from {path} ({reason}); trying the one before", flush=True)
            else:
                raise SystemExit(f"no checkpoint in {self.out / 'ckpt'} could be read; pass --fresh to start over")
            print(f"resumed from {path} at step {self._restored_step()}", flush=True)
        elif self.park and (self.park / PARK_FILE).exists():
            unpark(self.park, self.objects, self.out)
            print(f"resumed from the parked copy {self.park / PARK_FILE} at step {self._restored_step()}",
                  flush=True)
        else:
            return self.step
        if self.chief:  # rows logged after the checkpoint resumed from are logged again by this run
            for name in ("log.csv", "eval.csv"):
                trim_log(self.out / name, self.step)
        return self.step

    def save(self):
        self.step_var.assign(self.step)
        self.manager.save(checkpoint_number=self.step)

    def save_parked(self):
        """Refresh the parked copy (with ``--park``), once the step's sample grid and scores are written."""
        self.step_var.assign(self.step)
        if self.park and self.chief:
            park(self.objects, self.park, self.out)


def checkpoints_newest_first(directory):
    """The checkpoints in ``directory`` (their prefixes), newest first ([] if none): those the manager's state
    file names, and any whose index file is written but not yet named there (a kill between the two writes)."""
    directory = Path(directory)
    state = tf.train.get_checkpoint_state(str(directory))
    listed = (list(state.all_model_checkpoint_paths) or [state.model_checkpoint_path]) if state else []
    prefixes = {str(directory / Path(p).name) for p in listed}
    prefixes |= {str(p)[:-len(".index")] for p in directory.glob("ckpt-*.index")}

    def number(prefix):
        tail = prefix.rsplit("-", 1)[-1]
        return int(tail) if tail.isdigit() else -1
    return sorted(prefixes, key=number, reverse=True)


# Flags a resumed run may change: how long and how often, where to write, the hardware. Anything else (the
# architecture, the data, the losses, the batch) would make the checkpoint mean something else.
RESUME_FLAGS = {"steps", "decay_steps", "lr", "ckpt_every", "log_every", "fd_every", "export", "weights_dir", "out",
                "park", "fresh", "threads", "strategy", "jit", "title", "command_line", "command", "val", "val_images",
                "drawings", "no_perceptual_eval", "frechet_net", "perceptual_weights", "limit_val"}


def check_resume(saved, args):
    """Exit with a one-line message naming the first flag (other than ``RESUME_FLAGS``) whose value differs
    between the run's saved arguments and this command's."""
    for key in sorted(set(saved) | set(args)):
        if key in RESUME_FLAGS or key not in saved or key not in args:
            continue
        old, new = saved[key], args[key]
        if str(old) != str(new):
            flag = "--" + key.replace("_", "-")
            old, new = ("not given" if v is None else v for v in (old, new))
            raise SystemExit(f"{flag} was {old} when this run began, not {new}: resume with the run's own {flag}, "
                             "or pass --fresh (or another --out) to start a new run")


def trim_log(path, step):
    """Drop the rows of a CSV log (first column: the step) beyond ``step``, the step a run resumes from."""
    if not path.exists():
        return
    lines = path.read_text().splitlines(keepends=True)
    kept = lines[:1] + [line for line in lines[1:] if not line.split(",")[0].isdigit() or int(line.split(",")[0]) <= step]
    if len(kept) != len(lines):
        write_atomic(path, "".join(kept).encode())


PARK_FILE = "park.npz"
PARKED_LOGS = ("config.json", "log.csv", "eval.csv")
PARKED_GRID_SIDE = 256  # sample grids are parked at the size the progress GIFs use


def _park_variables(objects):
    """``[(name, variable)]`` for every variable of ``objects`` (models, optimizers, variables), in a fixed order.
    Names hold what stays the same when the run is rebuilt in another process (layer names are numbered per
    process): the object, the index and the variable's kind (``kernel``, ``kernel_momentum``, ``iteration``)."""
    out = []
    for key, obj in objects.items():
        if isinstance(obj, keras.Model):
            out += [(f"{key}/{i}/{v.name}", v) for i, v in enumerate(obj.weights)]
        elif isinstance(obj, keras.optimizers.Optimizer):
            out += [(f"{key}/{i}/{'_'.join(v.name.split('_')[-2:])}", v) for i, v in enumerate(obj.variables)]
        else:
            out.append((key, obj))
    return out


def park(objects, directory, out=None):
    """Write every variable of ``objects`` into ``directory/park.npz``: nets and averages as they are, Adam's
    momentum in float16 and its velocity as a float16 square root (velocities span too many decades for float16
    itself); with ``out``, also copy that run's config and CSV logs and its sample grids (shrunk) beside it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    names, arrays = [], {}
    for i, (name, v) in enumerate(_park_variables(objects)):
        value = np.asarray(v.numpy())
        if value.dtype == np.float32 and name.endswith("_momentum"):
            value, kind = value.astype(np.float16), "half"
        elif value.dtype == np.float32 and name.endswith("_velocity"):
            value, kind = np.sqrt(value).astype(np.float16), "sqrt_half"
        else:
            kind = "raw"
        names.append([name, kind])
        arrays[f"v{i}"] = value
    tmp = directory / (PARK_FILE + ".tmp.npz")
    np.savez(tmp, index=np.array(json.dumps(names)), **arrays)
    os.replace(tmp, directory / PARK_FILE)
    if out is not None:
        _copy_logs(Path(out), directory, PARKED_LOGS, max_side=PARKED_GRID_SIDE)


def unpark(directory, objects, out=None):
    """Load ``directory/park.npz`` (written by ``park``) into the already built ``objects``; with ``out``, put
    the parked logs and sample grids back into that run directory. A rebuild that does not match the parked
    variables (another architecture, another optimizer) raises ``ValueError`` naming the first difference."""
    path = Path(directory) / PARK_FILE
    hint = "resume with the arguments the run started with, or pass --fresh"
    expected = _park_variables(objects)
    with np.load(path, allow_pickle=False) as data:
        names = json.loads(str(data["index"]))
        if expected and expected[-1][0] == "step" and "step" not in [n for n, _ in names]:
            expected = expected[:-1]  # parked before runs had their own step variable: it stays -1
        values = []
        for i, (_, kind) in enumerate(names):
            value = data[f"v{i}"]
            if kind == "sqrt_half":
                value = np.square(value.astype(np.float32))
            elif kind == "half":
                value = value.astype(np.float32)
            values.append(value)
    for (name, _), value, (run_name, v) in itertools.zip_longest(names, values, expected, fillvalue=(None, None)):
        if name != run_name or tuple(value.shape) != tuple(v.shape):  # checked in full before anything changes
            held = f"{name} {tuple(value.shape)}" if name else "nothing"
            has = f"{run_name} {tuple(v.shape)}" if run_name else "nothing"
            raise ValueError(f"{path} does not fit this run: it holds {held} where the run has {has}; {hint}")
    for value, (_, v) in zip(values, expected):
        v.assign(value)
    if out is not None:
        _copy_logs(Path(directory), Path(out), PARKED_LOGS[1:])  # the run has written its own config


def _copy_logs(src, dst, names, max_side=None):
    """Copy the CSV logs ``names`` and the sample grids not yet in ``dst`` (grids shrunk to ``max_side``)."""
    (dst / "samples").mkdir(parents=True, exist_ok=True)
    for name in names:
        if (src / name).exists():
            write_atomic(dst / name, (src / name).read_bytes())
    for grid in sorted((src / "samples").glob("step_*.png")):
        if not (dst / "samples" / grid.name).exists():
            image = read_grid(grid)
            if image is None:
                continue
            if max_side:
                image.thumbnail((max_side, max_side))
            write_atomic(dst / "samples" / grid.name, images.png_bytes(np.asarray(image)))


def read_grid(path):
    """A sample grid as a loaded PIL image, or None (with a note) for a file a kill left empty or cut short by an
    older version, so that it never stops a resume, a GIF or an export."""
    try:
        with Image.open(path) as im:
            im.load()
            return im.copy()
    except (OSError, SyntaxError, ValueError) as exc:
        print(f"skipping the damaged sample grid {path.name} ({type(exc).__name__})", flush=True)
        return None


class RunCallback(keras.callbacks.Callback):
    """Logs scalars, saves a checkpoint and a fixed-seed sample grid every chunk, and a progress GIF at the end.

    ``sample_fn()`` returns a uint8 grid of the current model's samples; the optional ``eval_fn()`` returns a
    dict of validation metrics, logged beside the losses and appended to ``eval.csv``.
    """

    def __init__(self, run, sample_fn, log_every, total_steps, eval_fn=None):
        super().__init__()
        self.run, self.sample_fn, self.log_every, self.total_steps = run, sample_fn, log_every, total_steps
        self.eval_fn = eval_fn
        self.writer = tf.summary.create_file_writer(str(run.out / "logs")) if run.chief else None
        self.csv_path = run.out / "log.csv"
        self.t_last = None
        self.paused = False
        self.chunk_start = run.step
        if threading.current_thread() is threading.main_thread():  # signal handlers live on the main thread
            signal.signal(signal.SIGCONT, self._continued)

    def _continued(self, signum, frame):
        """SIGCONT: the run was paused (SIGSTOP, Ctrl-Z); the step in progress does not count its wall time."""
        self.paused = True

    def on_epoch_begin(self, epoch, logs=None):
        self.chunk_start = self.run.step

    def on_train_batch_begin(self, batch, logs=None):
        if self.t_last is None:
            self.t_last = time.time()

    def on_train_batch_end(self, batch, logs=None):
        self.run.advance(self.chunk_start + batch + 1)  # the batch index, not a device read: exact and cheap
        if _stop_requested.is_set():  # SIGTERM: stop here, between two steps; ``fit`` saves the work done
            raise KeyboardInterrupt
        now = time.time()
        if not self.paused:  # training time excludes pauses (one step's time is dropped with each)
            self.run.train_seconds.assign_add(now - self.t_last)
        self.t_last, self.paused = now, False
        step = self.run.step
        if step >= self.total_steps:  # --steps not a multiple of --ckpt-every: end inside the chunk
            self.model.stop_training = True
        if step % self.log_every or not self.run.chief:
            return
        self._record(self.csv_path, step, {k: float(v) for k, v in (logs or {}).items()})

    def _record(self, path, step, values):
        """Scalars to TensorBoard and a row of the CSV file ``path``."""
        with self.writer.as_default(step=step):
            for k, v in values.items():
                tf.summary.scalar(k, v)
        new = not path.exists()
        with open(path, "a", newline="") as f:
            w = csv.writer(f)
            if new:
                w.writerow(["step", "seconds"] + list(values))
            w.writerow([step, round(float(self.run.train_seconds.numpy()), 1)] + [f"{v:.7g}" for v in values.values()])

    def on_epoch_end(self, epoch, logs=None):
        step = self.run.step
        self.run.save()
        if not self.run.chief:
            return
        grid = self.sample_fn()
        write_atomic(self.run.out / "samples" / f"step_{step:07d}.png", images.png_bytes(grid))
        with self.writer.as_default(step=step):
            tf.summary.image("samples", grid[None, ..., None] if grid.ndim == 2 else grid[None])
        self.writer.flush()
        logs = dict(logs or {})
        scores = self.eval_fn() if self.eval_fn else None  # None or {}: nothing measured at this step
        if scores:
            self._record(self.run.out / "eval.csv", step, scores)
            logs.update(scores)
        pretty = " ".join(f"{k}={float(v):.3f}" for k, v in logs.items())
        secs = float(self.run.train_seconds.numpy())
        print(f"step {step}/{self.total_steps} {pretty} ({secs / max(step, 1) * 1000:.0f} ms/step, "
              f"{secs / 60:.1f} min)", flush=True)
        self.run.save_parked()

    def on_train_end(self, logs=None):
        if self.run.chief:
            write_progress_gif(self.run.out)


def plot_curves(series, path, panel=(300, 150), ncol=3):
    """Small-multiple line plots, one panel per ``{name: (steps, values)}`` entry, saved as a PNG (no plotting
    library needed). Each panel shows its name and the first, last and lowest value."""
    from PIL import ImageDraw  # noqa: PLC0415
    names = [n for n, (x, _) in series.items() if len(x) > 1]
    if not names:
        return None
    w, h = panel
    rows = -(-len(names) // ncol)
    canvas = Image.new("RGB", (w * min(ncol, len(names)), h * rows), "white")
    draw = ImageDraw.Draw(canvas)
    for i, name in enumerate(names):
        x, y = (np.asarray(v, dtype=np.float64) for v in series[name])
        ox, oy = (i % ncol) * w, (i // ncol) * h
        left, top, right, bottom = ox + 44, oy + 22, ox + w - 10, oy + h - 18
        lo, hi = float(np.nanmin(y)), float(np.nanmax(y))
        hi = hi if hi > lo else lo + 1.0
        pts = [(left + (right - left) * (a - x[0]) / max(x[-1] - x[0], 1), bottom - (bottom - top) * (b - lo) / (hi - lo))
               for a, b in zip(x, y)]
        draw.rectangle([left, top, right, bottom], outline=(200, 200, 200))
        draw.line(pts, fill=(91, 75, 219), width=2)
        draw.text((ox + 6, oy + 4), f"{name}: {y[0]:.4g} -> {y[-1]:.4g} (min {lo:.4g})", fill=(30, 30, 30))
        draw.text((ox + 4, top), f"{hi:.3g}", fill=(120, 120, 120))
        draw.text((ox + 4, bottom - 10), f"{lo:.3g}", fill=(120, 120, 120))
        draw.text((left, bottom + 3), f"step {int(x[0])}", fill=(120, 120, 120))
        draw.text((right - 70, bottom + 3), f"{int(x[-1])}", fill=(120, 120, 120))
    write_atomic(path, images.png_bytes(np.asarray(canvas)))
    return path


def csv_series(rows):
    """``{column: (steps, values)}`` for every numeric column of a run's CSV rows, except step and seconds."""
    out = {}
    for key in (rows[0] if rows else {}):
        if key in ("step", "seconds"):
            continue
        pairs = [(float(r["step"]), float(r[key])) for r in rows if r.get(key) not in (None, "")]
        if pairs:
            out[key] = tuple(zip(*pairs))
    return out


def save_history(out, weights_dir, name, max_frames=24, max_side=256):
    """Keep a run's learning record beside its weights, for the app's "How they learned" page and the README:
    ``weights/history/NAME/`` gets log.csv, eval.csv, a progress GIF (at most ``max_frames`` frames of at most
    ``max_side`` pixels, so the repository stays small) and curves.png. Returns the files, relative to
    ``weights_dir``."""
    out, weights_dir = Path(out), Path(weights_dir)
    dest = weights_dir / "history" / name
    dest.mkdir(parents=True, exist_ok=True)
    files, rows = {}, []
    for fname in ("log.csv", "eval.csv"):
        if (out / fname).exists():
            write_atomic(dest / fname, (out / fname).read_bytes())
            files[fname.split(".")[0]] = f"history/{name}/{fname}"
            rows.append(read_csv(out / fname))
    paths = sorted((out / "samples").glob("step_*.png"))
    if paths:
        keep = np.unique(np.linspace(0, len(paths) - 1, min(max_frames, len(paths))).round().astype(int))
        frames = []
        for i in keep:
            im = read_grid(paths[i])
            if im is not None:
                im = im.convert("RGB")
                im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
                frames.append(np.asarray(im))
        if frames:
            write_atomic(dest / "progress.gif", images.gif_bytes(frames, duration_ms=250))
            files["gif"] = f"history/{name}/progress.gif"
    series = {k: v for r in rows for k, v in csv_series(r).items()}
    if plot_curves(series, dest / "curves.png"):
        files["curves"] = f"history/{name}/curves.png"
    return files


def write_progress_gif(out, max_frames=60):
    """Animate the run's sample grids (at most ``max_frames``, evenly spaced) into ``progress.gif``."""
    paths = sorted((Path(out) / "samples").glob("step_*.png"))
    if not paths:
        return None
    keep = np.unique(np.linspace(0, len(paths) - 1, min(max_frames, len(paths))).round().astype(int))
    frames = [np.asarray(im) for im in (read_grid(paths[i]) for i in keep) if im is not None]
    if not frames:
        return None
    target = Path(out) / "progress.gif"
    write_atomic(target, images.gif_bytes(frames, duration_ms=150))
    return target


class LinearDecay(keras.callbacks.Callback):
    """Sets each optimizer's learning rate before every step: its base rate until ``total - decay`` steps, then
    linearly down to zero at ``total``. The rate stays an optimizer variable (what a constant rate is), so runs
    keep one checkpoint layout with or without the decay, and can switch it on when resumed.

    Args:
        optimizers: Keras optimizers with a constant (variable) learning rate.
        bases: their base rates, read before a checkpoint restores an already decayed rate.
        total: the run's last step (``--steps``).
        decay: how many of the last steps decay (``--decay-steps``).
        step: a function giving the steps done (the run's counter); default: the first optimizer's iterations.
    """

    def __init__(self, optimizers, bases, total, decay, step=None):
        super().__init__()
        self.optimizers, self.bases, self.total, self.decay = optimizers, bases, total, decay
        self.step = step or (lambda: int(self.optimizers[0].iterations.numpy()))

    def factor(self, step):
        return float(min(1.0, max(0.0, (self.total - step) / self.decay)))

    def on_train_batch_begin(self, batch, logs=None):
        f = self.factor(self.step())
        for opt, base in zip(self.optimizers, self.bases):
            opt.learning_rate.assign(base * f)


def linear_decay(model, args, step=None):
    """The ``LinearDecay`` callback for ``model``'s optimizers from ``--decay-steps`` (``step``: as in
    ``LinearDecay``), or None without it."""
    if not args.decay_steps:
        return None
    optimizers = [o for o in (getattr(model, "g_optimizer", None), getattr(model, "d_optimizer", None)) if o]
    if not all(isinstance(o.learning_rate, keras.Variable) for o in optimizers):  # a schedule gives a tensor
        raise ValueError("--decay-steps needs constant learning rates; this trainer already follows a schedule")
    return LinearDecay(optimizers, [float(o.learning_rate.numpy()) for o in optimizers], args.steps, args.decay_steps,
                       step)


def fit(model, dataset, run, args, sample_fn, eval_fn=None):
    """Train ``model`` on an endless ``dataset`` up to ``args.steps``, resuming where the run stopped."""
    decay = linear_decay(model, args, lambda: run.step)  # before the restore: the base rates, not decayed ones
    start = run.restore(args.fresh)
    chunks = -(-args.steps // args.ckpt_every)
    if start >= args.steps:
        print(f"already at step {start} >= --steps {args.steps}; nothing to train", flush=True)
        return
    callbacks = [RunCallback(run, sample_fn, args.log_every, args.steps, eval_fn)] + ([decay] if decay else [])
    with _interrupt_on_sigterm():
        try:
            model.fit(dataset, epochs=chunks, steps_per_epoch=args.ckpt_every,
                      initial_epoch=start // args.ckpt_every, callbacks=callbacks, shuffle=False, verbose=0)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (a scheduler, `kill`): keep the work done, in one line
            run.save()
            run.save_parked()
            print(f"stopped at step {run.step}: checkpoint saved in {run.out}; run the same command to go on",
                  flush=True)
            raise SystemExit(130) from None


_stop_requested = threading.Event()


@contextlib.contextmanager
def _interrupt_on_sigterm():
    """While training, SIGTERM (a scheduler, `kill`) asks for a stop that ``RunCallback`` makes between two steps,
    like Ctrl-C but never inside a TensorFlow op (an exception raised there once crashed the process); a second
    SIGTERM stops at once. The old handler after."""
    _stop_requested.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(signum, frame):
        if _stop_requested.is_set():
            raise KeyboardInterrupt
        _stop_requested.set()
    previous = signal.signal(signal.SIGTERM, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop_requested.clear()


def hardware():
    gpus = tf.config.list_physical_devices("GPU")
    where = f"{len(gpus)} GPU" if gpus else f"{os.cpu_count()}-core CPU"
    return f"{where} ({platform.machine()}), TensorFlow {tf.__version__}, Keras {keras.__version__}"


def read_csv(path):
    """Rows of a run's CSV file (log.csv, eval.csv) as dicts; [] if it does not exist yet."""
    path = Path(path)
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_manifest_entry(weights_dir, name, entry):
    """Insert or replace ``name`` in the manifest, atomically (``models.manifest.write_entry``)."""
    manifest.write_entry(weights_dir, name, entry)


def init_from(generator, name, weights_dir, args_dict):
    """Start ``generator`` (built with ``args_dict``) from the shipped model ``name`` (``--init``); a run's own
    checkpoint, if it has one, replaces these weights when it resumes. Returns how that model was trained (its
    manifest's steps, batch size, time, command and sha256), for the new entry's ``init_model``."""
    entry = read_manifest(weights_dir).get(name)
    if entry is None or entry.get("args") != args_dict:
        raise ValueError(f"--init {name}: no model of that name with this generator ({args_dict}) in {weights_dir}")
    generator.set_weights(load_model(name, weights_dir).get_weights())
    print(f"generator initialised from {name}", flush=True)
    return {"name": name, **{k: entry[k] for k in ("steps", "batch_size", "train_time_s", "command", "sha256")
                             if k in entry}}


def start_from(generator, args, args_dict, out):
    """``--init``: start ``generator`` from a shipped model (``init_from``). Returns the starting model to record
    as ``init_model``: the one named in the run's saved config when it resumes (the manifest may have changed
    since it began), else the one just loaded, else None."""
    init_model = init_from(generator, args.init, args.weights_dir, args_dict) if args.init else None
    return saved_config(out, args.park).get("init_model", init_model)


def saved_config(out, park=None):
    """The ``config.json`` a run wrote when it began (in ``out``, else in its ``park`` folder), or {}: what a
    resumed run must keep from its start, such as the model its generator was initialised from."""
    for folder in (out, park):
        if folder and (Path(folder) / "config.json").is_file():
            return json.loads((Path(folder) / "config.json").read_text())
    return {}


def export(model, name, builder, args_dict, weights_dir, run_dir=None, **fields):
    """Save ``model``'s weights as ``weights_dir/NAME.weights.h5`` and record it in the manifest.

    ``builder``/``args_dict`` must rebuild the same architecture; ``fields`` (dataset, steps, command,
    metrics, ...) go into the entry as they are; with ``run_dir`` its learning record is kept too
    (``save_history``). Returns the entry.
    """
    weights_dir = Path(weights_dir)
    weights_dir.mkdir(parents=True, exist_ok=True)
    target = weights_dir / f"{name}.weights.h5"
    # Safe to kill at any moment: at every step the manifest names a complete file whose sha256 it holds.
    # 1. the new weights under their own name (the shipped model untouched); 2. the manifest points at them;
    # 3. they take the usual name (a hard link, then a rename, so both names exist meanwhile); 4. the manifest
    # points at the usual name; 5. the extra name goes.
    staged = weights_dir / f"{name}.next.weights.h5"
    tmp = weights_dir / f".{name}.tmp.weights.h5"
    model.save_weights(tmp)
    os.replace(tmp, staged)
    entry = {"builder": builder, "args": args_dict, "file": staged.name, "sha256": sha256_file(staged),
             "bytes": staged.stat().st_size, "params": int(model.count_params()),
             "exported": datetime.date.today().isoformat(), "hardware": hardware(), **fields}
    if run_dir is not None:
        entry["history"] = save_history(run_dir, weights_dir, name)
    write_manifest_entry(weights_dir, name, entry)
    link = weights_dir / f".{name}.link.weights.h5"
    link.unlink(missing_ok=True)
    os.link(staged, link)
    os.replace(link, target)
    entry["file"] = target.name
    write_manifest_entry(weights_dir, name, entry)
    staged.unlink()
    print(f"exported {target} ({entry['bytes'] / 1e6:.1f} MB, sha256 {entry['sha256'][:12]})", flush=True)
    return entry
