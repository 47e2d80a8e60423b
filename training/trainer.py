"""The training loop every family shares: the ``TrainerModel`` base, Adam with loss scaling and EMA, the exported
copy's weights (moving average, batch-norm statistics), the learning-rate decay, and ``fit``: chunks of
``--ckpt-every`` steps, each ending with a checkpoint, a sample grid, scores and a log line; SIGTERM and Ctrl-C
stop between two steps with the work saved."""

import contextlib
import csv
import io
import math
import signal
import threading
import time

import keras
import numpy as np
import tensorflow as tf

from models import images
from models.uploads import write_atomic
from training.distribute import precision
from training.export import clean_stale
from training.records import write_progress_gif


def widen_csv(path, columns):
    """The columns of the CSV file ``path`` (created with the header ``columns`` if there is none yet), first
    widened with those of ``columns`` it lacks (a stage resumed with more logs, e.g. a class loss), the earlier rows
    left empty there; atomic."""
    rows = []
    if path.exists():
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    header = rows[0] if rows else []
    missing = [c for c in columns if c not in header]
    if missing:
        header = header + missing
        text = io.StringIO()
        csv.writer(text).writerows([header] + [r + [""] * (len(header) - len(r)) for r in rows[1:]])
        write_atomic(path, text.getvalue().encode())
    return header


class TrainerModel(keras.Model):
    """Base of the families' trainers (``GAN``, ``SRGAN``, ``Pix2Pix``), in the keras-io style: a ``keras.Model``
    over already-built functional nets whose ``train_step`` each family writes with its own losses. The base
    owns what they share: the two optimizers (``compile``), the loss objects, a gradient step with loss scaling
    (``descend``), the loss trackers named as the logs (``track``, ``record``) and the logs Keras expects.

    Losses are each replica's share of the global batch's mean (Keras loss objects divide by the replica count,
    and the optimizers sum the replicas' gradients), so ``record`` multiplies them back for the logs. Noise is the
    family's own (``GAN.noise`` folds the replica id into its seed); the step counter, checkpoints and exported
    copies live in ``training.checkpoints`` and ``averaged_copy``/``recalibrate_batch_norm``.

    Two Keras 3 workarounds make ``--strategy multiworker`` work (keras-team/keras#20585): ``fit`` would
    "symbolically build" the model by reducing the first data batch across workers, which fails, and it
    mean-reduces the step's logs along axis 0, which fails for scalars (``logs`` hands them over as (1,)).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        return

    def compile(self, g_optimizer, d_optimizer=None, **kwargs):
        """The generator's and the discriminator's optimizers (``make_optimizer``); ``kwargs`` go to Keras
        (``jit_compile``, ``steps_per_execution``)."""
        super().compile(**kwargs)
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
        self.mae = keras.losses.MeanAbsoluteError()
        self.mse = keras.losses.MeanSquaredError()

    def track(self, *names):
        """Keep a mean of each of ``names`` over the logging interval (the keys ``train_step`` returns)."""
        self.trackers = {n: keras.metrics.Mean(name=n) for n in names}

    @property
    def metrics(self):
        """The loss trackers: ``self.trackers`` (name -> ``keras.metrics.Mean``), reset by Keras every epoch."""
        return list(getattr(self, "trackers", {}).values())

    @staticmethod
    def descend(tape, scaled_loss, optimizer, net):
        """One step of ``optimizer`` on ``net`` down the gradient of ``scaled_loss`` (``optimizer.scale_loss`` of
        the loss, taken inside ``tape``: float16 loss scaling; the identity otherwise)."""
        grads = tape.gradient(scaled_loss, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables))

    def record(self, losses, logits=None):
        """Update the trackers with ``losses`` (replica shares, multiplied back by the replica count) and, for
        each ``{name: logits}``, the discriminator's mean probability; returns the logs."""
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        for name, value in losses.items():
            self.trackers[name].update_state(value * replicas)
        for name, value in (logits or {}).items():
            self.trackers[name].update_state(tf.reduce_mean(tf.sigmoid(tf.cast(value, "float32"))))
        return self.logs()

    def logs(self):
        """The metrics' results, as ``train_step`` should return them."""
        results = {m.name: m.result() for m in self.metrics}
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            results = {k: tf.reshape(v, [1]) for k, v in results.items()}
        return results


def make_optimizer(args, beta_1=0.5, ema=0.0, learning_rate=None, beta_2=0.999):
    """Adam from the flags (``learning_rate``, e.g. a schedule, replaces ``--lr``); ``ema`` > 0 also keeps an
    exponential moving average of the weights it trains; float16 compute adds loss scaling (bfloat16 has
    float32's range and needs none)."""
    opt = keras.optimizers.Adam(learning_rate or args.lr, beta_1=beta_1, beta_2=beta_2, use_ema=ema > 0,
                                ema_momentum=ema or 0.99)
    return keras.optimizers.LossScaleOptimizer(opt) if precision(args) == "mixed_float16" else opt


EMA_WARMUP_HORIZONS = 3  # the average is used once it has run this many of its horizons, 1 / (1 - decay)


def ema_ready(decay, steps):
    """Whether a moving average of decay ``decay`` is worth shipping after ``steps`` steps: Keras' average has
    no warm-up, so after fewer than 3 / (1 - decay) steps (3,000 at 0.999) it still holds much of the first
    step's nearly random weights (a 600-step trial with 0.999 painted noise: 10% of its digits recognised)."""
    return steps >= round(EMA_WARMUP_HORIZONS / (1.0 - decay))


def averaged_copy(optimizer, model, target):
    """Load ``target`` (same architecture as ``model``) with the optimizer's moving average of ``model``'s
    weights, or its plain weights without EMA or before the average is ready (``ema_ready``); ``model`` keeps
    its own weights. Returns ``target``."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    if not inner.use_ema or not ema_ready(inner.ema_momentum, int(np.asarray(inner.iterations.numpy()))):
        target.set_weights(model.get_weights())
        return target
    online = [v.numpy() for v in model.trainable_variables]
    inner.finalize_variable_values(model.trainable_variables)  # model <- EMA (no-op without use_ema)
    target.set_weights(model.get_weights())
    for v, value in zip(model.trainable_variables, online):
        v.assign(value)
    return target


def recalibrate_batch_norm(model, inputs):
    """Recompute every BatchNormalization layer's moving statistics (the one inside a conditional batch norm
    too) from one large batch of ``inputs`` ("standing statistics"): averaged weights need statistics of their
    own."""
    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)] + [
        layer.norm for layer in model.layers if isinstance(getattr(layer, "norm", None), keras.layers.BatchNormalization)]
    momenta = [bn.momentum for bn in bns]
    for bn in bns:
        bn.momentum = 0.0  # the moving statistics become exactly this batch's
    model(inputs, training=True)
    for bn, m in zip(bns, momenta):
        bn.momentum = m
    return model


class RunCallback(keras.callbacks.Callback):
    """Logs scalars, saves a checkpoint and a fixed-seed sample grid every ``ckpt_every`` steps (and at the last
    step), and a progress GIF at the end.

    The checkpoints fall on multiples of ``ckpt_every`` even when a run resumed between two of them (a SIGTERM
    saves mid-chunk), so the evaluations that ``eval_fn`` schedules by step still happen. ``sample_fn()``
    returns a uint8 grid of the current model's samples; the optional ``eval_fn()`` returns a dict of
    validation metrics, logged beside the losses and appended to ``eval.csv``.
    """

    def __init__(self, run, sample_fn, log_every, total_steps, eval_fn=None, ckpt_every=None):
        super().__init__()
        self.run, self.sample_fn, self.log_every, self.total_steps = run, sample_fn, log_every, total_steps
        self.ckpt_every = ckpt_every or total_steps
        self.eval_fn = eval_fn
        self.writer = tf.summary.create_file_writer(str(run.out / "logs")) if run.chief else None
        self.csv_path = run.out / "log.csv"
        self.columns = {}  # CSV path -> its header, read once (``widen_csv``), not at every row
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
        chunk_end = step % self.ckpt_every == 0 or step >= self.total_steps
        if step % self.log_every == 0 or chunk_end:  # before anything is logged or saved
            check_finite(step, logs)
        if step % self.log_every == 0 and self.run.chief:
            self._record(self.csv_path, step, {k: float(v) for k, v in (logs or {}).items()})
        if step >= self.total_steps:  # --steps not a multiple of --ckpt-every: end inside the chunk
            self.model.stop_training = True
        if chunk_end:
            self._chunk_end(step, logs)

    def _record(self, path, step, values):
        """Scalars to TensorBoard and a row of the CSV file ``path``."""
        with self.writer.as_default(step=step):
            for k, v in values.items():
                tf.summary.scalar(k, v)
        row = {"step": step, "seconds": round(float(self.run.train_seconds.numpy()), 1),
               **{k: f"{v:.7g}" for k, v in values.items()}}
        columns = self.columns.get(path)
        if columns is None or not set(row) <= set(columns):
            columns = self.columns[path] = widen_csv(path, list(row))
        with open(path, "a", newline="") as f:
            csv.writer(f).writerow([row.get(c, "") for c in columns])

    def _chunk_end(self, step, logs):
        """Checkpoint, sample grid, evaluation and park at ``step``. Keras's epochs (``ckpt_every`` steps each,
        counted from where the run resumed) only pace ``fit``; this runs on the step count itself."""
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
            self.run.sync()


class NonFiniteLoss(Exception):
    """Training diverged: a loss is NaN or infinite."""


def check_finite(step, logs):
    """Raise ``NonFiniteLoss`` if a logged value is NaN or infinite (the metrics are means over the chunk, so
    one bad step since the last checkpoint shows)."""
    bad = {k: float(v) for k, v in (logs or {}).items() if not math.isfinite(float(v))}
    if bad:
        raise NonFiniteLoss(f"step {step}: " + ", ".join(f"{k}={v}" for k, v in bad.items()))


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
    if getattr(args, "export", False) and getattr(args, "name", None):
        clean_stale(args.weights_dir, args.name)  # what an interrupted export of this model left
    start = run.restore(args.fresh)
    chunks = -(-args.steps // args.ckpt_every)
    if start >= args.steps:
        print(f"already at step {start} >= --steps {args.steps}; nothing to train", flush=True)
        return
    callbacks = [RunCallback(run, sample_fn, args.log_every, args.steps, eval_fn, args.ckpt_every)] + ([decay] if decay else [])
    with _interrupt_on_sigterm():
        try:
            model.fit(dataset, epochs=chunks, steps_per_epoch=args.ckpt_every,
                      initial_epoch=start // args.ckpt_every, callbacks=callbacks, shuffle=False, verbose=0)
        except NonFiniteLoss as exc:  # diverged: keep the last good checkpoint, export nothing
            raise SystemExit(f"training diverged at {exc} (not finite): stopped without saving or exporting; the "
                             f"last checkpoint in {run.out} is kept. Lower --lr (or check the data) and run again, "
                             "with --fresh to start over") from None
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (a scheduler, `kill`): keep the work done, in one line
            run.save()
            run.save_parked()
            print(f"stopped at step {run.step}: checkpoint saved in {run.out}; run the same command to go on",
                  flush=True)
            raise SystemExit(130) from None
    if isinstance(model.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
        print(f"worker finished at step {run.step}, weights digest {run.digest()}", flush=True)  # same on all
    run.finish()


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
