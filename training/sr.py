"""Train and evaluate the x4 super-resolution models: SRResNet (PSNR-oriented), then SRGAN on top of it.

    # stage 1: PSNR pre-training (L1), exported as `srresnet`
    python -m training.sr --stage pretrain --name srresnet --data ../shared/data/sr/train \\
        --val ../shared/data/sr/val --export
    # stage 2: SRGAN fine-tuning from the exported srresnet (perceptual + adversarial), exported as `srgan`
    python -m training.sr --stage gan --init srresnet --name srgan --data ../shared/data/sr/train \\
        --val ../shared/data/sr/val --export
    # the standard protocol on any folder of HR images (Set5, Set14, BSD100, Urban100, ...)
    python -m training.sr eval --model srresnet --data path/to/Set14

LR images are made from HR crops by antialiased bicubic x4, rounded to 8 bits. ``--preset full`` is the
SRResNet of the paper (16 blocks x 64 channels, batch norm, progressive sub-pixel upsampling) for a GPU.
"""

import json
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from models import BUILDERS, images, sr
from models.weights import DEFAULT_DIR, load_model, read_manifest
from training import checkpoints, datasets, degrade, distribute, export, flags, inputs, perceptual, trainer
from models.quality import mesh_score, psnr_y, ssim_y

MODULE = "training.sr"
PRESETS = {
    "small": {"num_feat": 48, "num_block": 8, "upscale": 4, "upsampler": "direct", "bicubic_skip": True},
    # 3.3x small's compute; 256 -> 1024 in 0.12 s bfloat16 / 0.67 s float32 here (small: 0.10 / 0.22 s, same run)
    "medium": {"num_feat": 64, "num_block": 16, "upscale": 4, "upsampler": "direct", "bicubic_skip": True},
    "full": {"num_feat": 64, "num_block": 16, "upscale": 4, "upsampler": "progressive", "bicubic_skip": True,
             "batch_norm": True},
}


# ---------------------------------------------------------------------------------------------- data

def make_dataset(paths, hr_size, batch_size, seed, scale=4, degradation="bicubic", upload_share=0.5,
                 cache="memory"):
    """Endless (LR, HR) float batches in [0, 1]: random HR crops, randomly flipped and rotated by multiples of
    90 degrees; LR by antialiased bicubic, rounded to 8 bits like a real image (``degradation="bicubic"``), or
    by ``degrade.realworld`` (``"realworld"``: blur, resizes, noise, JPEG, once or twice), with
    ``degrade.upload`` (bicubic, sensor noise on half, JPEG at quality 30 to 95) for ``upload_share`` of the
    crops, so that mildly degraded photos, the most common upload, are not over-sharpened or over-smoothed.

    ``paths``: image files at least ``hr_size`` on both sides (``inputs.list_images``), decoded by tf.data and
    kept decoded (``cache="memory"``) or decoded again on each visit (``"none"``: data larger than RAM). Every
    step is a TensorFlow op: no Python generator (``from_generator`` sets a low malloc trim threshold that made
    each training step about 40% slower here).
    """
    ds = tf.data.Dataset.zip(inputs.shuffled_images(paths, seed, cache), tf.data.Dataset.random(seed=seed).batch(3))

    def crop(photo, seeds):
        hr = tf.image.stateless_random_crop(photo, (hr_size, hr_size, 3), seed=[seeds[0], 0])
        hr = tf.image.stateless_random_flip_left_right(hr, seed=[seeds[1], 0])
        return tf.image.rot90(hr, k=tf.cast(seeds[2] % 4, tf.int32))

    def bicubic(hr):
        hr = tf.cast(hr, tf.float32)
        lr = tf.image.resize(hr, (hr_size // scale, hr_size // scale), method="bicubic", antialias=True)
        return tf.clip_by_value(tf.round(lr), 0, 255) / 255.0, hr / 255.0

    if degradation == "bicubic":
        ds = ds.map(crop, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size, drop_remainder=True)
        return ds.map(bicubic, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

    def realworld(hr, seed):
        hr = tf.cast(hr, tf.float32)
        mild = tf.cast(seed[1] % 1000, tf.float32) < 1000.0 * upload_share
        lr = tf.cond(mild, lambda: degrade.upload(hr, seed, scale, {"noise_sigma": (1.0, 15.0), "jpeg_range": (30, 95)}),
                     lambda: degrade.realworld(hr, seed, scale))
        lr = tf.ensure_shape(tf.reshape(lr, (hr_size // scale, hr_size // scale, 3)), (hr_size // scale,) * 2 + (3,))
        return tf.clip_by_value(tf.round(lr), 0, 255) / 255.0, hr / 255.0

    ds = ds.map(crop, num_parallel_calls=tf.data.AUTOTUNE)
    ds = tf.data.Dataset.zip(ds, tf.data.Dataset.random(seed=seed + 1).batch(2))
    ds = ds.map(realworld, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------------------------- model

def grid_frequency_loss(sr_img, hr, scale=4, size=32):
    """Mean amplitude of the error (SR - HR, luma) at the frequencies of the upsampler's ``scale``-pixel grid
    (multiples of 1/scale cycles per pixel, but not zero), over ``size``x``size`` blocks, per pixel.

    A sub-pixel (pixel shuffle) upsampler can put a pattern on exactly these frequencies (a mesh of dots on
    smooth areas, a crackle on fur) that the pixel, perceptual and adversarial losses barely notice; real photos
    have no peak there, so the error at these bins is the mesh. Images must be multiples of ``size``.
    """
    d = tf.tensordot(sr_img - hr, tf.constant([0.299, 0.587, 0.114]), axes=1)  # (B, H, W)
    h, w = tf.shape(d)[1] // size, tf.shape(d)[2] // size
    blocks = tf.reshape(tf.transpose(tf.reshape(d, [-1, h, size, w, size]), [0, 1, 3, 2, 4]), [-1, size, size])
    spectrum = tf.signal.fft2d(tf.complex(blocks, tf.zeros_like(blocks)))
    step = size // scale
    bins = [(i * step, j * step) for i in range(scale) for j in range(scale) if i or j]
    picked = tf.gather_nd(tf.transpose(spectrum, [1, 2, 0]), bins)  # (bins, blocks)
    return tf.reduce_mean(tf.abs(picked)) / float(size * size)


class SRGAN(trainer.TrainerModel):
    """SR training: ``gan=False`` is PSNR pre-training (L1 only); ``gan=True`` adds a perceptual loss on
    pretrained features and the SRGAN adversarial loss.

    Args:
        generator: LR -> SR model.
        discriminator: HR -> logit (gan only).
        features: frozen feature extractor returning a list of maps (gan only).
        w_pixel, w_perceptual, w_adversarial: loss weights.
        pixel_loss: ``"l1"`` (mean absolute error, the default) or ``"l2"`` (mean squared error: the conditional
            mean, what PSNR rewards where the input leaves the detail uncertain).
        w_grid: weight of ``grid_frequency_loss`` (0: off), against the sub-pixel upsampler's mesh texture.
    """

    def __init__(self, generator, discriminator=None, features=None, gan=False, w_pixel=1.0, w_perceptual=1.0,
                 w_adversarial=5e-3, w_grid=0.0, pixel_loss="l1", **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator, self.features, self.gan = generator, discriminator, features, gan
        self.w_pixel, self.w_perceptual, self.w_adversarial = w_pixel, w_perceptual, w_adversarial
        self.w_grid = w_grid
        if pixel_loss not in ("l1", "l2"):
            raise ValueError(f"pixel_loss must be l1 or l2, got {pixel_loss!r}")
        self.pixel_loss = pixel_loss
        names = ["g_loss", "pixel"] + (["grid"] if w_grid else []) + \
            (["perceptual", "adversarial", "d_loss", "d_real", "d_fake"] if gan else [])
        self.track(*names)

    def generator_losses(self, lr, hr):
        """Total generator loss and its parts: pixel (L1 or L2), grid-frequency (if weighted), perceptual, adversarial."""
        sr_img = self.generator(lr, training=True)
        pixel = (self.mae if self.pixel_loss == "l1" else self.mse)(hr, sr_img)
        total, parts = self.w_pixel * pixel, {"pixel": pixel}
        if self.w_grid:
            parts["grid"] = grid_frequency_loss(tf.cast(sr_img, tf.float32), hr)
            total += self.w_grid * parts["grid"]
        if not self.gan:
            return total, parts
        perceptual = tf.add_n([self.mae(a, b) for a, b in zip(self.features(hr), self.features(sr_img))])
        fake_logits = self.discriminator(sr_img, training=True)
        adversarial = self.bce(tf.ones_like(fake_logits), fake_logits)
        total += self.w_perceptual * perceptual + self.w_adversarial * adversarial
        return total, {**parts, "perceptual": perceptual, "adversarial": adversarial}

    def train_step(self, data):
        lr, hr = data
        losses, logits = {}, {}
        if self.gan:
            sr_img = self.generator(lr, training=False)
            with tf.GradientTape() as tape:
                real_logits = self.discriminator(hr, training=True)
                fake_logits = self.discriminator(sr_img, training=True)
                d_loss = (self.bce(tf.ones_like(real_logits), real_logits)
                          + self.bce(tf.zeros_like(fake_logits), fake_logits))
                scaled = self.d_optimizer.scale_loss(d_loss)
            self.descend(tape, scaled, self.d_optimizer, self.discriminator)
            losses, logits = {"d_loss": d_loss}, {"d_real": real_logits, "d_fake": fake_logits}
        with tf.GradientTape() as tape:
            g_loss, parts = self.generator_losses(lr, hr)
            scaled = self.g_optimizer.scale_loss(g_loss)
        self.descend(tape, scaled, self.g_optimizer, self.generator)
        return self.record({"g_loss": g_loss, **parts, **losses}, logits)


# ---------------------------------------------------------------------------------------------- evaluation

def evaluate_pairs(upscale_fn, pairs, scale=4, features=None):
    """Score ``upscale_fn(lr_uint8) -> sr_uint8`` on (LR, HR) uint8 pairs: per pair, Y-PSNR/SSIM of the model
    and of bicubic against HR. With ``features`` (a feature extractor), also the mean L1 feature distance to HR
    ("perceptual distance", lower is closer to the real photo).
    """
    rows = []
    for lr, hr in pairs:
        out, bic = upscale_fn(lr), sr.bicubic_upscale(lr, scale)
        row = {"psnr": psnr_y(out, hr, scale), "ssim": ssim_y(out, hr, scale),
               "bicubic_psnr": psnr_y(bic, hr, scale), "bicubic_ssim": ssim_y(bic, hr, scale),
               "mesh": mesh_score(out, bic, scale), "hr_mesh": mesh_score(hr, bic, scale)}
        if features is not None:
            f_hr, f_out, f_bic = (features(x[None].astype("float32") / 255.0) for x in (hr, out, bic))
            row["perceptual"] = float(np.mean([np.abs(a - b).mean() for a, b in zip(f_hr, f_out)]))
            row["bicubic_perceptual"] = float(np.mean([np.abs(a - b).mean() for a, b in zip(f_hr, f_bic)]))
        rows.append(row)
    return rows


def clean_pairs(hr_images, scale=4):
    """The standard protocol's pairs: HR cropped to a multiple of ``scale``, LR by antialiased bicubic."""
    return [sr.downscale(hr, scale) for hr in hr_images]


def upload_pairs(hr_images, scale=4):
    """The degraded ("upload") copy of a folder: ``degrade.upload`` with seed (2026, index)."""
    return degrade.degraded_pairs(hr_images, "upload", seed=DEGRADED_SEED, scale=scale)


DEGRADED_SEED = 2026
BF16_MAX_LOSS_DB = 0.02


def summarise(rows):
    out = {k: round(float(np.mean([r[k] for r in rows])), 4) for k in rows[0]}
    out["images"] = len(rows)
    out["gain_db"] = round(out["psnr"] - out["bicubic_psnr"], 3)
    out["worst_gain_db"] = round(min(r["psnr"] - r["bicubic_psnr"] for r in rows), 3)
    out["images_above_bicubic"] = sum(r["psnr"] > r["bicubic_psnr"] for r in rows)
    return out


def generator_upscale_fn(generator):
    @tf.function(reduce_retracing=True, autograph=False)
    def run(x):
        return generator(x, training=False)

    def fn(lr):
        out = run(lr[None].astype("float32") / 255.0)[0].numpy()
        return np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)
    return fn


# ---------------------------------------------------------------------------------------------- train

def train(args):
    args.data, args.val = datasets.resolve(args.data), datasets.resolve(args.val)
    g_args = dict(PRESETS[args.preset])
    out = args.out or Path("runs") / args.name
    strategy = distribute.setup(args)  # first: threads cannot be set once TensorFlow has run anything
    photos = inputs.list_images(args.data, min_size=args.hr_size)
    val = list(inputs.read_images(inputs.list_images(args.val)[:args.val_images])) if args.val else []
    gan = args.stage == "gan"
    with strategy.scope():
        generator = BUILDERS["sr_generator"](**g_args)
        init_model = export.start_from(generator, args, g_args, out)
        d_args = {"num_feat": args.d_feat}
        discriminator = BUILDERS["sr_discriminator"](**d_args) if gan else None
        features = None
        if gan:
            features = perceptual.vgg19() if args.perceptual == "vgg19" else \
                perceptual.squeezenet(weights=args.perceptual_weights)
        distribute.sync_batch_norm(strategy, *[m for m in (generator, discriminator) if m is not None])
        model = SRGAN(generator, discriminator, features, gan=gan, w_perceptual=args.w_perceptual,
                      w_adversarial=args.w_adversarial, w_grid=args.w_grid, pixel_loss=args.pixel_loss)
        schedule = keras.optimizers.schedules.CosineDecay(args.lr, args.steps, alpha=0.05)
        g_opt = trainer.make_optimizer(args, beta_1=0.9, learning_rate=schedule)
        d_opt = trainer.make_optimizer(args, beta_1=0.9) if gan else None
        model.compile(g_opt, d_opt, jit_compile=args.jit, steps_per_execution=args.steps_per_execution)
        g_opt.build(generator.trainable_variables)
        if gan:
            d_opt.build(discriminator.trainable_variables)
    config = {"stage": args.stage, "generator": ["sr_generator", g_args], "args": vars(args),
              "command": args.command_line, "init_model": init_model}
    objects = {"generator": generator, "g_optimizer": g_opt}
    if gan:
        objects.update(discriminator=discriminator, d_optimizer=d_opt)
    run = checkpoints.Run(out, config, g_opt, park=args.park, **objects)
    upscale_fn = generator_upscale_fn(generator)
    make_pairs = clean_pairs if args.degradation == "bicubic" else upload_pairs
    shown = make_pairs([v[:192, :192] for v in val[:4]] or [next(inputs.read_images(photos[:1]))[:96, :96]])
    val_pairs = make_pairs(val)

    def sample_grid():
        rows = []
        for lr, hr in shown:
            rows += [images.upscale_nearest(lr, 4), upscale_fn(lr), hr]
        return images.make_grid(np.stack(rows), ncol=3)  # LR (pixelated) | SR | HR

    def eval_fn():  # on degraded val photos for a real-world model
        s = summarise(evaluate_pairs(upscale_fn, val_pairs))
        return {"val_psnr": s["psnr"], "val_bicubic_psnr": s["bicubic_psnr"], "val_gain_db": s["gain_db"],
                "val_mesh": s["mesh"]}

    print(f"{args.name} ({args.stage}): G {generator.count_params():,} params, {len(photos)} photos, "
          f"{args.hr_size}px crops, batch {args.batch_size}, {args.steps} steps -> {out}", flush=True)
    trainer.fit(model, make_dataset(photos, args.hr_size, args.batch_size, args.seed, degradation=args.degradation,
                                    upload_share=args.upload_share, cache=args.cache),
                run, args, sample_grid,
                eval_fn if val else None)
    if args.export and distribute.is_chief():
        entry = export.export(generator, args.name, "sr_generator", g_args, args.weights_dir, run.out, task="sr",
                              title=args.title or args.name, dataset=f"{args.data} ({len(photos)} photos)",
                              steps=run.step, batch_size=args.batch_size, hr_size=args.hr_size,
                              train_time_s=round(float(run.train_seconds.numpy())), command=args.command_line,
                              stage=args.stage, init=args.init, init_model=init_model,
                              degradation=args.degradation + (f" ({args.upload_share:g} of crops: upload recipe)"
                                                               if args.degradation == "realworld" else ""),
                              loss={f"pixel_{args.pixel_loss}": 1.0, **({"perceptual": args.w_perceptual,
                                                          "adversarial": args.w_adversarial} if gan else {}),
                                    **({"grid": args.w_grid} if args.w_grid else {})})
        if val:
            evaluate(args.name, args.val, args.weights_dir, limit=args.val_images, entry=entry,
                     perceptual_weights=args.perceptual_weights if args.perceptual_eval else None)


def evaluate(name, folder, weights_dir=DEFAULT_DIR, limit=None, entry=None, perceptual_weights=None):
    """Score model ``name`` on a folder of HR images, on clean bicubic reductions (``metrics``, the standard
    protocol) and on the degraded "upload" copy (``metrics_degraded``); writes both into its manifest entry.

    With ``perceptual_weights`` (the SqueezeNet HDF5 file) the SqueezeNet feature distance is measured too.
    """
    entry = entry or read_manifest(weights_dir)[name]
    hr_images = list(inputs.read_images(inputs.list_images(folder)[:limit]))
    features = None
    path = perceptual.weights_file(perceptual_weights, required=False) if perceptual_weights else None
    if path:
        features = perceptual.squeezenet(weights=path)
    elif perceptual_weights:
        print("perceptual distance skipped", flush=True)
    clean, uploads = clean_pairs(hr_images), upload_pairs(hr_images)
    upscale_fn = generator_upscale_fn(load_model(name, weights_dir, dtype="float32"))
    metrics = summarise(evaluate_pairs(upscale_fn, clean, features=features))
    degraded = summarise(evaluate_pairs(upscale_fn, uploads, features=features))
    metrics["data"] = degraded["data"] = str(folder)
    entry["metrics"], entry["metrics_degraded"] = metrics, degraded
    # bfloat16 serving (about 2x faster on CPUs with AVX-512 BF16) only where it costs at most 0.02 dB
    bf16_fn = generator_upscale_fn(load_model(name, weights_dir, dtype="bfloat16"))
    bf16 = {"psnr": summarise(evaluate_pairs(bf16_fn, clean))["psnr"],
            "degraded_psnr": summarise(evaluate_pairs(bf16_fn, uploads))["psnr"]}
    loss = max(metrics["psnr"] - bf16["psnr"], degraded["psnr"] - bf16["degraded_psnr"])
    entry["serve_dtype"] = "bfloat16" if loss <= BF16_MAX_LOSS_DB else "float32"
    entry["precision"] = {"float32_psnr": metrics["psnr"], "bfloat16_psnr": bf16["psnr"],
                          "float32_degraded_psnr": degraded["psnr"], "bfloat16_degraded_psnr": bf16["degraded_psnr"],
                          "rule": f"bfloat16 where it loses at most {BF16_MAX_LOSS_DB} dB"}
    entry["eval"] = {"protocol": "HR cropped to x4, LR antialiased bicubic x4, Y channel, 4 px border",
                     "degraded_protocol": f"as the protocol, then (training/degrade.py, upload, seed "
                                          f"({DEGRADED_SEED}, image index)): Gaussian noise sigma 2-10 on half "
                                          "the images, JPEG quality 30-70",
                     "command": f"python -m {MODULE} eval --model {name} --data {folder}"}
    export.write_manifest_entry(weights_dir, name, entry)
    print(json.dumps({"clean": metrics, "degraded": degraded}), flush=True)
    return metrics


# ---------------------------------------------------------------------------------------------- CLI

def main(argv=None):
    parser, sub = flags.cli(MODULE, __doc__)
    p = sub.add_parser("train", help="train a model (the default command)")
    p.add_argument("--stage", choices=["pretrain", "gan"], default="pretrain")
    p.add_argument("--name", required=True, help="model name in the manifest, e.g. srresnet, srgan")
    p.add_argument("--title", help="human title for the model card")
    p.add_argument("--data", required=True, help="folder of HR training photos, or div2k (downloaded)")
    p.add_argument("--val", help="folder of HR validation photos (validation PSNR every checkpoint), or div2k-val")
    p.add_argument("--val-images", type=int, default=50)
    p.add_argument("--preset", choices=sorted(PRESETS), default="small")
    p.add_argument("--init", help="start the generator from this manifest model (the gan stage: srresnet)")
    p.add_argument("--hr-size", type=int, default=96, help="HR crop size (LR is a quarter)")
    p.add_argument("--degradation", choices=["bicubic", "realworld"], default="bicubic",
                   help="how LR crops are made: bicubic (the classic benchmark protocol) or realworld (blur, "
                        "resizes, noise and JPEG, Real-ESRGAN-style; see training/degrade.py)")
    p.add_argument("--upload-share", type=flags.fraction, default=0.5,
                   help="with --degradation realworld: the share of crops made by the milder upload recipe "
                        "(bicubic, noise on half, JPEG 30-95) instead (default %(default)s)")
    p.add_argument("--cache", choices=inputs.CACHES, default="memory",
                   help="keep the decoded training photos in memory (default) or decode them again on each visit "
                        "(none: for photo sets larger than RAM)")
    p.add_argument("--d-feat", type=int, default=32, help="discriminator width (64 in the paper)")
    p.add_argument("--perceptual", choices=["squeezenet", "vgg19"], default="squeezenet")
    perceptual.add_weights_argument(p, "the perceptual loss and distance")
    p.add_argument("--no-perceptual-eval", dest="perceptual_eval", action="store_false",
                   help="do not measure the SqueezeNet feature distance when evaluating")
    p.add_argument("--pixel-loss", choices=["l1", "l2"], default="l1",
                   help="the pixel loss: l1 (default) or l2, the mean squared error (PSNR's own measure)")
    p.add_argument("--w-perceptual", type=float, default=0.01)
    p.add_argument("--w-adversarial", type=float, default=5e-3)
    p.add_argument("--w-grid", type=float, default=0.0,
                   help="weight of the grid-frequency loss against the sub-pixel mesh texture (0: off; the "
                        "shipped srgan and srgan_faces: 20); needs --hr-size a multiple of 32")
    flags.add_common_args(p, steps=60_000, batch_size=16, ckpt_every=1000, lr=2e-4)
    p = sub.add_parser("eval", help="score a model on a folder of HR images (standard protocol)")
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--limit", type=int)
    p.add_argument("--weights-dir", type=Path, default=DEFAULT_DIR)
    perceptual.add_weights_argument(p, "the perceptual distance")
    args = flags.parse(parser, MODULE, argv)
    if args.command == "train":
        train(args)
    else:
        evaluate(args.model, datasets.resolve(args.data), args.weights_dir, args.limit,
                 perceptual_weights=args.perceptual_weights)


if __name__ == "__main__":
    flags.run_cli(main)
