"""Checkpoint and resume: a run directory (``Run``), the checkpoints to resume from (newest first, falling back
past a corrupt one), the parked copy (``--park``) that survives a machine keeping only its git tree.

A run directory looks like::

    runs/cdcgan/
      config.json          the run's arguments and model configs (the checkpoint describes itself)
      ckpt/                tf.train.Checkpoint: nets, optimizers, step, training seconds
      logs/                TensorBoard scalars and sample images
      log.csv              the same scalars as plain data
      eval.csv             validation scores
      samples/step_*.png   fixed-seed sample grid after every checkpoint
      progress.gif         all sample grids, animated

With ``--park DIR`` a compact copy of each checkpoint (``park``/``unpark``) and the logs also go to ``DIR``, a
folder that can be committed, so a run survives a machine that keeps nothing but its git tree.
"""

import hashlib
import itertools
import json
import os
import shutil
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from models import images
from models.uploads import write_atomic
from training.distribute import is_chief
from training.flags import check_resume, is_url
from training.records import read_grid


class Run:
    """A run directory with a resumable checkpoint of ``objects`` (nets, optimizers) and its step counter.

    The step counts the batches trained (``advance`` after each), kept in a checkpointed variable: not an
    optimizer's ``iterations``, which loss scaling under mixed precision leaves behind when it skips a step
    (``--steps 2`` ended at step 1). Checkpoints written before the step variable existed resume from
    ``step_source.iterations``.

    Args:
        out: run directory, or a URL of any ``tf.io.gfile`` file system (``gs://bucket/run``): the run then works in
            a local mirror (``MIRRORS``) that is copied there after every checkpoint, and filled from there when it
            has no checkpoint (a new machine resuming the run).
        config: JSON-able description of the run, saved as ``config.json`` beside the checkpoint.
        step_source: the optimizer whose ``iterations`` was the step of older checkpoints.
        park: optional directory for a compact copy of each checkpoint (see ``--park``), or None.
        objects: trackables to checkpoint, e.g. ``generator=G, discriminator=D, g_optimizer=...``.
    """

    def __init__(self, out, config, step_source, park=None, **objects):
        self.out, self.url = run_folder(out)
        self._pushed = {}
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
            stages = []
            if resuming:  # the run's own flags, except its schedule; its config keeps every command it ran
                check_resume(saved.get("args", {}), config.get("args", {}))
                config = {**config, "commands": saved.get("commands", [saved.get("command")]) + [config.get("command")]}
                stages = saved.get("stages", [])
            if not stages or stages[-1]["command"] != config.get("command"):  # a new stage: another command
                stages = stages + [{"command": config.get("command"), "from_step": None}]  # the step: on restore
            self.config = {**config, "stages": stages}
            (self.out / "samples").mkdir(parents=True, exist_ok=True)
            remove_half_written(self.out, self.park)
            self._write_config()

    def _write_config(self):
        write_atomic(self.out / "config.json", json.dumps(self.config, indent=2, default=str).encode())

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
        """Resume from the latest checkpoint, else from the parked copy (unless ``fresh``); returns the step, which
        the run's config records as where its current command (stage) began."""
        step = self._restore(fresh)
        if self.chief and self.config["stages"][-1]["from_step"] is None:
            self.config["stages"][-1]["from_step"] = step
            self._write_config()
        return step

    def _restore(self, fresh):
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

    def digest(self):
        """A short sha256 of every checkpointed value except the training seconds (each worker's own clock): the
        same on every worker of a run whose replicas trained in lockstep."""
        h = hashlib.sha256()
        for name, v in _park_variables(self.objects):
            if name != "train_seconds":
                h.update(name.encode())
                h.update(np.ascontiguousarray(v.numpy()).tobytes())
        return h.hexdigest()[:16]

    def finish(self):
        """The run reached its last step. A worker other than the chief removes its checkpoint folder: it was
        written only because a save is a collective (every worker resumes from the chief's)."""
        if not self.chief:
            shutil.rmtree(self.manager.directory, ignore_errors=True)

    def save_parked(self):
        """Refresh the parked copy (with ``--park``) and the run's URL, once the step's sample grid and scores are
        written."""
        self.step_var.assign(self.step)
        if self.park and self.chief:
            park(self.objects, self.park, self.out)
        self.sync()

    def sync(self):
        """Copy the files that changed since the last call to the run's URL (the chief's, when it has one); each
        lands under a temporary name first, then is renamed into place."""
        if not self.url or not self.chief:
            return
        for path in sorted(p for p in self.out.rglob("*") if p.is_file()):
            stat = path.stat()
            rel = path.relative_to(self.out).as_posix()
            if self._pushed.get(rel) == (stat.st_size, stat.st_mtime_ns):
                continue
            target = f"{self.url}/{rel}"
            tf.io.gfile.makedirs(target.rsplit("/", 1)[0])
            tf.io.gfile.copy(str(path), target + ".tmp", overwrite=True)
            tf.io.gfile.rename(target + ".tmp", target, overwrite=True)
            self._pushed[rel] = (stat.st_size, stat.st_mtime_ns)


MIRRORS = Path("runs") / "mirror"  # local working copies of runs whose --out is a URL


def remove_half_written(*folders):
    """Remove what a kill left half-written in a run's folders: TensorFlow's unfinished checkpoints
    (``ckpt-N_temp/``) and temporary files (``*.tmp``, ``*.tmp.*``), none of which is ever read. Returns them."""
    removed = []
    for folder in filter(None, folders):
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for path in [*folder.glob("ckpt*/ckpt-*_temp"), *folder.glob("**/*.tmp"), *folder.glob("**/*.tmp.*")]:
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
            removed.append(str(path.relative_to(folder)))
    if removed:
        print(f"removed what an interrupted run left: {', '.join(sorted(removed))}", flush=True)
    return removed


def run_folder(out):
    """``(local folder, URL or None)`` for a run's ``--out``: the folder itself, or for a URL a local mirror in
    ``MIRRORS``, filled from the URL when the mirror has no checkpoint and the URL has one."""
    if not is_url(out):
        return Path(out), None
    url = str(out).rstrip("/")
    local = MIRRORS / "".join(c if c.isalnum() or c in "._-" else "_" for c in url)
    if not checkpoints_newest_first(local / "ckpt") and tf.io.gfile.exists(f"{url}/ckpt"):
        for folder, _, files in tf.io.gfile.walk(url):
            rel = folder[len(url):].strip("/")
            (local / rel).mkdir(parents=True, exist_ok=True)
            for name in files:
                if not name.endswith(".tmp"):
                    tf.io.gfile.copy(f"{folder.rstrip('/')}/{name}", str(local / rel / name), overwrite=True)
        print(f"copied the run from {url} into {local}", flush=True)
    local.mkdir(parents=True, exist_ok=True)
    return local, url


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


def run_stages(run_dir, last_step):
    """The commands that trained a run's weights of step ``last_step``, in order, from its ``config.json``:
    ``[{"steps": "0 to 24,000", "command": ...}, ...]``. A stage that began at or after ``last_step`` played no
    part (an export of the best step, run after it) and is left out; [] when the run has no record."""
    stages = [s for s in saved_config(run_dir).get("stages", []) if s.get("from_step") is not None]
    stages = stages[:1] + [s for s in stages[1:] if s["from_step"] < last_step]
    ends = [s["from_step"] for s in stages[1:]] + [last_step]
    return [{"steps": f"{s['from_step']:,} to {end:,}", "command": s["command"]} for s, end in zip(stages, ends)]


def saved_config(out, park=None):
    """The ``config.json`` a run wrote when it began (in ``out``, else in its ``park`` folder), or {}: what a
    resumed run must keep from its start, such as the model its generator was initialised from."""
    for folder in (out, park):
        if folder and is_url(folder):
            path = f"{str(folder).rstrip('/')}/config.json"
            if tf.io.gfile.exists(path):
                with tf.io.gfile.GFile(path) as f:
                    return json.loads(f.read())
        elif folder and (Path(folder) / "config.json").is_file():
            return json.loads((Path(folder) / "config.json").read_text())
    return {}
