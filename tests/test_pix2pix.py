"""Sketch to photo: photo_to_sketch, sketch clean-up, the training CLI on tiny data, and sketch_to_photo."""

from pathlib import Path

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from models import BUILDERS, images, inference, sketch
from models.pix2pix import GridNotch, grid_notch_kernels
from models.quality import ssim_y
from models.weights import load_model, read_manifest
from models.weights import weights_dir as active_weights_dir
from training import export, pix2pix


def product_photo(size=256, seed=0, shade=1.0):
    """A synthetic 'product shot': a few filled, outlined shapes on a white ground."""
    rng = np.random.default_rng(seed)
    img = np.full((size, size, 3), 255, np.uint8)
    for _ in range(4):
        colour = tuple(int(c) for c in rng.integers(20, 200, 3))
        centre = tuple(int(c) for c in rng.integers(size // 4, 3 * size // 4, 2))
        axes = tuple(int(a) for a in rng.integers(size // 10, size // 4, 2))
        cv2.ellipse(img, centre, axes, float(rng.integers(0, 180)), 0, 360, colour, -1)
    cv2.rectangle(img, (size // 6, size // 2), (size // 2, 5 * size // 6), (90, 60, 30), -1)
    return np.clip(img.astype(np.float32) * shade, 0, 255).astype(np.uint8)


def ink_share(sk):
    return float(np.mean(sk < 128))


@pytest.mark.parametrize("domain", sorted(sketch.DOMAINS))
def test_photo_to_sketch_is_thin_dark_lines_on_white(domain):
    sk = inference.photo_to_sketch(product_photo(), domain)
    assert sk.shape == (256, 256) and sk.dtype == np.uint8
    assert np.median(sk) == 255  # mostly white
    assert 0.005 < ink_share(sk) < 0.15
    lines = (sk < 128).astype(np.uint8)
    thick = cv2.erode(lines, np.ones((3, 3), np.uint8))  # what survives is more than 2 px thick
    assert thick.sum() < 0.1 * lines.sum()


def test_photo_to_sketch_line_density_is_stable():
    shares = [ink_share(sketch.photo_to_sketch(product_photo(seed=s, shade=shade)))
              for s in range(3) for shade in (1.0, 0.5)]
    assert max(shares) < 2.0 * min(shares)
    # darker lighting, same shapes: about the same lines
    a, b = (sketch.photo_to_sketch(product_photo(shade=shade)) < 128 for shade in (1.0, 0.5))
    assert np.logical_and(a, b).sum() > 0.6 * a.sum()


def test_photo_to_sketch_keeps_size_and_accepts_grey_and_rgba():
    photo = product_photo()[:200, :120]
    assert sketch.photo_to_sketch(photo).shape == (200, 120)
    assert sketch.photo_to_sketch(photo[..., 0]).shape == (200, 120)
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    assert sketch.photo_to_sketch(rgba).shape == (200, 120)
    with pytest.raises(ValueError, match="domain"):
        sketch.photo_to_sketch(photo, "cars")


def test_canvas_rgba_with_transparent_background_is_black_lines_on_white():
    canvas = np.zeros((100, 150, 4), np.uint8)  # what the drawing canvas returns: transparent, black strokes
    cv2.line(canvas, (10, 10), (140, 90), (0, 0, 0, 255), 3)
    cv2.line(canvas, (10, 90), (140, 10), (255, 255, 255, 255), 3)  # a white pen stroke erases
    clean = sketch.normalize_sketch(canvas)
    assert clean.shape == (100, 150)
    assert clean[0, 0] == 255 and clean[50, 75] == 255  # background, and the crossing erased
    assert clean[10, 10] == 0 and 0.01 < ink_share(clean) < 0.1


def test_inverted_sketch_is_flipped():
    inverted = np.zeros((64, 64), np.uint8)
    cv2.circle(inverted, (32, 32), 20, 255, 2)  # white lines on black, like an edge map
    clean = sketch.normalize_sketch(np.dstack([inverted] * 3))
    assert clean[0, 0] == 255 and clean[32, 12] == 0


@pytest.mark.parametrize("paper,ink,width", [(255, 215, 2), (228, 190, 2), (255, 120, 1), (200, 150, 3)])
def test_light_grey_thin_lines_and_grey_paper_are_drawings_not_blank(paper, ink, width):
    """A scanned pencil drawing: light grey lines, maybe 1 px, maybe on grey paper; never refused as empty."""
    scan = np.full((256, 256), paper, np.uint8)
    cv2.ellipse(scan, (128, 140), (90, 50), 0, 0, 360, ink, width)
    clean = sketch.normalize_sketch(np.dstack([scan] * 3))
    assert not sketch.is_blank(clean)
    assert clean[5, 5] == 255 and clean[140, 38] < 60  # paper to white, the line (its middle) to near black


def test_coloured_canvas_strokes_are_ink_and_white_still_erases():
    canvas = np.zeros((100, 150, 4), np.uint8)
    cv2.line(canvas, (10, 10), (140, 90), (255, 220, 0, 255), 3)  # yellow pen: luminance about 215
    clean = sketch.normalize_sketch(canvas)
    assert clean[10, 10] == 0 and not sketch.is_blank(clean)


def test_a_page_with_no_visible_line_stays_blank():
    flat = np.full((64, 64, 3), 230, np.uint8)
    flat[10, 10] = 222  # scanner noise, not a line
    assert sketch.is_blank(sketch.normalize_sketch(flat))


def test_empty_canvas_is_blank():
    assert sketch.is_blank(sketch.normalize_sketch(np.zeros((80, 80, 4), np.uint8)))
    assert not sketch.is_blank(sketch.photo_to_sketch(product_photo()))


def test_to_square_pads_with_white_and_keeps_lines_black():
    thin = np.full((300, 100), 255, np.uint8)
    thin[:, 50] = 0  # a 1 px line: grey after a 3x reduction, black again after to_square
    square, box = sketch.to_square(thin, 64)
    assert square.shape == (64, 64) and box == (0, 21, 64, 21)
    assert square[:, :20].min() == 255 and square[:, 21:42].min() == 0


def test_augmentation_changes_the_strokes_but_keeps_a_drawing():
    sk = sketch.to_square(sketch.photo_to_sketch(product_photo()), 64)[0]
    ds = pix2pix.make_dataset(np.stack([sk] * 4), np.stack([product_photo(64)] * 4), batch_size=4, seed=0)
    sketches, photos = (np.asarray(t) for t in next(iter(ds)))
    assert sketches.shape == (4, 64, 64, 1) and photos.shape == (4, 64, 64, 3)
    assert sketches.min() >= -1 and sketches.max() <= 1
    inks = [(s < 0).mean() for s in sketches]
    assert all(0.003 < i < 0.5 for i in inks)
    assert len({round(i, 4) for i in inks}) > 1  # each copy drawn differently


def test_stretch_makes_pairs_taller_and_narrower_on_white_and_leaves_the_rest_alone():
    photo = np.full((4, 64, 64, 3), 255, np.uint8)
    photo[:, 24:40, 8:56] = (90, 60, 30)  # a low, wide shoe
    sk = np.full((4, 64, 64), 255, np.uint8)
    sk[:, 24, 8:56] = sk[:, 39, 8:56] = 0

    def shapes(**kw):
        sketches, photos = (np.asarray(t) for t in next(iter(pix2pix.make_dataset(sk, photo, 4, seed=0, **kw))))
        boxes = [np.nonzero(p[..., 0] < 0) for p in photos]
        return sketches, photos, [(np.ptp(ys) + 1, np.ptp(xs) + 1) for ys, xs in boxes]

    plain_sk, plain_ph, plain = shapes()
    off_sk, off_ph, _ = shapes(stretch=0.0)
    np.testing.assert_array_equal(plain_sk, off_sk)  # off: the same examples as before the flag
    np.testing.assert_array_equal(plain_ph, off_ph)
    _, stretched_ph, stretched = shapes(stretch=1.0)
    # each by a random amount, from none (up to a pixel lost to the resampling at the edges) to 1.5x / 0.6x
    assert all(h >= ph - 1 and w <= pw + 1 for (h, w), (ph, pw) in zip(stretched, plain))
    assert sum(h for h, _ in stretched) > sum(h for h, _ in plain) and sum(w for _, w in stretched) < sum(
        w for _, w in plain)
    assert (stretched_ph[:, :2] > 0.99).all() and (stretched_ph[:, :, :2] > 0.99).all()  # white ground kept


def test_shipped_generator_gets_batch_norm_statistics_of_clean_sketches_with_dropout_off():
    import keras  # noqa: PLC0415


    g_args = {"image_size": 32, "num_feat": 8, "max_mult": 2}
    generator, target = BUILDERS["unet_generator"](**g_args), BUILDERS["unet_generator"](**g_args)
    sketches = np.stack([sketch.to_square(sketch.photo_to_sketch(product_photo(96, seed=i)), 32)[0]
                         for i in range(8)])
    before = [w.copy() for w in generator.get_weights()]
    pix2pix.standing_copy(generator, target, sketches)
    for a, b in zip(before, generator.get_weights()):  # the trained generator is untouched, statistics included
        np.testing.assert_array_equal(a, b)
    x = sketches[..., None].astype("float32") / 127.5 - 1.0
    # inference mode now reproduces training mode's batch statistics on the same sketches, without dropout
    dropouts = [layer for layer in generator.layers if isinstance(layer, keras.layers.Dropout)]
    for layer in dropouts:
        layer.rate = 0.0
    np.testing.assert_allclose(target(x, training=False), generator(x, training=True), atol=2e-3)
    assert not np.allclose(generator(x, training=False), generator(x, training=True), atol=2e-3)
    assert all(layer.rate == 0.5 for layer in target.layers if isinstance(layer, keras.layers.Dropout))


def test_train_export_and_translate(tmp_path, weights_dir, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(6):
        Image.fromarray(product_photo(96, seed=i)).save(photos / f"{i}.jpg")
    pix2pix.main(["--name", "pix2pix_shoes", "--domain", "shoes", "--data", str(photos), "--val", str(photos),
                  "--steps", "2", "--ckpt-every", "1", "--batch-size", "2", "--preset", "small",
                  "--out", str(tmp_path / "run"), "--export", "--weights-dir", str(weights_dir),
                  "--perceptual-weights", str(tmp_path / "none.h5")])
    entry = inference.model_info("pix2pix_shoes")
    assert entry["task"] == "pix2pix" and entry["domain"] == "shoes" and entry["steps"] == 2
    assert {"l1", "ssim", "mean_photo_l1"} <= set(entry["metrics"])
    assert (tmp_path / "run" / "samples" / "step_0000002.png").exists()
    shipped = [w.numpy() for w in load_model("pix2pix_shoes", weights_dir).trainable_weights]

    # a fine-tune starts from the shipped generator (a fresh run would print no such line)
    tune = ["--name", "pix2pix_shoes_ft", "--domain", "shoes", "--data", str(photos), "--steps", "1",
            "--decay-steps", "1", "--batch-size", "2", "--out", str(tmp_path / "tune"), "--weights-dir",
            str(weights_dir), "--init", "pix2pix_shoes"]
    pix2pix.main(tune + ["--export"])
    assert "generator initialised from pix2pix_shoes" in capsys.readouterr().out
    assert inference.model_info("pix2pix_shoes_ft")["init"] == "pix2pix_shoes"
    tuned_entry = inference.model_info("pix2pix_shoes_ft")
    assert tuned_entry["loss"] == {"adversarial": 1.0, "l1": 100.0}
    assert tuned_entry["init_model"]["steps"] == 2 and tuned_entry["init_model"]["sha256"] == entry["sha256"]
    from models.cards import training  # noqa: PLC0415
    assert training(tuned_entry).startswith("2 + 1 steps x 2")
    # resumed after the starting model was replaced, the run still names the one it began from
    export.write_manifest_entry(weights_dir, "pix2pix_shoes", {**entry, "steps": 99})
    pix2pix.main(tune[:-1] + ["pix2pix_shoes", "--steps", "2", "--export"])
    assert inference.model_info("pix2pix_shoes_ft")["init_model"]["steps"] == 2
    tuned = [w.numpy() for w in load_model("pix2pix_shoes_ft", weights_dir).trainable_weights]
    assert max(float(np.abs(a - b).max()) for a, b in zip(shipped, tuned)) < 0.01  # one Adam step (2e-4) away
    with pytest.raises(ValueError, match="--init pix2pix_hats"):
        pix2pix.main(tune[:-1] + ["pix2pix_hats", "--fresh"])

    # a mix of edge sketches and free-hand-like drawings, recorded in the manifest; drawings made by people scored
    people = tmp_path / "people"
    people.mkdir()
    ring = np.full((256, 256), 255, np.uint8)
    cv2.circle(ring, (128, 128), 80, 200, 1)  # a light, thin pencil line: read, not refused
    Image.fromarray(ring).save(people / "a.png")
    Image.fromarray(np.full((256, 256), 255, np.uint8)).save(people / "b.png")  # an empty page: refused
    pix2pix.main(["--name", "pix2pix_mix", "--domain", "shoes", "--data", str(photos), "--steps", "1",
                  "--batch-size", "2", "--out", str(tmp_path / "mix"), "--weights-dir", str(weights_dir),
                  "--drawn-share", "0.5", "--drawn-variants", "2", "--stretch", "0.25", "--export"])
    mix = inference.model_info("pix2pix_mix")
    assert mix["sketch_mix"] == {"photo_to_sketch": 0.5, "drawings": 0.5, "drawings_per_photo": 2, "stretched": 0.25}
    assert "50% free-hand-like drawings" in mix["dataset"]
    pix2pix.main(["eval", "--model", "pix2pix_mix", "--data", str(photos), "--drawings", str(people),
                  "--weights-dir", str(weights_dir), "--perceptual-weights", str(tmp_path / "none.h5")])
    mix = inference.model_info("pix2pix_mix")
    assert mix["metrics_human"]["images"] == 2 and mix["metrics_human"]["refused"] == 1
    assert 0.0 <= mix["metrics_human"]["outline_iou"] <= 1.0
    assert mix["metrics_human"]["outline_iou_real_photos"] > 0.7  # the photos against drawings of themselves
    assert mix["metrics_drawn"]["images"] == 6 and "seed 2026" in mix["metrics_drawn"]["protocol"]
    assert "--drawings" in mix["eval"]["command"]
    with pytest.raises(SystemExit):
        pix2pix.main(["--name", "x", "--data", str(photos), "--drawn-share", "1.5"])

    drawing = np.full((90, 60), 255, np.uint8)
    cv2.circle(drawing, (30, 45), 20, 0, 2)
    out = inference.sketch_to_photo(drawing, "shoes")
    assert out.dtype == np.uint8 and out.shape == (128, 85, 3)  # the sketch's aspect, at the model's 128 px
    np.testing.assert_array_equal(out, inference.sketch_to_photo(drawing, "shoes"))
    a, b = (inference.sketch_to_photo(drawing, "shoes", variation=s) for s in (1, 2))
    np.testing.assert_array_equal(a, inference.sketch_to_photo(drawing, "shoes", variation=1))  # seeded
    assert not np.array_equal(a, b)
    with pytest.raises(ValueError, match="empty"):
        inference.sketch_to_photo(np.full((64, 64), 255, np.uint8), "shoes")
    with pytest.raises(ValueError, match=r"No sketch-to-photo model for 'faces' \(named pix2pix_faces or faces\)"):
        inference.sketch_to_photo(drawing, "faces")
    # a model under a name of its own is a subject of its own (after shoes and faces), for the API and the CLI
    assert list(inference.sketch_subjects())[0] == "shoes" and "pix2pix_mix" in inference.sketch_subjects()
    assert inference.sketch_to_photo(drawing, "pix2pix_mix").shape == (128, 85, 3)
    assert inference.photo_to_sketch(np.full((40, 40, 3), 200, np.uint8), "pix2pix_mix").shape == (40, 40)


def test_a_resize_then_convolve_generator_trains_exports_and_translates(tmp_path, weights_dir):
    """--upsample resize (issue 33's mesh): the manifest names the generator's doubling, and the app builds the
    same network from it."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(4):
        Image.fromarray(product_photo(96, seed=i)).save(photos / f"{i}.jpg")
    pix2pix.main(["--name", "pix2pix_faces", "--domain", "faces", "--data", str(photos), "--upsample", "resize",
                  "--steps", "1", "--batch-size", "2", "--out", str(tmp_path / "run"), "--export",
                  "--weights-dir", str(weights_dir)])
    entry = inference.model_info("pix2pix_faces")
    assert entry["args"]["upsample_mode"] == "resize"
    model = load_model("pix2pix_faces", weights_dir)
    assert not [layer for layer in model.layers if "transpose" in layer.name]
    drawing = np.full((200, 150), 255, np.uint8)
    drawing[40:160:8, 30:120] = 0  # a few lines
    photo = inference.sketch_to_photo(drawing, "faces")
    assert photo.shape == (128, 96, 3) and photo.dtype == np.uint8  # the drawing's shape kept


def mesh_free_kernels(model, seed=0):
    """Give every transposed doubling of ``model`` a random 4x4 kernel of the form a resize doubling can make
    (``RESIZE_SPREAD @ W @ RESIZE_SPREAD.T``), and its batch norms random statistics."""
    from models.pix2pix import RESIZE_SPREAD  # noqa: PLC0415
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2DTranspose):
            k = layer.get_weights()
            w = rng.normal(0, 0.1, (3, 3) + k[0].shape[2:])
            layer.set_weights([np.einsum("ka,lb,abij->klij", RESIZE_SPREAD, RESIZE_SPREAD, w)] + k[1:])
        elif isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 1.5, v.shape) if i in (0, 3) else rng.normal(0, 0.2, v.shape)
                               for i, v in enumerate(layer.get_weights())])


def test_a_transposed_u_net_refits_into_a_resize_one_exactly_where_it_can():
    """copy_to_resize copies every layer in order, and a doubling kernel a resize doubling can make comes out
    exact: the two U-Nets then paint the same photo."""
    from models.pix2pix import can_resize_from, copy_to_resize, resize_kernel  # noqa: PLC0415
    args = {"image_size": 32, "num_feat": 4, "max_mult": 2}
    source = BUILDERS["unet_generator"](**args)
    target = BUILDERS["unet_generator"](**args, upsample_mode="resize")
    mesh_free_kernels(source)
    copy_to_resize(source, target)
    sketch_in = np.random.default_rng(1).uniform(-1, 1, (2, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(target(sketch_in, training=False), source(sketch_in, training=False), atol=2e-5)
    # a kernel that alternates every other pixel has no resize counterpart: it is dropped, not copied
    checker = np.zeros((4, 4, 1, 1), "float32")
    checker[::2, ::2] = checker[1::2, 1::2] = 1
    checker[::2, 1::2] = checker[1::2, ::2] = -1
    assert np.abs(resize_kernel(checker)).max() < 1e-6
    assert can_resize_from(args, {**args, "upsample_mode": "resize"})
    assert not can_resize_from(args, {**args, "num_feat": 8, "upsample_mode": "resize"})
    assert not can_resize_from({**args, "upsample_mode": "resize"}, {**args, "upsample_mode": "resize"})


def test_init_starts_a_resize_u_net_from_a_shipped_transposed_one(tmp_path, weights_dir):
    """--upsample resize --init NAME with NAME a transposed-doubling U-Net: the run starts from its refit, and
    the entry records where it started."""
    from tests.conftest import export_tiny_pix2pix  # noqa: PLC0415
    from models.pix2pix import copy_to_resize  # noqa: PLC0415
    export_tiny_pix2pix(weights_dir, domain="faces", name="start")
    start = load_model("start", weights_dir)
    expected = BUILDERS["unet_generator"](image_size=32, num_feat=4, upsample_mode="resize")
    copy_to_resize(start, expected)
    generator = BUILDERS["unet_generator"](image_size=32, num_feat=4, upsample_mode="resize")
    init_model = export.init_from(generator, "start", weights_dir,
                                  {"image_size": 32, "num_feat": 4, "upsample_mode": "resize"})
    assert init_model["name"] == "start"
    for a, b in zip(generator.get_weights(), expected.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="--init start"):  # another width cannot start from it
        export.init_from(BUILDERS["unet_generator"](image_size=32, num_feat=8, upsample_mode="resize"), "start",
                         weights_dir, {"image_size": 32, "num_feat": 8, "upsample_mode": "resize"})
    notched = BUILDERS["unet_generator"](image_size=32, num_feat=4, grid_notch=1.0)  # --grid-notch: the same weights
    export.init_from(notched, "start", weights_dir, {"image_size": 32, "num_feat": 4, "grid_notch": 1.0})
    for a, b in zip(notched.get_weights(), start.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_feature_loss_adds_its_weighted_part_and_trains(tmp_path):
    from training import perceptual  # noqa: PLC0415

    g = BUILDERS["unet_generator"](image_size=32, num_feat=4, max_mult=2)
    d = BUILDERS["patchgan_discriminator"](image_size=32, num_feat=4)
    features = perceptual.squeezenet(("fire3", "fire5"), weights=None)  # untrained: shapes and gradients only
    model = pix2pix.Pix2Pix(g, d, l1_weight=100.0, features=features, perceptual_weight=3.0)
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    rng = np.random.default_rng(0)
    photo = tf.constant(rng.uniform(-1, 1, (2, 32, 32, 3)), tf.float32)
    logits = tf.zeros((2, 2, 2, 1))
    total, parts = model.generator_loss(logits, photo, photo)
    assert set(parts) == {"g_adv", "g_l1", "g_perceptual"} and float(parts["g_perceptual"]) == 0.0
    total, parts = model.generator_loss(logits, -photo, photo)
    assert float(parts["g_perceptual"]) > 0
    np.testing.assert_allclose(float(total), float(parts["g_adv"] + 100.0 * parts["g_l1"]
                                                   + 3.0 * parts["g_perceptual"]), rtol=1e-5)
    sk = tf.constant(rng.uniform(-1, 1, (2, 32, 32, 1)), tf.float32)
    before = [w.numpy() for w in g.trainable_weights]
    logs = model.train_step((sk, photo))
    assert {"g_perceptual", "g_l1", "d_loss"} <= set(logs) and float(logs["g_perceptual"]) > 0
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(before, g.trainable_weights))
    assert features.trainable_weights == []  # the feature net stays frozen

    with pytest.raises(SystemExit, match=r"SqueezeNet weights file not found: .*none.h5; pass --perceptual-weights"):
        pix2pix.main(["--name", "p", "--data", str(tmp_path), "--w-perceptual", "1",
                      "--perceptual-weights", str(tmp_path / "none.h5"), "--out", str(tmp_path / "run")])


def test_grid_loss_weighs_the_2_pixel_checkerboard_and_trains():
    """--w-grid: the error at the 2-pixel grid's frequencies, which a checkerboard on a flat area is made of and
    a smooth difference is not."""
    g = BUILDERS["unet_generator"](image_size=32, num_feat=4, max_mult=2)
    d = BUILDERS["patchgan_discriminator"](image_size=32, num_feat=4)
    model = pix2pix.Pix2Pix(g, d, l1_weight=10.0, grid_weight=50.0)
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    photo = tf.zeros((2, 32, 32, 3))
    logits = tf.zeros((2, 2, 2, 1))
    checker = tf.constant(np.indices((32, 32)).sum(0) % 2 * 0.2 - 0.1, tf.float32)[None, ..., None] * tf.ones((2, 1, 1, 3))
    ramp = tf.constant(np.linspace(-0.1, 0.1, 32), tf.float32)[None, None, :, None] * tf.ones((2, 32, 1, 3))
    _, on_grid = model.generator_loss(logits, checker, photo)
    total, smooth = model.generator_loss(logits, ramp, photo)
    assert float(on_grid["g_grid"]) > 20 * float(smooth["g_grid"])  # the same L1 size, off the grid
    np.testing.assert_allclose(float(total), float(smooth["g_adv"] + 10.0 * smooth["g_l1"] + 50.0 * smooth["g_grid"]),
                               rtol=1e-5)
    logs = model.train_step((tf.zeros((2, 32, 32, 1)), photo))
    assert "g_grid" in logs and np.isfinite(float(logs["g_grid"]))


def test_grid_notch_takes_out_the_mesh_and_keeps_the_rest():
    """A 2-pixel checkerboard and a 4-pixel mesh over a smooth picture: period 2 takes out the checkerboard
    only (the teacher's target, ``without_grid_band``), period 4 both; the picture itself stays."""
    y, x = np.mgrid[:64, :64]
    smooth = 0.5 * np.sin(2 * np.pi * x / 16.0) * np.cos(2 * np.pi * y / 23.0) + 0.3 * (x > 40)  # waves and an edge
    checker = 0.1 * (-1.0) ** (x + y)
    mesh4 = 0.08 * np.cos(np.pi * x / 2) * np.cos(np.pi * y / 2) + 0.05 * np.cos(np.pi * y / 2)

    def notch(image, period):
        return GridNotch(period=period)(np.stack([image] * 3, -1)[None].astype("float32")).numpy()[0, ..., 0]

    def error(a, b):
        return np.abs(a - b)[8:-8, 8:-8].mean()
    for image, period, expected in ((smooth + checker, 2, smooth), (smooth + checker + mesh4, 2, smooth + mesh4),
                                    (smooth + checker + mesh4, 4, smooth), (smooth, 2, smooth), (smooth, 4, smooth)):
        assert error(notch(image, period), expected) < 0.01, period  # the mesh (0.03-0.1 on average) gone
    assert error(smooth + checker + mesh4, smooth) > 0.1 and error(smooth + mesh4, smooth) > 0.03
    np.testing.assert_allclose(pix2pix.without_grid_band(np.stack([smooth + checker] * 3, -1)[None].astype(
        "float32")).numpy()[0, ..., 0], notch(smooth + checker, 2), atol=1e-6)
    for period in (2, 4):
        gauss, comb = grid_notch_kernels(period=period)
        assert abs(float(gauss.sum()) - 1.0) < 1e-5 and abs(float(comb.sum()) - 1.0 / period) < 1e-5  # flat stays


def test_grid_notch_follows_a_trained_unet_without_changing_its_file(tmp_path):
    """``grid_notch`` adds no weights: a file saved without it loads into a U-Net with it, whose photos are the
    same photos with the grid's bands taken out (all at strength 1, half at 0.5)."""
    plain = BUILDERS["unet_generator"](image_size=32, num_feat=4)
    plain.save_weights(tmp_path / "g.weights.h5")
    sketch = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 1)).astype("float32")
    photo = plain(sketch, training=False)
    for strength, period in ((1.0, 2), (0.5, 4)):
        notched = BUILDERS["unet_generator"](image_size=32, num_feat=4, grid_notch=strength, notch_period=period)
        assert notched.count_params() == plain.count_params()
        notched.load_weights(tmp_path / "g.weights.h5")
        np.testing.assert_allclose(notched(sketch, training=False), GridNotch(strength, period)(photo), atol=1e-5)

    def grid_power(x):
        return float(np.abs((np.asarray(x) * (-1.0) ** np.add.outer(np.arange(32), np.arange(32))[..., None]).mean(
            axis=(1, 2))).mean())
    meshed = photo + 0.1 * (-1.0) ** np.add.outer(np.arange(32), np.arange(32))[None, ..., None]
    full, half = (grid_power(GridNotch(s)(meshed)) for s in (1.0, 0.5))
    assert full < 0.05 * grid_power(meshed) and abs(half - 0.5 * grid_power(meshed)) < 0.05 * grid_power(meshed)


def test_teacher_term_pulls_towards_the_teachers_output_and_leaves_the_teacher_alone(weights_dir):
    """--teacher: an L1 term towards the frozen teacher's output without its grid band; the teacher is read from
    the weights folder as a U-Net of the student's size, or the run ends in one line."""
    from tests.conftest import export_tiny_pix2pix  # noqa: PLC0415
    export_tiny_pix2pix(weights_dir, domain="shoes", name="teach")
    teacher = pix2pix.load_teacher("teach", weights_dir, {"image_size": 32})
    assert teacher.trainable_weights == []
    for name, size in (("nobody", 32), ("teach", 64)):
        with pytest.raises(SystemExit, match=f"--teacher {name}: no U-Net of that name at {size} px"):
            pix2pix.load_teacher(name, weights_dir, {"image_size": size})
    g = BUILDERS["unet_generator"](image_size=32, num_feat=4, upsample_mode="resize")
    d = BUILDERS["patchgan_discriminator"](image_size=32, num_feat=4)
    model = pix2pix.Pix2Pix(g, d, l1_weight=10.0, teacher=teacher, teacher_weight=40.0)
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    rng = np.random.default_rng(0)
    photo = tf.constant(rng.uniform(-1, 1, (2, 32, 32, 3)), tf.float32)
    logits = tf.zeros((2, 2, 2, 1))
    total, parts = model.generator_loss(logits, photo, -photo, target=photo)
    assert float(parts["g_teacher"]) == 0.0 and float(parts["g_l1"]) > 0.5
    total, parts = model.generator_loss(logits, photo, photo, target=-photo)
    np.testing.assert_allclose(float(total), float(parts["g_adv"] + 10.0 * parts["g_l1"] + 40.0 * parts["g_teacher"]),
                               rtol=1e-5)
    sk = tf.constant(np.where(rng.uniform(size=(2, 32, 32, 1)) < 0.1, -1.0, 1.0), tf.float32)
    frozen = [w.numpy() for w in teacher.weights]
    assert {"g_teacher", "g_adv", "d_loss"} <= set(model.train_step((sk, photo)))
    # --w-adversarial 0: a plain distillation, D left out of the step
    plain = pix2pix.Pix2Pix(g, d, l1_weight=0.0, teacher=teacher, teacher_weight=1.0, adversarial_weight=0.0)
    plain.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    d_before = [w.numpy() for w in d.weights]
    first = plain.train_step((sk, photo))
    assert not {"g_adv", "d_loss", "d_real"} & set(first)
    for _ in range(20):
        last = plain.train_step((sk, photo))
    assert float(last["g_teacher"]) < 0.8 * float(first["g_teacher"])
    np.testing.assert_allclose(float(last["g_loss"]), float(last["g_teacher"]), rtol=1e-5)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(frozen, teacher.weights))
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(d_before, d.weights))


def test_cli_sketch2photo_and_photo2sketch(tmp_path, weights_dir, capsys):
    from models.__main__ import main
    from tests.conftest import export_tiny_pix2pix
    export_tiny_pix2pix(weights_dir, "faces")
    Image.fromarray(product_photo(120, seed=1)).save(tmp_path / "photo.jpg")
    assert main(["photo2sketch", str(tmp_path / "photo.jpg"), "--domain", "faces", "--out", str(tmp_path / "sk")]) == 0
    drawn = tmp_path / "sk" / "photo_faces_sketch.png"
    assert Image.open(drawn).size == (120, 120)
    (tmp_path / "blank.png").write_bytes(b"")
    assert main(["sketch2photo", str(drawn), str(tmp_path / "blank.png"), "--domain", "faces", "--variation", "2",
                 "--out", str(tmp_path / "ph"), "--keep-going"]) == 1  # the empty file fails, the sketch works
    assert Image.open(tmp_path / "ph" / "photo_faces_sketch_faces_photo.png").size == (32, 32)
    assert "blank.png: error: The file is empty" in capsys.readouterr().err


def test_side_by_side_pairs_are_read_as_sketch_and_photo(tmp_path):
    photo = product_photo(64, seed=2)
    edges = 255 - sketch.photo_to_sketch(photo)  # edge maps often come inverted: white lines on black
    Image.fromarray(np.hstack([np.dstack([edges] * 3), photo])).save(tmp_path / "1_AB.jpg", quality=95)
    sketches, photos = pix2pix.load_training_pairs(pairs=tmp_path, size=32)
    assert sketches.shape == (1, 32, 32) and photos.shape == (1, 32, 32, 3)
    assert np.median(sketches) == 255 and 0 < ink_share(sketches[0]) < 0.3  # dark lines on white again
    assert np.abs(photos[0].astype(int) - cv2.resize(photo, (32, 32), interpolation=cv2.INTER_AREA)).mean() < 8


def test_dataset_names_resolve_and_unknown_names_fail_clearly(tmp_path, monkeypatch):
    from training import datasets
    assert datasets.resolve(str(tmp_path)) == str(tmp_path)
    assert datasets.resolve(None) is None
    with pytest.raises(SystemExit, match="not a dataset we can download"):
        datasets.resolve("no/such/folder")
    calls = []

    def fake_get_file(fname, origin, extract, cache_dir):  # what Keras does, without the network
        calls.append(origin)
        (tmp_path / "edges2shoes" / "val").mkdir(parents=True)
        return str(tmp_path / fname)

    monkeypatch.setattr(datasets.keras.utils, "get_file", fake_get_file)
    assert datasets.resolve("edges2shoes-val") == str(tmp_path / "edges2shoes" / "val")
    assert calls == [datasets.PUBLIC["edges2shoes-val"][1]]


BUNDLED = Path(__file__).parent / "data" / "pix2pix"  # 16 val photos and the mean training photo per domain
SHIPPED_DOMAINS = sorted(e["domain"] for e in read_manifest(active_weights_dir()).values() if e.get("task") == "pix2pix")


@pytest.mark.shipped
@pytest.mark.parametrize("domain", SHIPPED_DOMAINS)
def test_shipped_pix2pix_beats_the_mean_photo_on_bundled_val_photos(domain):
    """Val photos -> photo_to_sketch -> sketch_to_photo, scored against the photo beside the trivial baseline
    (the mean training photo, what an L1-only model that ignores the lines would drift to)."""
    folder = BUNDLED / domain
    paths = sorted(folder.glob("*.jpg"))
    assert len(paths) == 16  # evenly spaced val photos (tests/data/pix2pix/CREDITS.md)
    mean = np.asarray(Image.open(folder / "mean_train_photo.png").convert("RGB"))
    ours, baseline = [], []
    for path in paths:
        photo = np.asarray(Image.open(path).convert("RGB"))
        out = inference.sketch_to_photo(inference.photo_to_sketch(photo, domain), domain)
        real = images.centre_square(photo, out.shape[0]).astype(np.float32)
        ref = images.centre_square(mean, out.shape[0]).astype(np.float32)
        ours.append([np.abs(out - real).mean() / 255, ssim_y(out, real.astype(np.uint8), border=0)])
        baseline.append([np.abs(ref - real).mean() / 255, ssim_y(ref.astype(np.uint8), real.astype(np.uint8), border=0)])
    (l1, ssim), (l1_mean, ssim_mean) = np.mean(ours, axis=0), np.mean(baseline, axis=0)
    assert l1 < 0.85 * l1_mean and ssim > ssim_mean, (ours, baseline)
