"""Train image GANs at 32 or 64 pixels: DCGAN or SAGAN, on CIFAR-10, faces, or any folder of images.

    python -m training.dcgan --arch dcgan --name dcgan_cifar10 --data ../shared/data/cifar10_jpeg.tar.gz --export
    python -m training.dcgan --arch sagan --name sagan_cifar10 --data ../shared/data/cifar10_jpeg.tar.gz --export
    python -m training.dcgan --arch dcgan --name dcgan_faces64 --image-size 64 --data ../shared/data/faces/train \\
        --export
    python -m training.dcgan --arch dcgan --name my_sprites --data path/to/images   # a few hundred of your own
    python -m training.dcgan eval --name dcgan_faces64 --data ../shared/data/faces/train   # re-score a shipped one

Without ``--data``, CIFAR-10 comes from ``keras.datasets.cifar10``. Every ``--fd-every`` steps the Frechet
distance between 10,000 samples and the training images is measured in SqueezeNet feature space (``eval.csv``,
curves in ``curves.png``), or with ``--frechet-net inception`` in InceptionV3's, the standard FID (its ImageNet
weights are downloaded); the report names the feature network.

DCGAN: Adam 2e-4, beta1 0.5, non-saturating loss, batch norm. SAGAN: spectral normalisation in both nets,
self-attention, hinge loss, two time-scale learning rates (G 1e-4, D 4e-4), Adam beta1 0, beta2 0.9.
"""

import argparse
import io
import json
import os
import tarfile
import time
from pathlib import Path

import cv2
import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from models import BUILDERS, imagegan, images, quality
from models.uploads import write_atomic
from models.weights import DEFAULT_DIR, load_model, read_manifest
from training import checkpoints, distribute, export, flags, inputs, metrics, perceptual, records, trainer
from training.gan import AUGMENTS, GAN

MODULE = "training.dcgan"
ARCHS = {  # d_ratio: D's learning rate over G's (SAGAN's two time-scale update rule)
    "dcgan": {"latent_dim": 100, "loss": "bce", "g_lr": 2e-4, "d_ratio": 1, "beta_1": 0.5, "beta_2": 0.999},
    "sagan": {"latent_dim": 128, "loss": "hinge", "g_lr": 1e-4, "d_ratio": 4, "beta_1": 0.0, "beta_2": 0.9},
}
VAL_HELP = ("held-out real images for the real-vs-real floor (default: the test split of a tarball, or val/ "
            "beside a train/ folder)")
CLASS_INDEX = {name: i for i, name in enumerate(imagegan.CIFAR10_CLASSES)}
FD_SIZE = 96  # images are enlarged to this before SqueezeNet (its receptive fields need more than 32 pixels)
FD_TEST_SIZE = 224  # the final report's distance to the held-out images: SqueezeNet at its ImageNet size


# ---------------------------------------------------------------------------------------------- data

def load_images(data=None, size=32, split="train", limit=None):
    """uint8 (N, size, size, 3): a CIFAR-10 JPEG tarball (``split/<class>/*.jpg``), a folder of images (centre
    squares), or ``keras.datasets.cifar10`` when ``data`` is None."""
    if data is None or str(data).endswith((".tar.gz", ".tgz", ".tar")) or Path(data).is_file():
        return load_labelled(data, size, split, limit)[0]
    return centre_squares(inputs.list_images(Path(data))[:limit], size)


def load_labelled(data=None, size=32, split="train", limit=None):
    """(uint8 images (N, size, size, 3), int32 labels (N,)) of a CIFAR-10 JPEG tarball (``split/<class>/*.jpg``,
    the class folders named as ``imagegan.CIFAR10_CLASSES``; -1 for another name), in a fixed shuffled order, or of
    ``keras.datasets.cifar10`` when ``data`` is None."""
    if data is None:
        (x, y), (xt, yt) = keras.datasets.cifar10.load_data()
        out, labels = (x, y) if split == "train" else (xt, yt)
        out = np.stack([images.centre_square(i, size) for i in out[:limit]]) if size != 32 else out[:limit]
        return out, labels[:limit].reshape(-1).astype("int32")
    path = Path(data)
    if not path.is_file():
        raise flags.BadInput(f"--data {data}: no such file; expected cifar10_jpeg.tar.gz or a folder of images")
    out, labels = [], []
    try:
        with tarfile.open(path) as tar:
            for member in tar:
                parts = Path(member.name).parts  # (..., split, class, file)
                if member.isfile() and len(parts) >= 3 and parts[-3] == split:
                    with Image.open(io.BytesIO(tar.extractfile(member).read())) as im:
                        out.append(images.centre_square(np.asarray(im.convert("RGB")), size))
                    labels.append(CLASS_INDEX.get(parts[-2], -1))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise flags.BadInput(f"--data {data}: not a readable tarball of images ({exc})") from None
    if not out:
        raise flags.BadInput(f"--data {data}: no {split}/<class>/*.jpg images in it")
    # the tarball is sorted by class: in a fixed shuffled order, any first N (--limit, the Frechet reference's
    # first --fd-samples) hold every class
    order = np.random.default_rng(0).permutation(len(out))[:limit]
    return np.stack(out)[order], np.asarray(labels, "int32")[order]


def centre_squares(files, size):
    """uint8 (N, size, size, 3): the centre square of each image file, resized."""
    return np.stack([images.centre_square(img, size) for img in inputs.read_images(files)])


def make_dataset(x, batch_size, seed, labels=None):
    """Endless shuffled batches of (image in [-1, 1], its class label, or 0 without ``labels``), randomly
    mirrored."""
    labels = np.zeros(len(x), "int32") if labels is None else np.asarray(labels, "int32")
    ds = tf.data.Dataset.from_tensor_slices((x, labels)).repeat().shuffle(min(len(x), 20_000), seed=seed)

    def prepare(img, label):
        img = tf.image.random_flip_left_right(tf.cast(img, tf.float32) / 127.5 - 1.0, seed=seed)
        return img, label

    ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------------------------- evaluation

class FrechetMeter:
    """Frechet distance of generated images to a fixed reference set, in the space of ``features`` (a
    ``perceptual.FrechetFeatures``: SqueezeNet here, InceptionV3 with ``--frechet-net inception``)."""

    def __init__(self, reference, features):
        self.features, self.name = features, features.name
        self.reference = metrics.feature_stats(features(reference))

    def distance(self, batch_uint8):
        return round(metrics.frechet_distance(self.features(batch_uint8), self.reference), 2)


def generator_inputs(n, latent_dim, seed, num_classes=0):
    """Noise for ``n`` samples from ``seed``, with the classes 0, 1, ..., 9, 0, ... for a conditional generator."""
    noise = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")
    return [noise, (np.arange(n) % num_classes).astype("int32")] if num_classes else noise


def generate(generator, n, latent_dim, seed, num_classes=0):
    """uint8 samples; a conditional generator's cycle through the classes (``generator_inputs``)."""
    return images.to_uint8(generator.predict(generator_inputs(n, latent_dim, seed, num_classes), batch_size=500,
                                             verbose=0))


def held_out(data, size, n, val=None):
    """Real images the generator never trained on, for the real-vs-real floor: ``val`` if given, else the
    tarball's (or keras') test split, else a ``val/`` folder beside a ``train/`` folder; None if there is none."""
    if val:
        return load_images(val, size, limit=n)
    if data is None or str(data).endswith((".tar.gz", ".tgz", ".tar")):
        return load_images(data, size, "test", n)
    sibling = Path(data).parent / "val"
    return load_images(sibling, size, limit=n) if Path(data).name == "train" and sibling.is_dir() else None


def baselines(meter, x_train, x_held_out, n):
    """The real-vs-real floor (held-out images vs train; left out without held-out images) and a trivial
    baseline (training images blurred by a 5x5 box)."""
    blurred = np.stack([cv2.blur(i, (5, 5)) for i in x_train[:n]])
    out = {"frechet_blurred_train": meter.distance(blurred)}
    if x_held_out is not None:
        out["frechet_real_test_vs_train"] = meter.distance(x_held_out[:n])
        out["frechet_real_images"] = int(min(n, len(x_held_out)))
    return out


# ---------------------------------------------------------------------------------------------- train

def train(args):
    arch = ARCHS[args.arch]
    sagan = args.arch == "sagan"
    g_args = {"image_size": args.image_size, "latent_dim": arch["latent_dim"], "num_feat": args.g_feat,
              "sagan": sagan}
    if args.upsample != "transpose":  # the default stays out of the manifest: shipped entries read as before
        g_args["upsample"] = args.upsample
    d_args = {"image_size": args.image_size, "num_feat": args.d_feat, "sagan": sagan}
    if args.d_deep:  # like --upsample: only when set, so shipped entries read as before
        d_args["deep"] = True
    classes = len(imagegan.CIFAR10_CLASSES) if args.conditional else 0
    if classes:  # class-conditional: conditional batch norm in G, the projection discriminator
        g_args["num_classes"] = d_args["num_classes"] = classes
    out = args.out or Path("runs") / args.name
    strategy = distribute.setup(args)  # first: threads cannot be set once TensorFlow has run anything
    if classes and args.data and not str(args.data).endswith((".tar.gz", ".tgz", ".tar")):
        raise flags.BadInput(f"--data {args.data}: --conditional needs class labels: cifar10_jpeg.tar.gz")
    if args.class_loss and not classes:
        raise flags.BadInput("--class-loss needs --conditional (it reads the projection discriminator's classes)")
    x, y = load_labelled(args.data, args.image_size, "train", args.limit) if classes else \
        (load_images(args.data, args.image_size, "train", args.limit), None)
    with strategy.scope():
        generator = BUILDERS["image_generator"](**g_args)
        discriminator = BUILDERS["image_discriminator"](**d_args)
        averaged = BUILDERS["image_generator"](**g_args)
        distribute.sync_batch_norm(strategy, generator, discriminator)
        gan = GAN(generator, discriminator, latent_dim=arch["latent_dim"], seed=args.seed, loss=arch["loss"],
                  conditional=bool(classes), num_classes=classes or 10,
                  real_label=1.0 if sagan else 0.9, augment=args.augment, class_loss=args.class_loss)
        g_lr = args.lr or arch["g_lr"]
        g_opt = trainer.make_optimizer(args, arch["beta_1"], args.ema, g_lr, arch["beta_2"])
        d_opt = trainer.make_optimizer(args, arch["beta_1"], 0.0, g_lr * arch["d_ratio"], arch["beta_2"])
        gan.compile(g_opt, d_opt, jit_compile=args.jit, steps_per_execution=args.steps_per_execution)
        g_opt.build(generator.trainable_variables)
        d_opt.build(discriminator.trainable_variables)
    config = {"arch": args.arch, "generator": ["image_generator", g_args],
              "discriminator": ["image_discriminator", d_args], "args": vars(args), "command": args.command_line}
    run = checkpoints.Run(out, config, g_opt, park=args.park, generator=generator, discriminator=discriminator,
                          g_optimizer=g_opt, d_optimizer=d_opt)
    if args.fresh:  # a new run: the best of an earlier one in this folder is not this run's
        forget_best(run.out, args.park)
    fixed = np.random.default_rng(1234).standard_normal((80 if classes else 64, arch["latent_dim"])).astype("float32")
    if classes:  # a row of 8 per class
        fixed = [fixed, np.repeat(np.arange(classes), 8).astype("int32")]
    standing = generator_inputs(2048, arch["latent_dim"], 4321, classes)

    def shipped_generator():
        trainer.averaged_copy(g_opt, generator, averaged)
        return trainer.recalibrate_batch_norm(averaged, standing)

    def sample_grid():
        return images.make_grid(images.to_uint8(shipped_generator()(fixed, training=False)), ncol=8)

    features = perceptual.frechet_features(args.frechet_net, args.perceptual_weights, FD_SIZE) \
        if args.fd_every else None
    meter = FrechetMeter(x[:args.fd_samples], features) if features else None

    def eval_fn():
        if meter is None or run.step % args.fd_every:
            return None
        shipped = shipped_generator()
        distance = meter.distance(generate(shipped, args.fd_samples, arch["latent_dim"], 7, classes))
        if args.keep_best:
            keep_if_best(shipped, run.step, distance, run.out, args.park, float(run.train_seconds.numpy()))
        return {"frechet": distance}

    print(f"{args.name} ({args.arch}): G {generator.count_params():,} params, D {discriminator.count_params():,} "
          f"params, {len(x):,} images at {args.image_size}px, batch {args.batch_size}, {args.steps} steps -> {out}",
          flush=True)
    trainer.fit(gan, make_dataset(x, args.batch_size, args.seed, y), run, args, sample_grid, eval_fn)
    if args.export and distribute.is_chief():
        final, steps, best = shipped_generator(), run.step, read_best(run.out, args.park) if args.keep_best else None
        seconds = float(run.train_seconds.numpy())
        if best:
            final.load_weights(best["path"])
            steps, seconds = best["step"], best.get("seconds", seconds)  # the training time to the step exported
            print(f"exporting the generator of step {steps} (Frechet {best['frechet']}, the lowest measured)",
                  flush=True)
        entry = export.export(final, args.name, "image_generator", g_args, args.weights_dir, run.out, task="images",
                              title=args.title or args.name, arch=args.arch,
                              dataset=str(args.data or "keras.datasets.cifar10") + f" ({len(x):,} images)",
                              steps=steps, batch_size=args.batch_size,
                              train_time_s=round(seconds), command=args.command_line,
                              ema=args.ema, **({"classes": list(imagegan.CIFAR10_CLASSES)} if classes else {}),
                              discriminator={"builder": "image_discriminator", "args": d_args,
                                                           "params": int(discriminator.count_params())},
                              **({"selected": {"by": "lowest Frechet distance measured during training",
                                               "step": best["step"], "run_steps": run.step}} if best else {}))
        if meter is not None:
            evaluate(args.name, final, meter, x, args, entry)


BEST = "best.weights.h5"  # with --keep-best: the shipped (averaged) generator of the lowest distance so far


def _best_folders(out, park=None):
    """Where a ``--keep-best`` record lives: the run folder, then the parked one (``--park``)."""
    return [Path(out)] + ([Path(park)] if park else [])


def keep_if_best(generator, step, distance, out, park=None, seconds=None):
    """With ``--keep-best``: if ``distance`` is the lowest measured in this run (``best.json``), save
    ``generator``'s weights as ``best.weights.h5`` (and ``best.json``: step, distance and, if given, the training
    ``seconds`` it took to get there) in the run folder and the parked one, each file under a temporary name and
    then renamed. Returns whether it was kept."""
    best = read_best(out, park)
    if best and best["frechet"] <= distance:
        return False
    for folder in _best_folders(out, park):
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{BEST}.tmp.weights.h5"
        generator.save_weights(tmp)
        os.replace(tmp, folder / BEST)
        record = {"step": int(step), "frechet": float(distance),
                  **({"seconds": round(seconds, 1)} if seconds is not None else {})}
        write_atomic(folder / "best.json", json.dumps(record).encode())
    return True


def forget_best(out, park=None):
    """Remove a ``--keep-best`` record from the run folder and the parked one (``--fresh``)."""
    for folder in _best_folders(out, park):
        for name in ("best.json", BEST):  # the record first: weights without it are never read
            (folder / name).unlink(missing_ok=True)


def read_best(out, park=None):
    """``best.json`` of a ``--keep-best`` run (from its folder, else its parked one) with ``path``, the weights
    beside it; None if there is none yet."""
    for folder in _best_folders(out, park):
        if (folder / "best.json").exists() and (folder / BEST).exists():
            return {**json.loads((folder / "best.json").read_text()), "path": folder / BEST}
    return None


def evaluate(name, generator, meter, x, args, entry):
    """Final and best Frechet distance, beside the real-vs-real floor and the blurred-images baseline, and the
    2-pixel checkerboard of the samples beside the held-out images'."""
    history = records.read_csv(Path(args.out or Path("runs") / args.name) / "eval.csv")
    n = args.fd_samples
    samples = generate(generator, n, entry["args"]["latent_dim"], 7, entry["args"].get("num_classes", 0))
    final = meter.distance(samples)
    real = held_out(args.data, args.image_size, n, args.val)
    result = {"samples": n, "frechet": final, "frechet_feature": meter.name,
              "frechet_best": min([final] + [float(r["frechet"]) for r in history]),
              **baselines(meter, x, real, n), "checkerboard": quality.checkerboard(samples)}
    if real is not None:
        result["checkerboard_real"] = quality.checkerboard(real)
    classes = entry["args"].get("num_classes", 0)
    if JUDGE in read_manifest(args.weights_dir) and entry["args"]["image_size"] == 32:
        result.update(judge_scores(load_model(JUDGE, args.weights_dir), samples,
                                   (np.arange(n) % classes) if classes else None))
    if real is not None and getattr(args, "test_frechet", True):  # the standard setting: the test split, 224 px
        wide = perceptual.frechet_features(args.frechet_net, args.perceptual_weights, FD_TEST_SIZE)
        if wide is not None:
            test = FrechetMeter(real, wide)
            result.update({"frechet_test": test.distance(samples), "frechet_test_feature": wide.name,
                           "frechet_test_real_train": test.distance(x[:n]),
                           "frechet_test_images": int(len(real))})
    entry["metrics"] = {**entry.get("metrics", {}), **result}  # a re-score keeps the others (facecheck's)
    export.write_manifest_entry(args.weights_dir, name, entry)
    print(json.dumps(result), flush=True)
    return result


def evaluate_shipped(args):
    """Re-score a shipped model (``eval``): its generator from ``weights/``, its run's ``eval.csv`` for the
    best distance during training."""
    entry = read_manifest(args.weights_dir)[args.name]
    size = entry["args"]["image_size"]
    args.image_size, args.out = size, args.out or Path(args.weights_dir) / "history" / args.name
    x = load_images(args.data, size, "train", args.limit)
    features = perceptual.frechet_features(args.frechet_net, args.perceptual_weights, FD_SIZE)
    if features is None:
        raise SystemExit("eval needs the Frechet network: pass --perceptual-weights, or --frechet-net inception")
    meter = FrechetMeter(x[:args.fd_samples], features)
    return evaluate(args.name, load_model(args.name, args.weights_dir), meter, x, args, entry)


# ---------------------------------------------------------------------------------------------- judge

JUDGE = "cifar10_judge"
JUDGE_ARGS = {"num_feat": 32, "num_classes": 10, "image_size": 32}


def to_model_range(x):
    return np.asarray(x, np.float32) / 127.5 - 1.0


def judge_dataset(x, y, batch_size, seed):
    """Endless shuffled batches of (image in [-1, 1], label), randomly mirrored and shifted by up to 4 pixels
    (padded by reflection, the usual CIFAR augmentation)."""
    def prepare(img, label):
        img = tf.image.random_flip_left_right(tf.cast(img, tf.float32) / 127.5 - 1.0)
        img = tf.image.random_crop(tf.pad(img, [[4, 4], [4, 4], [0, 0]], mode="REFLECT"), tf.shape(img))
        return img, label
    ds = tf.data.Dataset.from_tensor_slices((x, y)).repeat().shuffle(len(x), seed=seed)
    return ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size, drop_remainder=True) \
        .prefetch(tf.data.AUTOTUNE)


class EpochCheckpoint(keras.callbacks.Callback):
    """A ``tf.train.Checkpoint`` of the classifier and its optimizer after every epoch (TensorFlow writes it
    under a temporary name and then names it in its index), so a killed run resumes at its last whole epoch."""

    def __init__(self, manager, seconds):
        super().__init__()
        self.manager, self.seconds = manager, seconds

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.assign_add(time.time() - self.t0)  # training time, summed over resumes
        self.manager.save(checkpoint_number=epoch + 1)
        print(f"epoch {epoch + 1}: " + " ".join(f"{k}={v:.4f}" for k, v in (logs or {}).items()), flush=True)


def judge_scores(judge, samples, labels=None):
    """What the CIFAR-10 judge (trained on real images only, used in no GAN loss or checkpoint choice) says of
    ``samples``: the share it calls each class, the share it is sure of (probability >= 0.9), and, for the
    ``labels`` a conditional model was asked for, the share recognised as that class, overall and per class."""
    probs, _ = judge.predict(to_model_range(samples), batch_size=500, verbose=0)
    pred = probs.argmax(1)
    out = {"judge_class_histogram": (np.bincount(pred, minlength=10) / len(pred)).round(4).tolist(),
           "judge_confident": round(float((probs.max(1) >= 0.9).mean()), 4)}
    if labels is not None:
        labels = np.asarray(labels)
        out["recognised"] = round(float((pred == labels).mean()), 4)
        out["recognised_per_class"] = [round(float((pred[labels == c] == c).mean()), 4) for c in range(10)]
    return out


def train_judge(args):
    """Train the CIFAR-10 judge on the training split; report its test accuracy; export with ``--export``."""
    distribute.setup(args)
    x, y = load_labelled(args.data, 32, "train", args.limit)
    xt, yt = load_labelled(args.data, 32, "test")
    if (y < 0).any() or (yt < 0).any():
        raise flags.BadInput(f"--data {args.data}: class folders must be named {', '.join(imagegan.CIFAR10_CLASSES)}")
    keras.utils.set_random_seed(args.seed)
    judge = BUILDERS["image_judge"](**JUDGE_ARGS)
    classifier = keras.Model(judge.input, judge.outputs[0])
    steps_per_epoch = len(x) // args.batch_size
    optimizer = keras.optimizers.AdamW(keras.optimizers.schedules.CosineDecay(args.lr, args.epochs * steps_per_epoch),
                                       weight_decay=5e-4)
    classifier.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    optimizer.build(classifier.trainable_variables)
    out = Path(args.out or Path("runs") / JUDGE)
    seconds = tf.Variable(0.0, dtype=tf.float64, trainable=False)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=classifier, optimizer=optimizer, seconds=seconds),
                                         out / "ckpt", 2)
    done = 0
    if manager.latest_checkpoint and not args.fresh:
        manager.checkpoint.restore(manager.latest_checkpoint).expect_partial()
        done = int(optimizer.iterations.numpy()) // steps_per_epoch
        print(f"resumed at epoch {done} from {manager.latest_checkpoint}", flush=True)
    print(f"{JUDGE}: {judge.count_params():,} params, {len(x):,} training images, {args.epochs} epochs -> {out}",
          flush=True)
    if done < args.epochs:
        classifier.fit(judge_dataset(x, y, args.batch_size, args.seed), epochs=args.epochs, initial_epoch=done,
                       steps_per_epoch=steps_per_epoch, callbacks=[EpochCheckpoint(manager, seconds)], verbose=0)
    probs, _ = judge.predict(to_model_range(xt), batch_size=500, verbose=0)
    pred = probs.argmax(1)
    metrics = {"test_accuracy": round(float((pred == yt).mean()), 4),
               "test_accuracy_per_class": [round(float((pred[yt == c] == c).mean()), 4) if (yt == c).any() else None
                                           for c in range(10)],
               "real_test_confident": round(float((probs.max(1) >= 0.9).mean()), 4),
               "test_images": int(len(xt))}
    print(json.dumps(metrics), flush=True)
    if args.export:
        export.export(judge, JUDGE, "image_judge", JUDGE_ARGS, args.weights_dir, task="classifier",
                      title="CIFAR-10 judge (CNN classifier used to score the image GANs)",
                      dataset=str(args.data or "keras.datasets.cifar10") + f" ({len(x):,} images)",
                      steps=args.epochs * steps_per_epoch, batch_size=args.batch_size,
                      train_time_s=round(float(seconds.numpy())), command=args.command_line, metrics=metrics,
                      classes=list(imagegan.CIFAR10_CLASSES))
    return metrics


# ---------------------------------------------------------------------------------------------- CLI

def augment_list(text):
    """``--augment`` 'color,translation' -> ['color', 'translation'] (argparse type)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in AUGMENTS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {', '.join(unknown)}; choose from {', '.join(AUGMENTS)}")
    return names


def main(argv=None):
    parser, sub = flags.cli(MODULE, __doc__)
    p = sub.add_parser("train", help="train a model (the default command)")
    p.add_argument("--arch", choices=sorted(ARCHS), default="dcgan")
    p.add_argument("--name", required=True, help="model name in the manifest, e.g. dcgan_cifar10")
    p.add_argument("--title", help="human title for the model card")
    p.add_argument("--data", help="cifar10_jpeg.tar.gz, or a folder of images; default keras.datasets.cifar10")
    p.add_argument("--image-size", type=int, choices=[32, 64], default=32)
    p.add_argument("--limit", type=int, help="use only the first N training images")
    p.add_argument("--g-feat", type=int, default=64, help="generator width")
    p.add_argument("--d-feat", type=int, default=64, help="discriminator width")
    p.add_argument("--d-deep", action="store_true",
                   help="a 3x3 stride-1 convolution before each stride-2 one in D (SNGAN's standard CNN)")
    p.add_argument("--upsample", choices=imagegan.UPSAMPLERS, default="transpose",
                   help="the generator's upsampling: DCGAN's transposed convolutions, or resize (nearest) then a 3x3 "
                        "convolution, which leaves no 2-pixel checkerboard")
    p.add_argument("--ema", type=float, default=0.999, help="ship this moving average of G's weights (0: off; the last weights until "
                        "3 / (1 - EMA) steps have passed)")
    p.add_argument("--fd-every", type=int, default=2000, help="Frechet distance every N steps (0: off)")
    p.add_argument("--fd-samples", type=int, default=10_000)
    p.add_argument("--keep-best", action="store_true",
                   help="keep the generator of the lowest Frechet distance measured (every --fd-every steps) and "
                        "export that one; a GAN can get worse as its discriminator takes over")
    p.add_argument("--augment", type=augment_list, default=[], metavar="LIST",
                   help="DiffAugment for everything D sees, real and fake: a comma list of "
                        f"{','.join(AUGMENTS)} (data-efficient GANs; may be switched on when a run is resumed)")
    p.add_argument("--conditional", action="store_true",
                   help="class-conditional, as SAGAN's paper built it: conditional batch norm in G, a projection "
                        "discriminator; needs the CIFAR-10 tarball's classes")
    p.add_argument("--class-loss", type=float, default=0.0, metavar="W",
                   help="with --conditional: weight of the dual projection class loss (P2GAN): the projection's class "
                        "embedding as D's classifier of real images and G pushed towards images it names as the class "
                        "asked for; no new weights (0: off; may be switched on when a run is resumed)")
    p.add_argument("--val", help=VAL_HELP)
    perceptual.add_frechet_argument(p)
    perceptual.add_weights_argument(p, "the Frechet distance")
    flags.add_common_args(p, steps=30_000, batch_size=64, ckpt_every=1000, lr=None)
    p = sub.add_parser("eval", help="re-score a shipped model; writes its manifest metrics")
    p.add_argument("--name", required=True, help="model name in the manifest")
    p.add_argument("--data", help="its training images (as for train); default keras.datasets.cifar10")
    p.add_argument("--val", help=VAL_HELP)
    p.add_argument("--limit", type=int, help="use only the first N training images")
    p.add_argument("--fd-samples", type=int, default=10_000)
    p.add_argument("--out", type=Path, help="its run directory, for eval.csv (default: weights/history/NAME)")
    p.add_argument("--no-test-frechet", dest="test_frechet", action="store_false",
                   help="leave out the distance to the held-out images at 224 px (a second SqueezeNet pass)")
    p.add_argument("--weights-dir", type=Path, default=DEFAULT_DIR)
    perceptual.add_frechet_argument(p)
    perceptual.add_weights_argument(p, "the Frechet distance")
    p = sub.add_parser("judge", help="train the CIFAR-10 classifier that scores the image GANs' samples")
    p.add_argument("--data", help="cifar10_jpeg.tar.gz (default keras.datasets.cifar10)")
    p.add_argument("--limit", type=int, help="use only the first N training images")
    p.add_argument("--epochs", type=int, default=30)
    flags.add_common_args(p, steps=1, batch_size=128, ckpt_every=1, lr=2e-3)
    args = flags.parse(parser, MODULE, argv)
    return {"train": train, "eval": evaluate_shipped, "judge": train_judge}[args.command](args)


if __name__ == "__main__":
    flags.run_cli(main)
