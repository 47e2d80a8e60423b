"""Train and evaluate Pix2Pix sketch -> photo models (Isola et al., 2017: U-Net + 70x70 PatchGAN, GAN + 100 L1).

    # the shipped models: sketches made from the photos by models.sketch.photo_to_sketch
    python -m training.pix2pix --name pix2pix_shoes --domain shoes --data ../shared/data/shoes/train \\
        --val ../shared/data/shoes/val --export
    # your own photos (any folder), or ready pairs in the edges2shoes side-by-side format (sketch | photo)
    python -m training.pix2pix --name my_cars --domain shoes --data path/to/photos
    python -m training.pix2pix --name handbags --pairs path/to/edges2handbags/train
    # the evaluation (L1, SSIM, Frechet distance in SqueezeNet space with its baselines) on any folder
    python -m training.pix2pix eval --model pix2pix_shoes --data ../shared/data/shoes/val

Sketches are augmented while training (stroke width 1 to 5 px, small warps, dropped strokes, lighter or
softer lines) so that hand-drawn lines of any brush give good photos. ``--preset full`` is the paper's
256x256 configuration (ngf 64, channel cap 8x) for a GPU.
"""

import json
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from models import BUILDERS, images, quality, sketch
from models.pix2pix import GRID_BAND_SIGMA, UPSAMPLERS, GridNotch
from models.quality import ssim_y
from models.uploads import image_files
from models.weights import DEFAULT_DIR, load_model, read_manifest
from training import (checkpoints, datasets, distribute, drawings, export, flags, inputs, metrics, perceptual,
                      trainer)
from training.sr import grid_frequency_loss

MODULE = "training.pix2pix"
PRESETS = {
    "small": ({"image_size": 128, "num_feat": 32, "max_mult": 4}, {"image_size": 128, "num_feat": 32}),
    "full": ({"image_size": 256, "num_feat": 64, "max_mult": 8}, {"image_size": 256, "num_feat": 64}),
}
STANDING = 256  # clean training sketches for the shipped generator's batch-norm statistics
TITLES = {"shoes": "Pix2Pix shoes (sketch to photo)", "faces": "Pix2Pix faces (sketch to photo)"}


# ---------------------------------------------------------------------------------------------- data

def load_photo(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def load_training_pairs(data=None, pairs=None, domain="shoes", size=128, limit=None, drawn=0, seed=0):
    """(sketches uint8 (N, S, S), photos uint8 (N, S, S, 3)) from a photo folder (sketches made by
    ``photo_to_sketch``) or a folder of side-by-side pairs (left: sketch or edge map, right: photo).

    With ``drawn`` > 0 (photo folders only) the sketches are (N, 1 + drawn, S, S): the edge sketch, then
    ``drawn`` free-hand-like drawings of the same photo (``training.drawings``), seeded by (seed, photo, k)."""
    paths = inputs.list_images(pairs or data)[:limit]
    if drawn and pairs:
        raise SystemExit("free-hand-like drawings (--drawn-share) are made from photos: use --data, not --pairs")
    sketches, photos = [], []
    for index, rgb in enumerate(inputs.read_images(paths)):
        if pairs:
            half = rgb.shape[1] // 2
            a, b = rgb[:, :half], rgb[:, half:2 * half]
            sketches.append(sketch.to_square(sketch.normalize_sketch(images.centre_square(a, 256)), size)[0])
            photos.append(images.centre_square(b, size))
            continue
        square = images.centre_square(rgb, 256)
        lines = [sketch.photo_to_sketch(square, domain)] + [
            drawings.draw_like_a_person(square, np.random.default_rng([seed, index, k]), domain) for k in range(drawn)]
        squares = [sketch.to_square(line, size)[0] for line in lines]
        sketches.append(np.stack(squares) if drawn else squares[0])
        photos.append(images.centre_square(rgb, size))
    return np.stack(sketches), np.stack(photos)


def _warp(img, seed, size, strength):
    """A small random affine warp (rotation, scale, shear, shift) of one (S, S, C) image; fills with white."""
    r = tf.random.stateless_uniform((6,), seed, -1.0, 1.0) * strength
    # a few pixels of free-hand wobble at most, so the sketch still lines up with the photo it is trained on
    angle, scale, shear = r[0] * 0.03, 1.0 + r[1] * 0.03, r[2] * 0.02
    c, s = tf.cos(angle) * scale, tf.sin(angle) * scale
    centre = size / 2.0
    tx, ty = r[3] * 0.015 * size, r[4] * 0.015 * size
    # output -> input pixel map: [a0 a1 a2; b0 b1 b2; 0 0]
    a0, a1, b0, b1 = c, -s + shear, s, c
    a2 = centre - a0 * centre - a1 * centre + tx
    b2 = centre - b0 * centre - b1 * centre + ty
    transform = tf.stack([a0, a1, a2, b0, b1, b2, 0.0, 0.0])[None]
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=img[None], transforms=transform, output_shape=[size, size], fill_value=1.0,
        interpolation="BILINEAR", fill_mode="CONSTANT")[0]


def augment_sketch(ink, seed, size):
    """Free-hand-like variations of a sketch's ink map (S, S, 1), 1 = line: dropped strokes, stroke width 1 to
    5 px, a small warp, lighter and softer lines."""
    seeds = tf.random.experimental.stateless_split(seed, 6)
    # dropped strokes: a smooth random mask removes up to a quarter of the lines
    noise = tf.random.stateless_uniform((1, 6, 6, 1), seeds[0])
    keep = tf.image.resize(noise, (size, size), method="bilinear")[0]
    drop = tf.random.stateless_uniform((), seeds[1], 0.0, 0.25)
    ink = ink * tf.cast(keep > drop, ink.dtype)
    # stroke width: the ~1 px lines grown by a max filter of size 1 to 4 (1 to 5 px strokes)
    width = tf.random.stateless_uniform((), seeds[2], 0, 4, dtype=tf.int32)
    ink = tf.switch_case(width, [lambda k=k: ink if k == 1 else
                                 tf.nn.max_pool2d(ink[None], k, 1, "SAME")[0] for k in range(1, 5)])
    ink = 1.0 - _warp(1.0 - ink, seeds[3], size, 1.0)
    # softer (blurred) and lighter lines now and then
    ink = tf.cond(tf.random.stateless_uniform((), seeds[4]) < 0.3,
                  lambda: tf.nn.avg_pool2d(ink[None], 3, 1, "SAME")[0] * 1.5, lambda: ink)
    darkness = tf.random.stateless_uniform((), seeds[5], 0.6, 1.0)
    return tf.clip_by_value(ink * darkness, 0.0, 1.0)


def _stretch(both, seed, size):
    """A pair (S, S, C) in [0, 1] on white made up to 1.5x taller and down to 0.6x narrower, centred, cropped or
    padded with white back to (S, S): boot- and heel-like proportions from casual shoes."""
    r = tf.random.stateless_uniform((2,), seed)
    hw = tf.cast(tf.round(size * tf.stack([1.0 + 0.5 * r[0], 1.0 - 0.4 * r[1]])), tf.int32)
    both = tf.image.resize(both, hw, method="bilinear")
    return tf.image.resize_with_crop_or_pad(both - 1.0, size, size) + 1.0  # pads with 0 there: white here


def make_dataset(sketches, photos, batch_size, seed, augment=True, drawn_share=0.0, stretch=0.0):
    """Endless batches of (sketch (S, S, 1), photo (S, S, 3)) in [-1, 1]: random jitter (enlarge by 1/8 and
    crop back) and flips applied to both, free-hand augmentation to the sketch. ``sketches`` is (N, S, S), or
    (N, 1 + K, S, S) with K free-hand-like drawings after each edge sketch: then each example is one of the
    drawings with probability ``drawn_share`` (any of the K alike), else the edge sketch. With probability
    ``stretch`` a pair is also made taller and narrower (``_stretch``; photos on a white ground)."""
    size = photos.shape[1]
    variants = sketches if sketches.ndim == 4 else sketches[:, None]
    ds = tf.data.Dataset.from_tensor_slices((variants, photos)).repeat().shuffle(len(photos), seed=seed)
    ds = tf.data.Dataset.zip(ds, tf.data.Dataset.random(seed=seed).batch(2))

    def prepare(pair, seeds):
        (options, ph), seed2 = pair, tf.stack([seeds[0], seeds[1]])
        split = tf.random.experimental.stateless_split(seed2, 5)
        sk = options[0]
        if variants.shape[1] > 1:
            k = tf.random.stateless_uniform((), split[3], 1, variants.shape[1], dtype=tf.int32)
            drawn = tf.random.stateless_uniform((), split[4]) < drawn_share
            sk = tf.where(drawn, tf.gather(options, k), sk)
        both = tf.concat([tf.cast(sk[..., None], tf.float32), tf.cast(ph, tf.float32)], -1) / 255.0  # (S, S, 4)
        if augment:
            big = size + size // 8
            both = tf.image.resize(both, (big, big), method="bilinear")
            both = tf.image.stateless_random_crop(both, (size, size, 4), seed=split[0])
            both = tf.image.stateless_random_flip_left_right(both, seed=split[1])
        if augment and stretch:
            pick = tf.random.experimental.stateless_fold_in(seed2, 7)  # the other draws stay as without it
            both = tf.cond(tf.random.stateless_uniform((), pick) < stretch,
                           lambda: _stretch(both, tf.random.experimental.stateless_fold_in(seed2, 8), size),
                           lambda: both)
        ink = 1.0 - both[..., :1]
        if augment:
            ink = augment_sketch(ink, split[2], size)
        return (1.0 - ink) * 2.0 - 1.0, both[..., 1:] * 2.0 - 1.0

    ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------------------------- model

def without_grid_band(images):
    """``images`` (B, H, W, C) with the band around the 2-pixel grid's frequency taken out
    (``models.pix2pix.GridNotch``): the teacher's target in ``Pix2Pix``."""
    return GridNotch()(images)


class Pix2Pix(trainer.TrainerModel):
    """Conditional GAN for paired translation: D judges (sketch, photo) pairs patch by patch, G minimises the
    adversarial loss plus ``l1_weight`` times the L1 distance to the real photo, and optionally
    ``perceptual_weight`` times the L1 distance between their ``features`` (a feature-matching loss in the
    manner of pix2pixHD, here on SqueezeNet's fire3 and fire5 maps: it removes the blotchy textures that
    L1 + GAN leave on faces).

    Args:
        generator: sketch -> photo.
        discriminator: [sketch, photo] -> patch logits.
        l1_weight: lambda of the paper (100).
        features: None, or a frozen model mapping RGB in [0, 1] to a list of feature maps.
        perceptual_weight: weight of the feature distance (used only with ``features``).
        grid_weight: weight of the error at the 2-pixel grid's frequencies (``training.sr.grid_frequency_loss``
            at scale 2; 0: off), against the checkerboard its stride-2 transposed convolutions paint.
        teacher: None, or a frozen sketch -> photo model to distil: the generator is also pulled (L1, times
            ``teacher_weight``) towards the teacher's output without its 2-pixel band (``without_grid_band``),
            i.e. what the teacher paints minus its mesh.
        adversarial_weight: weight of the adversarial term (1 in the paper); 0 leaves D out of the step
            entirely (a plain distillation or regression).
    """

    def __init__(self, generator, discriminator, l1_weight=100.0, features=None, perceptual_weight=0.0,
                 grid_weight=0.0, teacher=None, teacher_weight=0.0, adversarial_weight=1.0, **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator, self.l1_weight = generator, discriminator, l1_weight
        self.features, self.perceptual_weight, self.grid_weight = features, perceptual_weight, grid_weight
        self.teacher, self.teacher_weight, self.adversarial_weight = teacher, teacher_weight, adversarial_weight
        names = ("g_loss",) + (("g_adv",) if adversarial_weight else ()) + ("g_l1",) + \
            (("g_perceptual",) if features is not None else ()) + (("g_grid",) if grid_weight else ()) + \
            (("g_teacher",) if teacher is not None else ()) + (("d_loss", "d_real", "d_fake") if adversarial_weight else ())
        self.track(*names)

    def generator_loss(self, fake_logits, fake, photo, target=None):
        """(total, parts): fool D everywhere, and stay close to the real photo in pixels (and features), and to
        the teacher's ``target`` when distilling."""
        parts = {"g_l1": self.mae(photo, fake)}
        total = self.l1_weight * parts["g_l1"]
        if fake_logits is not None:
            parts["g_adv"] = self.bce(tf.ones_like(fake_logits), fake_logits)
            total += self.adversarial_weight * parts["g_adv"]
        if self.features is not None:
            fake32 = tf.cast(fake, "float32")  # the feature net computes in float32 under mixed precision too
            pairs = zip(self.features((photo + 1.0) / 2.0), self.features((fake32 + 1.0) / 2.0))
            parts["g_perceptual"] = tf.add_n([self.mae(a, b) for a, b in pairs])
            total += self.perceptual_weight * parts["g_perceptual"]
        if self.grid_weight:  # the 2-pixel checkerboard of the stride-2 transposed convolutions
            parts["g_grid"] = grid_frequency_loss(tf.cast(fake, "float32"), photo, scale=2)
            total += self.grid_weight * parts["g_grid"]
        if target is not None:
            parts["g_teacher"] = self.mae(target, tf.cast(fake, "float32"))
            total += self.teacher_weight * parts["g_teacher"]
        return total, parts

    def discriminator_loss(self, real_logits, fake_logits):
        """Real pairs -> 1, generated pairs -> 0; halved, as in the paper, to slow D down."""
        return 0.5 * (self.bce(tf.ones_like(real_logits), real_logits)
                      + self.bce(tf.zeros_like(fake_logits), fake_logits))

    def train_step(self, data):
        sketch_in, photo = data
        target = None if self.teacher is None else without_grid_band(self.teacher(sketch_in, training=False))
        if not self.adversarial_weight:
            with tf.GradientTape() as g_tape:
                g_loss, g_parts = self.generator_loss(None, self.generator(sketch_in, training=True), photo, target)
                g_scaled = self.g_optimizer.scale_loss(g_loss)
            self.descend(g_tape, g_scaled, self.g_optimizer, self.generator)
            return self.record({"g_loss": g_loss, **g_parts})
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator(sketch_in, training=True)
            real_logits = self.discriminator([sketch_in, photo], training=True)
            fake_logits = self.discriminator([sketch_in, fake], training=True)
            g_loss, g_parts = self.generator_loss(fake_logits, fake, photo, target)
            d_loss = self.discriminator_loss(real_logits, fake_logits)
            g_scaled, d_scaled = self.g_optimizer.scale_loss(g_loss), self.d_optimizer.scale_loss(d_loss)
        self.descend(g_tape, g_scaled, self.g_optimizer, self.generator)
        self.descend(d_tape, d_scaled, self.d_optimizer, self.discriminator)
        return self.record({"g_loss": g_loss, **g_parts, "d_loss": d_loss},
                           {"d_real": real_logits, "d_fake": fake_logits})


def standing_copy(generator, target, sketches):
    """Load ``target`` (same architecture) with ``generator``'s weights and batch-norm statistics recomputed
    from ``sketches`` (uint8 (N, S, S), clean, as ``photo_to_sketch`` draws them) under inference conditions,
    i.e. with dropout off. The running averages kept while training lag the weights and were gathered on
    augmented sketches with dropout on; on shoes/val at step 6,000 they gave an L1 of 0.115, these 0.089.
    Returns ``target``."""
    target.set_weights(generator.get_weights())
    dropouts = [layer for layer in target.layers if isinstance(layer, keras.layers.Dropout)]
    rates = [layer.rate for layer in dropouts]
    for layer in dropouts:
        layer.rate = 0.0
    trainer.recalibrate_batch_norm(target, sketches[..., None].astype("float32") / 127.5 - 1.0)
    for layer, rate in zip(dropouts, rates):
        layer.rate = rate
    return target


# ---------------------------------------------------------------------------------------------- evaluation

def mean_image(photos):
    """The mean of ``photos`` (uint8 (N, H, W, 3)) as one uint8 photo: the trivial baseline."""
    return np.rint(photos.astype(np.float64).mean(axis=0)).astype(np.uint8)


class FrechetReference:
    """The real photos' features, computed once per evaluation, and what a Frechet distance is read beside: the
    mean training photo's distance and real (training) vs real, each with as many images as the outputs scored.

    Args:
        features: a ``perceptual.FrechetFeatures``.
        real_photos: uint8 (N, H, W, 3), the photos the outputs should look like.
        train_photos: optional uint8 (M, H, W, 3), for the two baselines.
        mean_photo: their ``mean_image``, if the caller has it already (else computed here).
    """

    def __init__(self, features, real_photos, train_photos=None, mean_photo=None):
        self.features, self.train_photos = features, train_photos
        self.mean_photo = mean_image(train_photos) if mean_photo is None and train_photos is not None else mean_photo
        self.real = metrics.feature_stats(features(real_photos))
        self._baselines = {}  # by the number of outputs

    def score(self, outputs):
        """The Frechet distance of ``outputs`` to the real photos, with the baselines and its share of the mean
        photo's."""
        n = len(outputs)
        result = {"frechet": round(metrics.frechet_distance(self.features(np.asarray(outputs)), self.real), 2),
                  "frechet_feature": self.features.name}
        if self.train_photos is None:
            return result
        if n not in self._baselines:
            pick = np.random.default_rng(0).choice(len(self.train_photos), min(len(self.train_photos), n), False)
            self._baselines[n] = {
                "frechet_mean_photo": round(metrics.frechet_distance(
                    self.features(np.repeat(self.mean_photo[None], n, axis=0)), self.real), 2),
                "frechet_real_train_vs_val": round(metrics.frechet_distance(
                    self.features(self.train_photos[pick]), self.real), 2)}
        result.update(self._baselines[n])
        result["frechet_share_of_baseline"] = round(result["frechet"] / result["frechet_mean_photo"], 3)
        return result


def evaluate_generator(translate, sketches, photos, mean_photo=None, reference=None):
    """Mean L1 (0-1 scale) and SSIM of ``translate(sketches)`` against ``photos``, beside ``mean_photo``'s (the
    mean training photo); with ``reference`` (a ``FrechetReference`` of ``photos``), the Frechet distance and its
    baselines. Returns (outputs, result)."""
    outputs = np.stack([translate(s) for s in sketches])
    result = {"images": len(photos),
              "l1": round(float(np.mean(np.abs(outputs.astype(np.float32) - photos) / 255.0)), 4),
              "ssim": round(float(np.mean([ssim_y(o, p, border=0) for o, p in zip(outputs, photos)])), 4),
              "checkerboard": quality.checkerboard(outputs), "checkerboard_real": quality.checkerboard(photos)}
    if mean_photo is not None:
        result["mean_photo_l1"] = round(float(np.mean(np.abs(mean_photo.astype(np.float32) - photos) / 255.0)), 4)
        result["mean_photo_ssim"] = round(float(np.mean([ssim_y(mean_photo, p, border=0) for p in photos])), 4)
    if reference is not None:
        result.update(reference.score(outputs))
    return outputs, result


DRAWN_SEED = 2026  # the free-hand-like drawings of the val photos are the same on every evaluation


def load_drawings(folder, limit=None):
    """The drawings in ``folder`` (people's free-hand sketches), each as the app reads an upload: normalised to
    dark lines on white, uint8 (H, W); a list, in file-name order."""
    return [sketch.normalize_sketch(load_photo(path)) for path in image_files([folder])[:limit]]


def evaluate_drawings(translate, drawings_list, reference=None):
    """How a model does on drawings made by people (no paired photos): the share it refuses as empty, the mean
    outline IoU (the drawing's filled outline against the output's object), and, with ``reference`` (a
    ``FrechetReference``), the Frechet distance of the outputs to its real photos and the baselines. Returns
    (outputs, result)."""
    outputs, ious, refused = [], [], 0
    for drawing in drawings_list:
        if sketch.is_blank(drawing):
            refused += 1
            continue
        out = translate(drawing)
        outputs.append(out)
        ious.append(drawings.outline_iou(drawing, out))
    result = {"images": len(drawings_list), "refused": refused,
              "outline_iou": round(float(np.mean(ious)), 4) if ious else None}
    if reference is not None and outputs:
        result.update(reference.score(np.stack(outputs)))
    return outputs, result


def evaluate(name, folder, weights_dir=DEFAULT_DIR, limit=None, train=None, entry=None, perceptual_weights=None,
             pairs=False, frechet_net="squeezenet", drawings_folder=None):
    """Score model ``name`` on a folder of photos: sketches made from them by ``photo_to_sketch`` (``metrics``)
    and free-hand-like drawings of them (``metrics_drawn``, fixed seed); or on side-by-side pairs with
    ``pairs``. With ``drawings_folder`` (drawings made by people, e.g. sketches/shoes_human), also
    ``metrics_human`` (``evaluate_drawings``). Writes them into the model's manifest entry."""
    from models import inference  # noqa: PLC0415
    entry = entry or read_manifest(weights_dir)[name]
    size, domain = entry["args"]["image_size"], entry["domain"]
    sketches, photos = load_training_pairs(None if pairs else folder, folder if pairs else None, domain, size, limit,
                                           drawn=0 if pairs else 1, seed=DRAWN_SEED)
    train_photos = load_training_pairs(train, domain=domain, size=size, limit=2000)[1] if train else None
    features = perceptual.frechet_features(frechet_net, perceptual_weights)
    net = load_model(name, weights_dir)
    traced = tf.function(lambda x: net(x, training=False), reduce_retracing=True)

    def translate(s):
        return images.to_uint8(traced(inference.sketch_input(s, size)[0]))[0]

    mean_photo = mean_image(train_photos) if train_photos is not None else None
    reference = FrechetReference(features, photos, train_photos, mean_photo) if features is not None else None
    edges = sketches if pairs else sketches[:, 0]
    _, result = evaluate_generator(translate, edges, photos, mean_photo, reference)
    result["data"] = str(folder)
    entry["metrics"] = result
    command = f"python -m {MODULE} eval --model {name} --data {folder}" + (" --pairs" if pairs else "") + \
        (f" --train {train}" if train else "") + (f" --drawings {drawings_folder}" if drawings_folder else "")
    source = "side-by-side pairs" if pairs else "photos, sketches by photo_to_sketch"
    entry["eval"] = {"protocol": f"val {source}, at {size}x{size}, no augmentation", "command": command}
    if not pairs:
        _, drawn = evaluate_generator(translate, sketches[:, 1], photos, mean_photo, reference)
        entry["metrics_drawn"] = {**drawn, "data": str(folder),
                                  "protocol": f"free-hand-like drawings of the val photos (training.drawings, "
                                              f"seed {DRAWN_SEED}, one per photo)"}
        print("drawn:", json.dumps(entry["metrics_drawn"]), flush=True)
    if drawings_folder:
        _, human = evaluate_drawings(translate, load_drawings(drawings_folder), reference)
        entry["metrics_human"] = {**human, "data": str(drawings_folder), "real_photos": str(folder),
                                  "protocol": "drawings made by people, read as the app reads an upload; Frechet "
                                              "distance of the outputs to the real photos in --data"}
        if not pairs:  # how high the outline IoU goes: the real photos against free-hand-like drawings of themselves
            entry["metrics_human"]["outline_iou_real_photos"] = round(float(np.mean(
                [drawings.outline_iou(s, p) for s, p in zip(sketches[:, 1], photos)])), 4)
        print("human:", json.dumps(entry["metrics_human"]), flush=True)
    export.write_manifest_entry(weights_dir, name, entry)
    print(json.dumps(result), flush=True)
    return result


# ---------------------------------------------------------------------------------------------- train

def load_teacher(name, weights_dir, g_args):
    """``--teacher``: the sketch -> photo model ``name`` of ``weights_dir``, frozen, in float32; a U-Net of the
    student's image size (any doubling); else ``flags.BadInput`` (one line, exit 2)."""
    entry = read_manifest(weights_dir).get(name)
    if entry is None or entry.get("builder") != "unet_generator" or \
            entry["args"].get("image_size") != g_args["image_size"]:
        raise flags.BadInput(f"--teacher {name}: no U-Net of that name at {g_args['image_size']} px in {weights_dir}")
    teacher = load_model(name, weights_dir, dtype="float32")
    teacher.trainable = False
    return teacher


def loss_description(args):
    """The generator's loss terms and weights, for the manifest."""
    loss = {"adversarial": args.w_adversarial, "l1": args.l1_weight}
    if args.w_perceptual:
        loss.update(perceptual=args.w_perceptual, perceptual_features="SqueezeNet 1.1 fire3 + fire5 maps, L1")
    if args.w_grid:
        loss.update(grid=args.w_grid)
    if args.teacher:
        loss.update(teacher=args.w_teacher, teacher_model=args.teacher,
                    teacher_target=f"the teacher's output without the 2-pixel grid's band (notch, sigma "
                                   f"{GRID_BAND_SIGMA:g} px), L1")
    return loss


def sketch_mix(args):
    """The training sketches, for the manifest: the edge sketches' share and the drawings'."""
    if args.pairs:
        return {"pairs": 1.0}
    mix = {"photo_to_sketch": round(1.0 - args.drawn_share, 3), "drawings": round(args.drawn_share, 3),
           "drawings_per_photo": args.drawn_variants if args.drawn_share else 0}
    if args.stretch:
        mix["stretched"] = round(args.stretch, 3)
    return mix


def train(args):
    args.data, args.pairs, args.val = (datasets.resolve(v) for v in (args.data, args.pairs, args.val))
    if args.w_perceptual:
        args.perceptual_weights = perceptual.weights_file(args.perceptual_weights)  # or a one-line exit
    g_args, d_args = (dict(a) for a in PRESETS[args.preset])
    if args.upsample != "transpose":  # the default stays out of the manifest: shipped entries read as before
        g_args["upsample_mode"] = args.upsample
    if args.grid_notch:
        g_args.update(grid_notch=args.grid_notch, notch_period=args.notch_period)
    size = g_args["image_size"]
    out = args.out or Path("runs") / args.name
    drawn = args.drawn_variants if args.drawn_share else 0
    strategy = distribute.setup(args)  # first: threads cannot be set once TensorFlow has run anything
    sketches, photos = load_training_pairs(args.data, args.pairs, args.domain, size, args.limit, drawn, args.seed)
    val = load_training_pairs(None if args.pairs else args.val, args.val if args.pairs else None, args.domain, size,
                              limit=8, drawn=drawn, seed=DRAWN_SEED) if args.val else None
    with strategy.scope():
        generator = BUILDERS["unet_generator"](**g_args)
        discriminator = BUILDERS["patchgan_discriminator"](**d_args)
        shipped = BUILDERS["unet_generator"](**g_args)
        distribute.sync_batch_norm(strategy, generator, discriminator)
        features = perceptual.squeezenet(("fire3", "fire5"), args.perceptual_weights) if args.w_perceptual else None
        teacher = load_teacher(args.teacher, args.weights_dir, g_args) if args.teacher else None
        model = Pix2Pix(generator, discriminator, l1_weight=args.l1_weight, features=features,
                        perceptual_weight=args.w_perceptual, grid_weight=args.w_grid, teacher=teacher,
                        teacher_weight=args.w_teacher, adversarial_weight=args.w_adversarial)
        model.compile(trainer.make_optimizer(args), trainer.make_optimizer(args), jit_compile=args.jit,
                      steps_per_execution=args.steps_per_execution)
        model.g_optimizer.build(generator.trainable_variables)
        model.d_optimizer.build(discriminator.trainable_variables)
        init_model = export.start_from(generator, args, g_args, out)  # the discriminator starts afresh
    config = {"generator": ["unet_generator", g_args], "discriminator": ["patchgan_discriminator", d_args],
              "domain": args.domain, "args": vars(args), "command": args.command_line, "init_model": init_model}
    run = checkpoints.Run(out, config, model.g_optimizer, park=args.park, generator=generator,
                          discriminator=discriminator, g_optimizer=model.g_optimizer, d_optimizer=model.d_optimizer)
    shown_sk, shown_ph = val if val is not None else (sketches[:8], photos[:8])
    if drawn:  # half the samples from edge sketches, half from drawings
        shown_sk = np.concatenate([shown_sk[:4, 0], shown_sk[4:, 1]])
    shown_in = shown_sk[..., None].astype("float32") / 127.5 - 1.0
    order = np.random.default_rng(4321).permutation(len(sketches))[:STANDING]
    # batch-norm statistics from the inputs the model will see: edge sketches and drawings in the training mix
    standing = sketches[order] if not drawn else np.where(
        (np.arange(len(order)) < args.drawn_share * len(order))[:, None, None], sketches[order, 1], sketches[order, 0])

    def shipped_generator():
        return standing_copy(generator, shipped, standing)

    def sample_grid():  # rows: sketch | output | photo
        outs = images.to_uint8(shipped_generator()(shown_in, training=False))
        rows = [np.repeat(shown_sk[..., None], 3, axis=3), outs, shown_ph]
        return images.make_grid(np.concatenate(rows), ncol=len(shown_sk))

    print(f"{args.name}: G {generator.count_params():,} params, D {discriminator.count_params():,} params, "
          f"{len(photos):,} pairs at {size}px, batch {args.batch_size}, {args.steps} steps -> {out}", flush=True)
    trainer.fit(model, make_dataset(sketches, photos, args.batch_size, args.seed, drawn_share=args.drawn_share,
                                         stretch=args.stretch), run,
                args, sample_grid)
    if args.export and distribute.is_chief():
        source = f"{args.pairs} (pairs)" if args.pairs else f"{args.data} (sketches by photo_to_sketch" + (
            f"; {args.drawn_share:.0%} free-hand-like drawings by training.drawings" if drawn else "") + ")"
        entry = export.export(shipped_generator(), args.name, "unet_generator", g_args, args.weights_dir, run.out,
                              task="pix2pix",
                              domain=args.domain, title=args.title or (TITLES[args.domain] if args.domain in TITLES and
                                                                      args.name == f"pix2pix_{args.domain}"
                                                                      else f"{TITLES.get(args.domain, 'Pix2Pix')} ({args.name})"),
                              dataset=f"{source}, {len(photos)} photos", steps=run.step,
                              batch_size=args.batch_size, train_time_s=round(float(run.train_seconds.numpy())),
                              command=args.command_line, init=args.init, init_model=init_model,
                              loss=loss_description(args), sketch_mix=sketch_mix(args),
                              discriminator={"builder": "patchgan_discriminator", "args": d_args,
                                             "params": int(discriminator.count_params())} if args.w_adversarial
                              else None)
        if args.val:
            evaluate(args.name, args.val, args.weights_dir, train=args.data, entry=entry,
                     perceptual_weights=args.perceptual_weights, pairs=bool(args.pairs), frechet_net=args.frechet_net,
                     drawings_folder=datasets.resolve(args.drawings))


# ---------------------------------------------------------------------------------------------- CLI

def main(argv=None):
    parser, sub = flags.cli(MODULE, __doc__)
    p = sub.add_parser("train", help="train a model (the default command)")
    p.add_argument("--name", required=True, help="model name in the manifest, e.g. pix2pix_shoes")
    p.add_argument("--title", help="human title for the model card")
    p.add_argument("--domain", choices=sorted(sketch.DOMAINS), default="shoes",
                   help="how photo_to_sketch draws the training sketches (and the app's domain picker)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="folder of photos (sketches are made from them)")
    src.add_argument("--pairs", help="folder of side-by-side pairs, sketch left and photo right, or edges2shoes / "
                                      "edges2handbags (downloaded)")
    p.add_argument("--val", help="folder of validation photos: samples every checkpoint, evaluation at export")
    p.add_argument("--limit", type=int, help="use only the first N training images")
    p.add_argument("--preset", choices=sorted(PRESETS), default="small", help="small: 128px; full: 256px (GPU)")
    p.add_argument("--upsample", choices=UPSAMPLERS, default="transpose",
                   help="the generator's doubling: transpose (the paper's transposed convolutions) or resize "
                        "(nearest-neighbour doubling, then a 3x3 conv: no 2-pixel mesh on smooth areas)")
    p.add_argument("--grid-notch", type=flags.fraction, default=0.0,
                   help="end the generator with a GridNotch of this strength (no weights; 1: the bands of the "
                        "--notch-period grid taken out of every photo, so the losses see the photos the app "
                        "shows); 0: off")
    p.add_argument("--notch-period", type=int, choices=(2, 4), default=4,
                   help="the notch's grid: 2 pixels (the outer transposed doubling's mesh) or 4 (the next one's too)")
    p.add_argument("--l1-weight", type=float, default=100.0)
    p.add_argument("--w-adversarial", type=float, default=1.0,
                   help="weight of the adversarial term; 0: no discriminator (with --teacher, a plain distillation)")
    p.add_argument("--init", help="start the generator from this shipped model (a fine-tune, e.g. with "
                                  "--decay-steps; with --upsample resize it may have transposed doublings, "
                                  "refitted); the discriminator starts afresh")
    p.add_argument("--w-perceptual", type=float, default=0.0,
                   help="weight of a SqueezeNet feature loss (fire3 + fire5 maps) beside the L1; 0: off, "
                        "the paper's loss")
    p.add_argument("--w-grid", type=float, default=0.0,
                   help="weight of the error at the 2-pixel grid's frequencies, against the checkerboard the "
                        "transposed convolutions paint on smooth areas (0: off)")
    p.add_argument("--teacher", help="distil this model of --weights-dir (its output without the 2-pixel grid's "
                                     "band, see --w-teacher), e.g. a transposed-doubling U-Net into --upsample "
                                     "resize; export under another --name or into another --weights-dir")
    p.add_argument("--w-teacher", type=float, default=100.0, help="weight of the L1 distance to --teacher's output")
    p.add_argument("--drawn-share", type=flags.fraction, default=0.0,
                   help="share of training sketches drawn like people draw (training.drawings: outline, a few inner "
                        "lines, wobbly broken strokes) instead of photo_to_sketch's edges; 0: edges only")
    p.add_argument("--drawn-variants", type=int, default=3, choices=range(1, 9), metavar="K",
                   help="free-hand-like drawings made per photo (seeded; default 3)")
    p.add_argument("--stretch", type=flags.fraction, default=0.0,
                   help="share of training pairs made up to 1.5x taller and 0.6x narrower (boot- and heel-like "
                        "shapes from casual shoes; photos on white only); 0: off")
    p.add_argument("--drawings", help="drawings made by people, scored at export (see eval --drawings)")
    perceptual.add_frechet_argument(p)
    perceptual.add_weights_argument(p, "the feature loss and the Frechet distance")
    flags.add_common_args(p, steps=20_000, batch_size=8, ckpt_every=500, lr=2e-4)
    p = sub.add_parser("eval", help="score a model on a folder of photos")
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True, help="folder of photos (e.g. the val split), or of pairs with --pairs")
    p.add_argument("--pairs", action="store_true", help="--data holds side-by-side pairs (sketch | photo)")
    p.add_argument("--train", help="the training photos: for the mean-photo baseline and real-vs-real")
    p.add_argument("--drawings", help="a folder of drawings made by people (no paired photos), e.g. "
                                      "../shared/data/sketches/shoes_human: refusals, outline IoU, Frechet")
    p.add_argument("--limit", type=int)
    p.add_argument("--weights-dir", type=Path, default=DEFAULT_DIR)
    perceptual.add_frechet_argument(p)
    perceptual.add_weights_argument(p, "the Frechet distance")
    args = flags.parse(parser, MODULE, argv)
    if args.command == "train":
        train(args)
    else:
        evaluate(args.model, datasets.resolve(args.data), args.weights_dir, args.limit, datasets.resolve(args.train),
                 perceptual_weights=args.perceptual_weights, pairs=args.pairs, frechet_net=args.frechet_net,
                 drawings_folder=datasets.resolve(args.drawings))


if __name__ == "__main__":
    flags.run_cli(main)
