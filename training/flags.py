"""The flags every training CLI shares, their checks, and which of them a resumed run may change."""

import argparse
import math
import shlex
import sys
from pathlib import Path

from models.weights import DEFAULT_DIR


def add_common_args(parser, steps, batch_size, ckpt_every, lr=2e-4):
    """Flags shared by every training CLI; ``steps`` etc. are the family's defaults."""
    g = parser.add_argument_group("run")
    g.add_argument("--out", type=run_location,
                   help="run directory (checkpoints, logs, samples); default runs/NAME. A URL of any tf.io.gfile file "
                        "system (gs://bucket/run) works in a local mirror under runs/mirror, copied there after every "
                        "checkpoint and fetched from there by a machine that has no copy")
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
    g.add_argument("--park", type=local_path, metavar="DIR",
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
    g.add_argument("--steps-per-execution", type=int, default=1, metavar="N",
                   help="run N train steps per call into TensorFlow (small models on a GPU are otherwise bound by "
                        "Python); --steps, --ckpt-every and --log-every must be multiples of N (default 1)")
    g.add_argument("--threads", type=int, default=0,
                   help="CPU threads for TensorFlow ops (0: all cores); 1 lets two runs share a 2-core machine")
    g = parser.add_argument_group("export")
    g.add_argument("--export", action="store_true", help="write the weights and manifest entry when done")
    g.add_argument("--weights-dir", type=local_path, default=DEFAULT_DIR, help="where --export writes")


PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


class BadInput(SystemExit):
    """A flag's value that cannot be used (a missing or unreadable data file, wrong contents): its message is one
    line naming the flag and what it expects. ``run_cli`` ends the command with it and exit status 2, as argparse
    does for a bad flag; elsewhere it is a ``SystemExit`` with that message."""


def run_cli(main):
    """Run a training CLI's ``main`` (its ``__main__``): a ``BadInput`` ends it in one line, exit status 2."""
    try:
        main()
    except BadInput as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise SystemExit(2) from None


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


def is_url(path):
    """True for a URL (``gs://bucket/run``, any ``tf.io.gfile`` scheme), not a folder on this machine."""
    return "://" in str(path)


def local_path(text):
    """An argparse type: a folder on this machine's file system. A URL is refused in one line rather than
    becoming a local folder named ``gs:`` (only ``--out`` may be one: see ``run_location``)."""
    if is_url(text):
        raise argparse.ArgumentTypeError(
            f"{text} is a URL: this folder must be local (--park is meant for git, exports go into the app's "
            "weights/); only --out may be a URL")
    return Path(text)


def run_location(text):
    """An argparse type: a local run folder (a ``Path``), or a URL kept as text (``training.checkpoints.Run``)."""
    return text.rstrip("/") if is_url(text) else Path(text)


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
    for flag in ("steps", "batch_size", "ckpt_every", "log_every", "epochs", "steps_per_execution"):
        value = getattr(args, flag, None)
        if value is not None and value <= 0:
            return f"--{flag.replace('_', '-')} must be a positive whole number, got {value}"
    per_call = getattr(args, "steps_per_execution", None) or 1
    for flag in ("steps", "ckpt_every", "log_every"):
        value = getattr(args, flag, None)
        if value is not None and value % per_call:
            return f"--{flag.replace('_', '-')} ({value}) must be a multiple of --steps-per-execution ({per_call})"
    for flag, value in vars(args).items():  # --lr inf trained to NaN and exported a model of blank images
        if isinstance(value, float) and not math.isfinite(value):
            return f"--{flag.replace('_', '-')} must be a finite number, got {value}"
    lr = getattr(args, "lr", None)
    if lr is not None and not lr > 0:
        return f"--lr must be positive, got {lr}"
    ema = getattr(args, "ema", None)
    if ema is not None and not 0 <= ema < 1:
        return f"--ema must be from 0 (off) to below 1 (a moving average's decay, e.g. 0.999), got {ema}"
    for flag in ("limit", "limit_val", "val_images", "fd_samples", "samples"):
        value = getattr(args, flag, None)
        if value is not None and value <= 0:  # --limit 0 used to mean every image
            return f"--{flag.replace('_', '-')} must be a positive whole number (leave it out for all), got {value}"
    decay, steps = getattr(args, "decay_steps", None), getattr(args, "steps", None)
    if decay is not None and not 0 <= decay <= (steps or decay):
        return f"--decay-steps must be from 0 to --steps ({steps}), got {decay}"
    if getattr(args, "threads", 0) < 0:
        return f"--threads must be 0 (all cores) or more, got {args.threads}"
    return None


# Flags a resumed run may change: how long and how often, where to write, the hardware. Anything else (the
# architecture, the data, the losses, the batch) would make the checkpoint mean something else. DiffAugment
# (``augment``) changes no variable: it is the remedy for a discriminator that has learnt its photos by heart,
# which shows only once a run has gone on for a while.
RESUME_FLAGS = {"steps", "decay_steps", "lr", "ckpt_every", "log_every", "fd_every", "export", "weights_dir", "out",
                "park", "fresh", "threads", "strategy", "jit", "steps_per_execution", "title", "command_line",
                "command", "val", "val_images", "drawings", "no_perceptual_eval", "frechet_net", "perceptual_weights",
                "limit_val", "cache", "keep_best", "augment", "class_loss"}


SAME_VARIABLES = {"float32", "mixed_bfloat16"}  # precisions whose checkpoints hold the same variables


def check_resume(saved, args):
    """Exit with a one-line message naming the first flag (other than ``RESUME_FLAGS``) whose value differs
    between the run's saved arguments and this command's."""
    for key in sorted(set(saved) | set(args)):
        if key in RESUME_FLAGS or key not in saved or key not in args:
            continue
        old, new = saved[key], args[key]
        if key == "precision" and {str(old), str(new)} <= SAME_VARIABLES:
            continue  # the same checkpoint either way (no loss scale): bfloat16 on a CPU or GPU that has it
        if key == "ema" and old and new:
            continue  # a longer or shorter average of the same weights: the same variables, the same trajectory
        if str(old) != str(new):
            flag = "--" + key.replace("_", "-")
            old, new = ("not given" if v is None else v for v in (old, new))
            raise SystemExit(f"{flag} was {old} when this run began, not {new}: resume with the run's own {flag}, "
                             "or pass --fresh (or another --out) to start a new run")
