"""Steerable faces: train an age and gender reader on the labelled face photos, then find the directions in the
face GAN's noise that move them (the TL-GAN / InterFaceGAN way), and measure how well the edits work.

    python -m training.attributes --data ../shared/data/faces --model dcgan_faces64 --export
    python -m training.attributes steer --model dcgan_faces64   # after retraining the GAN: the shipped reader

Every face photo carries its person's age (the file name ``IIIIIAaa.jpg``: id, then age in years) and gender (ids
from 07381 are men). The reader (``attribute_predictor``, exported as ``face_attributes``) labels 10,000 generated
faces; a least-squares fit of the predicted age, and of the predicted male logit, on the noise gives one direction
each; each direction is then made orthogonal to the other attribute's gradient and to the mean colour's
(InterFaceGAN's conditional manipulation), so that moving "age" leaves the predicted gender and the exposure where
and the tint where they were, and the reverse. An edit of ``a`` adds ``a * scale`` times the unit direction to
the noise (the noise has standard deviation 1 along any direction, so +-3 is three standard deviations). The
directions and their measured effect go into the generator's manifest entry (``edits``, ``edits_eval``).

The whole run takes a few minutes on a CPU, so it starts over rather than resuming. The face GAN's noise space
changes when it is retrained: ``steer`` then fits and measures its new directions with the shipped reader (a
minute), leaving the reader as it is.
"""

import json
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from models import BUILDERS
from models.faces import AGE_MEAN, AGE_SCALE, move_noise
from models.weights import DEFAULT_DIR, load_model, read_manifest
from training import export, flags, inputs
from training.dcgan import centre_squares

MODULE = "training.attributes"
READER = "face_attributes"
READER_ARGS = {"image_size": 64, "num_feat": 32}
FIRST_MALE_ID = 7381
ATTRIBUTES = ("age", "male")


def face_labels(path):
    """(age in years, 1.0 for a man else 0.0) from an All-Age-Faces file name such as ``07390A21.jpg``."""
    stem = Path(path).stem
    return float(int(stem[6:8])), float(int(stem[:5]) >= FIRST_MALE_ID)


def load_faces(folder, size=64, limit=None):
    """uint8 (N, size, size, 3) centre squares and float32 (N, 2) labels (age, male) of a folder of faces."""
    files = [f for f in map(Path, inputs.list_images(folder)) if len(f.stem) == 8 and f.stem[5] == "A"][:limit]
    if not files:
        raise flags.BadInput(f"--data {folder}: no All-Age-Faces files (IIIIIAaa.jpg) in it; expected a folder with train/ and val/ of them")
    return centre_squares(files, size), np.array([face_labels(f) for f in files], np.float32)


def to_model_range(x):
    return x.astype(np.float32) / 127.5 - 1.0


def attribute_loss(y_true, y_pred):
    """Huber loss on age (in the network's 20-year unit) plus binary cross-entropy on the male logit."""
    age = keras.losses.huber((y_true[:, 0] - AGE_MEAN) / AGE_SCALE, (y_pred[:, 0] - AGE_MEAN) / AGE_SCALE)
    male = keras.losses.binary_crossentropy(y_true[:, 1:2], y_pred[:, 1:2], from_logits=True)
    return age + male


def reader_scores(reader, x, y):
    pred = reader.predict(to_model_range(x), batch_size=256, verbose=0)
    return {"age_mae_years": round(float(np.mean(np.abs(pred[:, 0] - y[:, 0]))), 2),
            "gender_accuracy": round(float(np.mean((pred[:, 1] > 0) == (y[:, 1] > 0.5))), 4),
            "images": int(len(x))}


def train_reader(x, y, epochs, batch_size, seed):
    keras.utils.set_random_seed(seed)
    reader = BUILDERS["attribute_predictor"](**READER_ARGS)
    reader.compile(keras.optimizers.Adam(1e-3), loss=attribute_loss)
    ds = tf.data.Dataset.from_tensor_slices((to_model_range(x), y)).shuffle(len(x), seed=seed)
    def augment(a, b):  # mirror, and a little light and colour: the GAN's faces are not the photos' exact tones
        a = tf.image.random_flip_left_right(a)
        a = tf.image.random_brightness(a, 0.1)
        return tf.clip_by_value(tf.image.random_saturation(a + 1.0, 0.8, 1.2) - 1.0, -1.0, 1.0), b
    ds = ds.map(augment).batch(batch_size)
    reader.fit(ds.prefetch(2), epochs=epochs, verbose=2)
    return reader


# ---------------------------------------------------------------------------------------------- directions

def _unit(v):
    return v / np.linalg.norm(v)


def fit_directions(z, predictions, held=None):
    """Unit directions in noise space for each attribute, each orthogonal to the gradients of the other
    attribute and of the ``held`` quantities, so that moving along it leaves their (linear) predictions as they are.

    ``z``: (N, latent) noise; ``predictions``: (N, 2) the reader's (age, male logit) of the faces made from it;
    ``held``: optional (N, m) other measures of the same faces to keep (the face GAN: its mean colour, which the
    reader partly takes for age).
    """
    design = np.hstack([z, np.ones((len(z), 1))])
    slope = lambda y: np.linalg.lstsq(design, y, rcond=None)[0][:-1]  # noqa: E731
    grads = {k: slope(predictions[:, i]) for i, k in enumerate(ATTRIBUTES)}
    kept = [slope(held[:, j]) for j in range(held.shape[1])] if held is not None else []
    out = {}
    for k in ATTRIBUTES:
        basis, _ = np.linalg.qr(np.stack([grads[o] for o in ATTRIBUTES if o != k] + kept, 1))
        out[k] = _unit(grads[k] - basis @ (basis.T @ grads[k]))
    return out


def brightness(faces):
    """(N, 3) mean red, green and blue of faces in [-1, 1]: the exposure and tint a direction should not change
    (held to luminance alone, "older" turned the background red)."""
    return faces.mean(axis=(1, 2))


def measure_edits(generator, reader, directions, scales, n, seed, latent_dim, amount=2.0):
    """The edits' effect on ``n`` new faces, read by ``reader``: for each attribute, the predicted change per unit
    of edit, the share of faces that move the intended way between edits -amount and +amount, and the change of
    the other attribute relative to the intended one (both in standard deviations of the unedited faces).

    Gender is read as the reader's logit (a probability saturates: a face already read as 99% male cannot move
    further, which would understate the edit); the mean change of the probability is reported beside it."""
    z = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)
    specs = {k: {"direction": directions[k], "scale": scales[k]} for k in directions}

    def read(zz):
        faces = generator.predict(zz, batch_size=250, verbose=0)
        return reader.predict(faces, batch_size=250, verbose=0)  # age in years, male logit

    base = read(z)
    spread = base.std(axis=0)
    result = {"faces": n, "edit_compared": f"-{amount:g} vs +{amount:g}",
              "spread_unedited": {"age_years": round(float(spread[0]), 2), "male_logit": round(float(spread[1]), 3)}}
    for i, k in enumerate(ATTRIBUTES):
        lo = read(move_noise(z, {k: -amount}, specs))
        hi = read(move_noise(z, {k: amount}, specs))
        delta = hi - lo
        j = 1 - i
        intended = float(np.mean(delta[:, i]))
        side = float(np.mean(np.abs(delta[:, j])) / spread[j]) / max(float(np.mean(np.abs(delta[:, i])) / spread[i]),
                                                                    1e-9)
        prob = lambda logit: 1 / (1 + np.exp(-logit))  # noqa: E731
        result[k] = {"per_unit": round(intended / (2 * amount), 4),
                     "per_unit_unit": "years" if k == "age" else "male logit",
                     "share_moving_intended_way": round(float(np.mean(delta[:, i] > 0)), 4),
                     "side_effect_ratio": round(side, 4),
                     "male_probability_change": round(float(np.mean(prob(hi[:, 1]) - prob(lo[:, 1]))), 4),
                     "age_change_years": round(float(np.mean(hi[:, 0] - lo[:, 0])), 2)}
    return result


def steer(model, reader, weights_dir, n_fit, n_eval, seed, scale):
    """Fit the directions of ``model`` (a face GAN in the manifest) with ``reader``, measure them, and write both
    into the model's manifest entry. Returns the entry."""
    entry = read_manifest(weights_dir)[model]
    latent_dim = entry["args"]["latent_dim"]
    generator = load_model(model, weights_dir, dtype="float32")
    z = np.random.default_rng(seed).standard_normal((n_fit, latent_dim)).astype(np.float32)
    faces = generator.predict(z, batch_size=250, verbose=0)
    directions = fit_directions(z, reader.predict(faces, batch_size=250, verbose=0), held=brightness(faces))
    scales = {k: scale for k in ATTRIBUTES}
    measured = measure_edits(generator, reader, directions, scales, n_eval, seed + 1, latent_dim)
    reader_entry = read_manifest(weights_dir).get(READER, {})
    entry["edits"] = {k: {"direction": [round(float(v), 6) for v in directions[k]], "scale": scales[k],
                          "range": [-3, 3], "meaning": "older (+) / younger (-)" if k == "age"
                          else "more male (+) / more female (-)"} for k in ATTRIBUTES}
    entry["edits_eval"] = {**measured, "reader": READER, "reader_sha256": reader_entry.get("sha256"),
                           "fit": {"faces": n_fit, "seed": seed}}
    export.write_manifest_entry(weights_dir, model, entry)
    print(json.dumps(measured), flush=True)
    return entry


def add_steering_args(p):
    """The flags ``train`` and ``steer`` share: which GAN, how its directions are fitted and measured, where."""
    p.add_argument("--model", default="dcgan_faces64", help="the face GAN to steer")
    p.add_argument("--fit-faces", type=int, default=10_000, help="generated faces the directions are fitted on")
    p.add_argument("--eval-faces", type=int, default=1_000, help="new generated faces the edits are measured on")
    p.add_argument("--scale", type=float, default=1.5, help="noise moved per unit of edit, in standard deviations")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights-dir", type=Path, default=DEFAULT_DIR)


def main(argv=None):
    parser, sub = flags.cli(MODULE, __doc__)
    p = sub.add_parser("train", help="train the reader, then fit and measure the directions (the default)")
    p.add_argument("--data", required=True, help="the faces folder, with train/ and val/")
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--export", action="store_true", help="write the reader and the directions into --weights-dir")
    p.add_argument("--limit", type=int, help="use only this many photos per split (tests)")
    add_steering_args(p)
    p = sub.add_parser("steer", help="fit and measure the directions of a (retrained) face GAN with the shipped "
                                     "reader, without training a new one")
    add_steering_args(p)
    args = flags.parse(parser, MODULE, argv)
    if args.command == "steer":
        reader = load_model(READER, args.weights_dir, dtype="float32")
        return steer(args.model, reader, args.weights_dir, args.fit_faces, args.eval_faces, args.seed, args.scale)
    data = Path(args.data)
    x, y = load_faces(data / "train", limit=args.limit)
    xv, yv = load_faces(data / "val", limit=args.limit)
    print(f"{len(x)} train and {len(xv)} val faces; {np.mean(y[:, 1]):.1%} men, mean age {np.mean(y[:, 0]):.1f}",
          flush=True)
    reader = train_reader(x, y, args.epochs, args.batch_size, args.seed)
    scores = {"val": reader_scores(reader, xv, yv), "train": reader_scores(reader, x, y),
              "val_baseline": {"age_mae_years": round(float(np.mean(np.abs(yv[:, 0] - np.median(y[:, 0])))), 2),
                               "gender_accuracy": round(float(max(np.mean(yv[:, 1]), 1 - np.mean(yv[:, 1]))), 4)}}
    print(json.dumps(scores), flush=True)
    if not args.export:
        return
    export.export(reader, READER, "attribute_predictor", READER_ARGS, args.weights_dir, task="attributes",
                  title="Face attribute reader (age and gender, used to steer and measure the face GAN)",
                  dataset=f"{data / 'train'} ({len(x)} photos)", steps=int(args.epochs * -(-len(x) // args.batch_size)),
                  batch_size=args.batch_size, command=args.command_line, metrics=scores)
    steer(args.model, reader, args.weights_dir, args.fit_faces, args.eval_faces, args.seed, args.scale)


if __name__ == "__main__":
    flags.run_cli(main)
