"""Train, judge and evaluate the handwritten-digit GANs on MNIST.

    python -m training.digits --variant cdcgan --data ../shared/data/mnist.npz --export   # train (resumes)
    python -m training.digits judge --data ../shared/data/mnist.npz --export               # the digit judge
    python -m training.digits eval --variant cdcgan --data ../shared/data/mnist.npz        # score -> manifest

Without ``--data`` MNIST comes from ``keras.datasets.mnist`` (downloaded once). ``--preset full`` gives the
larger configuration a GPU user would train; the default ``small`` is what ships, sized for a 2-core CPU.
"""

import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from models import BUILDERS, digits, images
from models.weights import DEFAULT_DIR, load_model, read_manifest
from training import checkpoints, distribute, export, flags, trainer
from training.gan import GAN
from training.metrics import frechet_distance

MODULE = "training.digits"
TITLES = {"gan": "GAN (MLP)", "cgan": "Conditional GAN (MLP)", "dcgan": "DCGAN", "cdcgan": "Conditional DCGAN"}
# (generator args, discriminator args) per preset; the generator's args go into the manifest.
PRESETS = {
    "small": {"gan": ({"num_feat": 256}, {"num_feat": 512}), "cgan": ({"num_feat": 256}, {"num_feat": 512}),
              # dcgan: the classic two-layer discriminator left it at 72-73% confident samples; this pair ships
              "dcgan": ({"num_feat": 64, "num_block": 1}, {"num_feat": 64, "num_block": 2}),
              "cdcgan": ({"num_feat": 32}, {"num_feat": 32})},
    "full": {"gan": ({"num_feat": 256}, {"num_feat": 1024}), "cgan": ({"num_feat": 256}, {"num_feat": 1024}),
             "dcgan": ({"num_feat": 128, "num_block": 1}, {"num_feat": 128, "num_block": 2}),
             "cdcgan": ({"num_feat": 64}, {"num_feat": 64})},
}
JUDGE = "digit_judge"
JUDGE_ARGS = {"num_feat": 32, "feature_dim": 128}
EVAL_SAMPLES = 10_000


MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_mnist(path=None):
    """((x_train, y_train), (x_test, y_test)) as uint8 arrays, from an ``mnist.npz`` or keras.datasets. A file
    that is not one (missing, another format, other arrays) is a ``flags.BadInput`` naming ``--data``."""
    if path is None:
        return keras.datasets.mnist.load_data()
    expects = "expected mnist.npz (x_train 28x28 digits 0-255, y_train labels 0-9, x_test, y_test)"
    try:
        with np.load(path, allow_pickle=False) as d:
            if not hasattr(d, "files") or not set(MNIST_KEYS) <= set(d.files):
                raise flags.BadInput(f"--data {path}: not an MNIST file; {expects}")
            x, y, xt, yt = (d[k] for k in MNIST_KEYS)
    except (OSError, ValueError, EOFError) as exc:  # missing, a text or image file, a truncated archive
        reason = "no such file" if isinstance(exc, FileNotFoundError) else "not a readable .npz"
        raise flags.BadInput(f"--data {path}: {reason}; {expects}") from None
    for images_, labels in ((x, y), (xt, yt)):
        if (images_.ndim != 3 or images_.shape[1:] != (28, 28) or labels.shape != images_.shape[:1] or not len(labels)
                or labels.min() < 0 or labels.max() > 9):
            raise flags.BadInput(f"--data {path}: arrays of shapes {images_.shape} and {labels.shape}; {expects}")
    return (x.astype("uint8"), y.astype("uint8")), (xt.astype("uint8"), yt.astype("uint8"))


def dataset_name(path):
    return f"MNIST train, 60,000 digits ({Path(path).name if path else 'keras.datasets.mnist'})"


def to_model_range(x):
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [-1, 1]."""
    return (np.asarray(x, np.float32)[..., None] / 127.5) - 1.0


def make_dataset(x, y, batch_size, seed):
    """Endless shuffled batches of (image in [-1, 1], label)."""
    ds = tf.data.Dataset.from_tensor_slices((to_model_range(x), y.astype("int32")))
    return ds.shuffle(len(x), seed=seed).repeat().batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------------------------- train

def train(args):
    name = args.name or args.variant
    gen_builder, disc_builder, conditional = digits.VARIANTS[args.variant]
    g_extra, d_extra = PRESETS[args.preset][args.variant]
    g_args = {"latent_dim": 100, "conditional": conditional, **g_extra}
    d_args = {"conditional": conditional, **d_extra}
    if args.g_feat:
        g_args["num_feat"] = args.g_feat
    if args.d_feat:
        d_args["num_feat"] = args.d_feat
    if args.d_block is not None:
        if disc_builder != "dcgan_discriminator":
            raise ValueError("--d-block applies to the DCGAN discriminators (dcgan, cdcgan)")
        d_args["num_block"] = args.d_block
    out = args.out or Path("runs") / name
    (x, y), _ = load_mnist(args.data)
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]

    strategy = distribute.setup(args)
    with strategy.scope():
        generator = BUILDERS[gen_builder](**g_args)
        discriminator = BUILDERS[disc_builder](**d_args)
        averaged = BUILDERS[gen_builder](**g_args)  # holds the EMA weights: sampled, evaluated and shipped
        distribute.sync_batch_norm(strategy, generator, discriminator)
        gan = GAN(generator, discriminator, latent_dim=100, conditional=conditional, seed=args.seed)
        gan.compile(trainer.make_optimizer(args, ema=args.ema), trainer.make_optimizer(args), jit_compile=args.jit,
                    steps_per_execution=args.steps_per_execution)
        gan.g_optimizer.build(generator.trainable_variables)
        gan.d_optimizer.build(discriminator.trainable_variables)
    config = {"variant": args.variant, "preset": args.preset, "generator": [gen_builder, g_args],
              "discriminator": [disc_builder, d_args], "args": vars(args), "command": args.command_line}
    run = checkpoints.Run(out, config, gan.g_optimizer, park=args.park, generator=generator,
                          discriminator=discriminator, g_optimizer=gan.g_optimizer, d_optimizer=gan.d_optimizer)
    fixed = digits.sample_inputs(100, 100, conditional, seed=1234)  # 10x10; conditional: one digit per column
    standing = digits.sample_inputs(4096, 100, conditional, seed=4321)

    def shipped_generator():
        trainer.averaged_copy(gan.g_optimizer, generator, averaged)
        return trainer.recalibrate_batch_norm(averaged, standing)

    def sample_grid():
        out_imgs = images.to_uint8(shipped_generator()(fixed, training=False))
        return images.upscale_nearest(images.make_grid(out_imgs, ncol=10), 2)

    print(f"{name}: G {generator.count_params():,} params, D {discriminator.count_params():,} params, "
          f"{len(x):,} images, batch {args.batch_size}, {args.steps} steps -> {out}", flush=True)
    trainer.fit(gan, make_dataset(x, y, args.batch_size, args.seed), run, args, sample_grid)

    if args.export and distribute.is_chief():
        export.export(shipped_generator(), name, gen_builder, g_args, args.weights_dir, run.out, task="digits",
                      title=args.title or (TITLES[args.variant] if name == args.variant  # another name: said
                                           else f"{TITLES[args.variant]} ({name})"),
                      dataset=dataset_name(args.data), steps=run.step,
                      batch_size=args.batch_size, train_time_s=round(float(run.train_seconds.numpy())),
                      command=config["command"], ema=args.ema,
                      discriminator={"builder": disc_builder, "args": d_args,
                                     "params": int(discriminator.count_params())})
        if JUDGE in read_manifest(args.weights_dir):
            evaluate(name, args.data, args.weights_dir)
        else:
            print(f"no {JUDGE} in {args.weights_dir}: train it (`python -m {MODULE} judge --export`) and run "
                  f"`python -m {MODULE} eval --variant {name}` to measure this model", flush=True)


# ---------------------------------------------------------------------------------------------- judge

def train_judge(args):
    (x, y), (xt, yt) = load_mnist(args.data)
    keras.utils.set_random_seed(args.seed)
    judge = digits.digit_judge(**JUDGE_ARGS)
    classifier = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.RandomTranslation(0.08, 0.08, fill_mode="constant", fill_value=-1.0,
                                                                 seed=args.seed),
                                keras.Model(judge.input, judge.outputs[0])])
    steps = args.epochs * (len(x) // args.batch_size)
    classifier.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, steps)),
                    "sparse_categorical_crossentropy", metrics=["accuracy"])
    t0 = time.time()
    classifier.fit(to_model_range(x), y, batch_size=args.batch_size, epochs=args.epochs, verbose=2,
                validation_data=(to_model_range(xt), yt))
    probs, _ = judge.predict(to_model_range(xt), batch_size=1000, verbose=0)
    accuracy = float((probs.argmax(1) == yt).mean())
    print(f"judge test accuracy {accuracy:.4f}", flush=True)
    if args.export:
        metrics = {"test_accuracy": round(accuracy, 4), **real_reference(judge, x, xt, yt)}
        export.export(judge, JUDGE, "digit_judge", JUDGE_ARGS, args.weights_dir, task="classifier",
                      title="Digit judge (CNN classifier used to score the generators)",
                      dataset=dataset_name(args.data), steps=steps, batch_size=args.batch_size,
                      train_time_s=round(time.time() - t0), command=args.command_line, metrics=metrics)


def real_reference(judge, x, xt, yt):
    """What the metrics say of real MNIST: the floor the generators are compared with."""
    probs, feats = judge.predict(to_model_range(xt), batch_size=1000, verbose=0)
    _, train_feats = judge.predict(to_model_range(x[:EVAL_SAMPLES]), batch_size=1000, verbose=0)
    return {"real_test_confident": round(float((probs.max(1) >= 0.9).mean()), 4),
            "real_test_histogram": (np.bincount(yt, minlength=10) / len(yt)).round(4).tolist(),
            "frechet_real_test_vs_train": round(frechet_distance(feats, train_feats), 3)}


# ---------------------------------------------------------------------------------------------- eval

def evaluate(name, data=None, weights_dir=DEFAULT_DIR, n=EVAL_SAMPLES, seed=2024):
    """Score ``name`` with the judge on ``n`` samples and write the metrics into its manifest entry."""
    entry = read_manifest(weights_dir)[name]
    judge, generator = load_model(JUDGE, weights_dir), load_model(name, weights_dir)
    conditional = entry["args"].get("conditional", False)
    inputs = digits.sample_inputs(n, entry["args"]["latent_dim"], conditional, seed=seed)  # labels 0..9 cycling
    samples = images.to_uint8(generator.predict(inputs, batch_size=1000, verbose=0))
    probs, feats = judge.predict(to_model_range(samples), batch_size=1000, verbose=0)
    pred = probs.argmax(1)
    (x, _), _ = load_mnist(data)
    _, real_feats = judge.predict(to_model_range(x[:n]), batch_size=1000, verbose=0)
    metrics = {
        "samples": n,
        "confident": round(float((probs.max(1) >= 0.9).mean()), 4),
        "class_histogram": (np.bincount(pred, minlength=10) / n).round(4).tolist(),
        "frechet": round(frechet_distance(feats, real_feats), 3),
        "frechet_floor": read_manifest(weights_dir)[JUDGE]["metrics"]["frechet_real_test_vs_train"],
    }
    if conditional:
        wanted = np.arange(n) % 10
        metrics["recognised"] = round(float((pred == wanted).mean()), 4)
        metrics["recognised_per_digit"] = [round(float((pred[wanted == d] == d).mean()), 4) for d in range(10)]
    entry["metrics"] = metrics
    entry["eval"] = {"judge": JUDGE, "samples": n, "seed": seed,
                     "command": f"python -m {MODULE} eval --variant {name}" + (f" --data {data}" if data else "")}
    export.write_manifest_entry(weights_dir, name, entry)
    print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in metrics.items() if not isinstance(v, list)), flush=True)
    return metrics


# ---------------------------------------------------------------------------------------------- CLI

def main(argv=None):
    parser, sub = flags.cli(MODULE, __doc__)

    p = sub.add_parser("train", help="train a digit GAN (the default command)")
    p.add_argument("--variant", choices=sorted(digits.VARIANTS), required=True)
    p.add_argument("--name", help="model name in the manifest (default: the variant)")
    p.add_argument("--title", help="its title in the app's menus (default: the variant's, with a --name in brackets)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="small",
                   help="small: ships, sized for a 2-core CPU; full: wider nets for a GPU")
    p.add_argument("--g-feat", type=int, help="generator width (num_feat), overriding the preset's")
    p.add_argument("--d-feat", type=int, help="discriminator width (num_feat), overriding the preset's")
    p.add_argument("--d-block", type=int, help="DCGAN discriminators: 3x3 blocks on the 7x7 map (num_block)")
    p.add_argument("--data", help="path to mnist.npz (default: keras.datasets.mnist)")
    p.add_argument("--limit", type=int, help="use only the first N training images (smoke tests)")
    p.add_argument("--ema", type=float, default=0.999,
                   help="ship the exponential moving average of the generator's weights with this decay "
                        "(0: ship the last weights; before 3 / (1 - decay) steps the last weights are shipped too: "
                        "the average still holds the random start); default %(default)s")
    flags.add_common_args(p, steps=12_000, batch_size=64, ckpt_every=500)

    p = sub.add_parser("judge", help="train the digit classifier that scores the generators")
    p.add_argument("--data", help="path to mnist.npz (default: keras.datasets.mnist)")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--export", action="store_true")
    p.add_argument("--weights-dir", type=Path, default=DEFAULT_DIR)

    p = sub.add_parser("eval", help="score a shipped generator with the judge; writes its manifest metrics")
    p.add_argument("--variant", required=True, help="model name in the manifest")
    p.add_argument("--data", help="path to mnist.npz (default: keras.datasets.mnist)")
    p.add_argument("--samples", type=int, default=EVAL_SAMPLES)
    p.add_argument("--weights-dir", type=Path, default=DEFAULT_DIR)

    args = flags.parse(parser, MODULE, argv)
    if args.command == "train":
        train(args)
    elif args.command == "judge":
        train_judge(args)
    else:
        evaluate(args.variant, args.data, args.weights_dir, args.samples)


if __name__ == "__main__":
    flags.run_cli(main)
