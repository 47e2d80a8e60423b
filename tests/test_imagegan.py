"""SAGAN's layers: spectral normalisation and self-attention."""

import csv
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from models import imagegan, inference, quality
from training.dcgan import FrechetMeter
from training.perceptual import FrechetFeatures


def largest_singular_value(layer):
    w = np.moveaxis(np.asarray(layer.spectral_kernel(training=False)), layer.out_axis, -1)
    return np.linalg.svd(w.reshape(-1, w.shape[-1]), compute_uv=False)[0]


def test_spectral_norm_keeps_the_largest_singular_value_near_one_after_updates():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((4, 8, 8, 3)).astype("float32")
    for layer in (imagegan.SNConv2D(16, 3, padding="same"), imagegan.SNConv2DTranspose(16, 4, strides=2,
                                                                                       padding="same")):
        layer(x, training=True)
        opt = keras.optimizers.Adam(0.05)
        for _ in range(30):  # the kernel changes; the power iteration follows it
            with tf.GradientTape() as tape:
                loss = -tf.reduce_mean(tf.square(layer(x, training=True)))
            opt.apply_gradients(zip(tape.gradient(loss, layer.trainable_variables), layer.trainable_variables))
        raw = np.moveaxis(np.asarray(layer.kernel), layer.out_axis, -1)
        assert np.linalg.svd(raw.reshape(-1, raw.shape[-1]), compute_uv=False)[0] > 1.5  # unnormalised: large
        assert abs(largest_singular_value(layer) - 1.0) < 0.05


def test_self_attention_keeps_the_shape_and_starts_as_the_identity():
    x = np.random.default_rng(1).standard_normal((2, 8, 8, 16)).astype("float32")
    block = imagegan.SelfAttention()
    y = np.asarray(block(x, training=True))
    assert y.shape == x.shape and float(block.gamma.numpy()) == 0.0
    np.testing.assert_allclose(y, x)  # gamma = 0: the input passes through
    block.gamma.assign(0.5)
    assert not np.allclose(np.asarray(block(x)), x)


def tiny_cifar_tar(path, per_split=12):
    """A stand-in for cifar10_jpeg.tar.gz: split/class/NNNN.jpg, coloured squares, sorted by class as the real
    one is (the dogs, then the cats)."""
    import io
    import tarfile

    from PIL import Image
    rng = np.random.default_rng(0)
    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "test"):
            for i in range(per_split):
                img = np.zeros((32, 32, 3), np.uint8)
                img[8:24, 8:24] = rng.integers(0, 256, 3)
                buf = io.BytesIO()
                Image.fromarray(img).save(buf, "JPEG")
                info = tarfile.TarInfo(f"{split}/{'cat' if 2 * i >= per_split else 'dog'}/{i:04d}.jpg")
                info.size = len(buf.getvalue())
                tar.addfile(info, io.BytesIO(buf.getvalue()))
    return path


def test_loads_cifar_tarball_and_folders(tmp_path):
    from PIL import Image

    from training import dcgan
    tar = tiny_cifar_tar(tmp_path / "c.tar.gz")
    assert dcgan.load_images(tar, 32, "train").shape == (12, 32, 32, 3)
    assert dcgan.load_images(tar, 32, "test", limit=5).shape == (5, 32, 32, 3)
    (tmp_path / "imgs").mkdir()
    for i in range(3):
        Image.fromarray(np.full((50, 70, 3), 40 * i, np.uint8)).save(tmp_path / "imgs" / f"{i}.png")
    assert dcgan.load_images(tmp_path / "imgs", 64).shape == (3, 64, 64, 3)


def test_a_class_sorted_tarball_loads_in_a_mixed_order():
    """The real tarball lists 5,000 airplanes first: its first N images (--limit, the Frechet reference) must not
    be one or two classes."""
    import tempfile
    from pathlib import Path

    from training import dcgan
    with tempfile.TemporaryDirectory() as tmp:
        tar = tiny_cifar_tar(Path(tmp) / "c.tar.gz", per_split=40)
        x, y = dcgan.load_labelled(tar, 32, "train")
        again, _ = dcgan.load_labelled(tar, 32, "train", limit=6)
    cat, dog = dcgan.CLASS_INDEX["cat"], dcgan.CLASS_INDEX["dog"]
    assert sorted(y.tolist()) == [cat] * 20 + [dog] * 20
    assert {cat, dog} <= set(y[:6].tolist()) and (again == x[:6]).all()  # a fixed order, every class early


def test_cifar_judge_trains_resumes_and_exports(tmp_path, weights_dir, capsys):
    from models.weights import load_model, read_manifest
    from training import dcgan
    tar = tiny_cifar_tar(tmp_path / "c.tar.gz", per_split=16)
    common = ["judge", "--data", str(tar), "--batch-size", "8", "--out", str(tmp_path / "run"),
              "--weights-dir", str(weights_dir)]
    dcgan.main(common + ["--epochs", "1"])
    assert "epoch 1:" in capsys.readouterr().out
    metrics = dcgan.main(common + ["--epochs", "2", "--export"])
    assert "resumed at epoch 1" in capsys.readouterr().out
    entry = read_manifest(weights_dir)[dcgan.JUDGE]
    assert entry["builder"] == "image_judge" and entry["steps"] == 4 and entry["metrics"] == metrics
    assert 0 <= metrics["test_accuracy"] <= 1 and len(metrics["test_accuracy_per_class"]) == 10
    probs, features = load_model(dcgan.JUDGE, weights_dir).predict(np.zeros((2, 32, 32, 3), "float32"), verbose=0)
    assert probs.shape == (2, 10) and features.shape == (2, 128)


def test_eval_rescores_a_shipped_model_against_held_out_images(tmp_path, weights_dir, monkeypatch):
    """The floor compares held-out images (a val/ folder beside train/) with the training images, never the
    training images with themselves; without held-out images the floor is left out rather than reported as 0."""
    from PIL import Image

    from models.weights import read_manifest
    from tests.conftest import export_tiny_imagegan
    from training import dcgan
    rng = np.random.default_rng(0)
    for split, n, high in (("train", 6, 256), ("val", 3, 64)):  # dark held-out images: a distance above 0
        (tmp_path / "faces" / split).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, high, (70, 70, 3), np.uint8)).save(tmp_path / "faces" / split / f"{i}.png")
    assert dcgan.held_out(tmp_path / "faces" / "train", 64, 10).shape == (3, 64, 64, 3)
    assert dcgan.held_out(tmp_path / "faces" / "val", 64, 10) is None  # no val/ beside it
    entry = export_tiny_imagegan(weights_dir, "dcgan_faces64")
    from training import export
    export.write_manifest_entry(weights_dir, "dcgan_faces64", {**entry, "metrics": {"face_detected": {"real": 1}}})
    (weights_dir / "history" / "dcgan_faces64").mkdir(parents=True)
    (weights_dir / "history" / "dcgan_faces64" / "eval.csv").write_text("step,seconds,frechet\n2,1.0,1e9\n")
    monkeypatch.setattr(dcgan.perceptual, "frechet_features", lambda net, weights, size: FrechetFeatures(
        net, None, size))  # untrained SqueezeNet: no ../shared in tests
    dcgan.main(["eval", "--name", "dcgan_faces64", "--data", str(tmp_path / "faces" / "train"), "--fd-samples", "8",
                "--weights-dir", str(weights_dir)])
    metrics = read_manifest(weights_dir)["dcgan_faces64"]["metrics"]
    assert metrics["samples"] == 8 and metrics["frechet_real_images"] == 3
    assert metrics["checkerboard"] > 0 and metrics["checkerboard_real"] > 0
    assert metrics["face_detected"] == {"real": 1}  # the face detector's shares are not the eval's to drop
    assert metrics["frechet_real_test_vs_train"] > 0 and metrics["frechet_best"] == metrics["frechet"] < 1e9
    assert metrics["frechet_test"] > 0 and metrics["frechet_test_images"] == 3 and "224" in metrics["frechet_test_feature"]
    meter = FrechetMeter(dcgan.load_images(tmp_path / "faces" / "train", 64), FrechetFeatures("squeezenet", None))
    assert "frechet_real_test_vs_train" not in dcgan.baselines(meter, np.zeros((4, 64, 64, 3), np.uint8), None, 4)


def test_the_judge_scores_class_balance_confidence_and_the_class_asked_for():
    """judge_scores with a stand-in judge that calls every image by its mean brightness bucket."""
    from training import dcgan

    class Stub:
        def predict(self, x, **_):
            bucket = np.clip(((x.mean(axis=(1, 2, 3)) + 1) / 2 * 10).astype(int), 0, 9)
            probs = np.full((len(x), 10), 0.01)
            probs[np.arange(len(x)), bucket] = 0.91
            return probs, np.zeros((len(x), 4))
    samples = np.repeat((np.arange(10) * 25.5 + 12).astype(np.uint8), 32 * 32 * 3).reshape(10, 32, 32, 3)
    scores = dcgan.judge_scores(Stub(), np.concatenate([samples, samples]), labels=np.array([*range(10), *[0] * 10]))
    assert scores["judge_class_histogram"] == [0.1] * 10 and scores["judge_confident"] == 1.0
    # asked for 0..9, then ten 0s: all of the first half and one of the second are what was asked for
    assert scores["recognised"] == 0.55 and scores["recognised_per_class"] == [round(2 / 11, 4)] + [1.0] * 9
    assert "recognised" not in dcgan.judge_scores(Stub(), samples)


def test_diffaugment_shifts_cuts_and_recolours_each_image_reproducibly():
    from training.gan import AUGMENTS
    x = tf.random.stateless_uniform((6, 32, 32, 3), (0, 1), 0.1, 1.0)  # no zeros of its own
    seed = tf.constant([3, 4], tf.int64)
    for name, fn in AUGMENTS.items():
        assert np.array_equal(fn(x, seed), fn(x, seed)), name  # the same seed, the same transform
        assert not np.array_equal(fn(x, seed), fn(x, seed + 1)), name
    shifted = AUGMENTS["translation"](x, seed).numpy()
    for img, out in zip(x.numpy(), shifted):  # each output: its image moved by at most 4 px (1/8), zeros let in
        padded = np.pad(img, [(4, 4), (4, 4), (0, 0)])
        assert any(np.array_equal(out, padded[dy:dy + 32, dx:dx + 32]) for dy in range(9) for dx in range(9))
    cut = AUGMENTS["cutout"](x, seed).numpy()
    for img, out in zip(x.numpy(), cut):  # a 16x16 square zeroed (fewer pixels where the border cuts it)
        zero = np.all(out == 0, axis=2)
        rows, cols = np.nonzero(zero.any(axis=1))[0], np.nonzero(zero.any(axis=0))[0]
        assert 0 < zero.sum() == len(rows) * len(cols) <= 256 and len(rows) <= 16 and len(cols) <= 16
        assert np.array_equal(out[~zero], img[~zero])
    with tf.GradientTape() as tape:  # differentiable: the generator learns through them
        tape.watch(x)
        total = tf.reduce_sum(AUGMENTS["color"](x, seed) ** 2)
    grad = tape.gradient(total, x).numpy()
    assert np.all(np.isfinite(grad)) and np.all(grad != 0)


def test_unknown_augment_is_refused_by_name():
    from training import dcgan
    from training.gan import GAN
    with pytest.raises(ValueError, match="cutout"):
        GAN(None, None, latent_dim=4, augment=["flip"])
    with pytest.raises(SystemExit):
        dcgan.main(["--name", "x", "--augment", "color,flip", "--steps", "1"])


def test_dcgan_and_sagan_train_resume_and_export(tmp_path, weights_dir):
    from models import BUILDERS
    from models.weights import load_model, read_manifest
    from training import dcgan
    tar = tiny_cifar_tar(tmp_path / "c.tar.gz")
    for arch, upsample in (("dcgan", "transpose"), ("sagan", "transpose"), ("dcgan", "resize")):
        name = f"{arch}_{upsample}_tiny"
        common = ["--arch", arch, "--name", name, "--data", str(tar), "--g-feat", "4", "--d-feat", "4",
                  "--batch-size", "4", "--ckpt-every", "1", "--out", str(tmp_path / name), "--fd-every", "0",
                  "--upsample", upsample, "--weights-dir", str(weights_dir)]
        dcgan.main(common + ["--steps", "1"])
        # resumes at step 1; DiffAugment may be switched on then (the resize run)
        dcgan.main(common + ["--steps", "2", "--export"] + ["--augment", "color,translation,cutout"] * (upsample == "resize"))
        entry = load_model(name)
        assert entry.output_shape == (None, 32, 32, 3)
        assert (tmp_path / name / "samples" / "step_0000002.png").exists()
    assert any(isinstance(layer, imagegan.SelfAttention) for layer in load_model("sagan_transpose_tiny").layers)
    resize = load_model("dcgan_resize_tiny")
    assert read_manifest(weights_dir)["dcgan_resize_tiny"]["args"]["upsample"] == "resize"
    assert "upsample" not in read_manifest(weights_dir)["dcgan_transpose_tiny"]["args"]  # shipped entries unchanged
    assert any(isinstance(layer, keras.layers.UpSampling2D) for layer in resize.layers)
    assert not any(isinstance(layer, keras.layers.Conv2DTranspose) for layer in resize.layers)
    assert BUILDERS["image_generator"] is imagegan.image_generator


def test_conditional_sagan_builders_take_a_class_and_use_it():
    """SAGAN as its paper built it: conditional batch norm in G (the class sets each map's scale and shift; at
    first, plain batch norm), the projection term in D."""
    rng = np.random.default_rng(0)
    g = imagegan.image_generator(32, latent_dim=16, num_feat=4, sagan=True, num_classes=10, upsample="resize")
    d = imagegan.image_discriminator(32, num_feat=4, sagan=True, num_classes=10)
    assert [i.name for i in g.inputs] == ["noise", "label"] and [i.name for i in d.inputs] == ["image", "label"]
    z = tf.constant(np.repeat(rng.standard_normal((1, 16)), 2, axis=0), tf.float32)
    cats, dogs = tf.constant([3, 3]), tf.constant([5, 5])
    assert np.allclose(g([z, cats], training=False), g([z, dogs], training=False))  # the tables start at zero
    for layer in g.layers:
        if isinstance(layer, imagegan.ConditionalBatchNorm):
            layer.gamma.assign(rng.normal(0, 0.5, layer.gamma.shape))
    assert not np.allclose(g([z, cats], training=False), g([z, dogs], training=False))
    x = tf.constant(rng.uniform(-1, 1, (2, 32, 32, 3)), tf.float32)
    projection = [layer for layer in d.layers if isinstance(layer, imagegan.Projection)]
    assert len(projection) == 1
    projection[0].embed.kernel.assign(rng.normal(0, 1, projection[0].embed.kernel.shape))
    assert not np.allclose(d([x, cats], training=False), d([x, dogs], training=False))


def test_conditional_sagan_trains_resumes_and_exports_its_classes(tmp_path, weights_dir):
    from models.weights import load_model, read_manifest
    from training import dcgan
    tar = tiny_cifar_tar(tmp_path / "c.tar.gz", per_split=20)
    common = ["--arch", "sagan", "--conditional", "--name", "csagan_tiny", "--data", str(tar), "--g-feat", "4",
              "--d-feat", "4", "--batch-size", "4", "--ckpt-every", "1", "--out", str(tmp_path / "run"),
              "--fd-every", "0", "--upsample", "resize", "--weights-dir", str(weights_dir)]
    dcgan.main(common + ["--steps", "1", "--log-every", "1"])
    dcgan.main(common + ["--steps", "2", "--export"])
    entry = read_manifest(weights_dir)["csagan_tiny"]
    assert entry["args"]["num_classes"] == 10 and entry["discriminator"]["args"]["num_classes"] == 10
    g = load_model("csagan_tiny", weights_dir)
    out = g([tf.zeros((3, entry["args"]["latent_dim"])), tf.constant([0, 3, 9])], training=False)
    assert out.shape == (3, 32, 32, 3)
    grid = np.asarray(Image.open(tmp_path / "run" / "samples" / "step_0000002.png"))
    assert grid.shape[0] > grid.shape[1]  # ten rows of eight, one class a row
    dcgan.main(common + ["--steps", "3", "--log-every", "1", "--class-loss", "0.5"])  # a stage adds the class loss
    with open(tmp_path / "run" / "log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["step"] for r in rows] == ["1", "3"]
    assert rows[0]["d_class"] == "" and 0 < float(rows[1]["d_class"]) and 0 < float(rows[1]["g_class"])
    with pytest.raises(SystemExit, match="--conditional needs class labels"):
        dcgan.main(["--arch", "sagan", "--conditional", "--name", "x", "--data", str(tmp_path),
                    "--out", str(tmp_path / "x")])


def test_the_class_loss_reads_every_class_projection_term_and_trains_both_nets():
    """P2GAN's class loss: the projection's embedding, applied to D's features for every class, gives each class's
    projection term; D learns to name the real images' class with it, G to paint what it names as asked."""
    from training.gan import GAN
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    g = imagegan.image_generator(32, latent_dim=8, num_feat=4, sagan=True, num_classes=10, upsample="resize")
    d = imagegan.image_discriminator(32, num_feat=4, sagan=True, num_classes=10)
    gan = GAN(g, d, latent_dim=8, conditional=True, loss="hinge", class_loss=1.0)
    gan.projection.embed.kernel.assign(rng.normal(0, 1, gan.projection.embed.kernel.shape))
    x = tf.constant(rng.uniform(-1, 1, (3, 32, 32, 3)), tf.float32)
    logits = np.asarray(gan.class_logits(gan.with_features([x, tf.constant([0, 0, 0])])[1]))
    for label in (2, 7):  # D(x, label) - D(x, 0) is the projection term's difference
        diff = d([x, tf.fill([3], label)], training=False) - d([x, tf.zeros([3], "int32")], training=False)
        assert np.allclose(np.asarray(diff)[:, 0], logits[:, label] - logits[:, 0], atol=1e-4)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    embed, first = gan.projection.embed.kernel, g.trainable_variables[0]
    before = np.asarray(embed).copy(), np.asarray(first).copy()
    logs = gan.train_step((x, tf.constant([1, 4, 9])))
    assert {"d_class", "g_class"} <= set(logs) and all(np.isfinite(float(logs[k])) for k in logs)
    # The hinge loss alone moves only the rows of the classes in the batch; the softmax moves every class's row.
    assert not np.allclose(np.asarray(embed)[[0, 2, 8]], before[0][[0, 2, 8]])
    assert not np.allclose(np.asarray(first), before[1])  # and G took its step
    with pytest.raises(ValueError, match="projection"):
        GAN(g, imagegan.image_discriminator(32, num_feat=4, sagan=True), latent_dim=8, conditional=True,
            class_loss=1.0)


def test_a_conditional_image_gan_paints_the_class_asked_for_by_name_or_number(weights_dir, tmp_path, capsys):
    from models.__main__ import main
    from tests.conftest import export_tiny_imagegan
    export_tiny_imagegan(weights_dir, "sagan_cifar10", image_size=32, sagan=True, num_classes=10)
    export_tiny_imagegan(weights_dir, "dcgan_cifar10", image_size=32)
    assert inference.image_classes("sagan_cifar10")[7] == "horse" and inference.image_classes("dcgan_cifar10") == []
    horses = inference.generate_images("sagan_cifar10", 4, seed=3, label="horse")
    assert np.array_equal(horses, inference.generate_images("sagan_cifar10", 4, seed=3, label=7))
    assert not np.array_equal(horses, inference.generate_images("sagan_cifar10", 4, seed=3, label="ship"))
    mixed = inference.generate_images("sagan_cifar10", 10, seed=3)  # the classes in turn
    assert np.array_equal(mixed[7], inference.generate_images("sagan_cifar10", 8, seed=3, label="horse")[7])
    walk = inference.interpolate_images("sagan_cifar10", 3, 4, steps=3, label="horse")
    assert np.array_equal(walk[0], horses[0])  # the walk keeps the class
    for bad in ("unicorn", 10, -1, True, 2.5):
        with pytest.raises(ValueError, match="Unknown label .* Allowed: airplane, automobile"):
            inference.generate_images("sagan_cifar10", 2, label=bad)
    with pytest.raises(ValueError, match="'dcgan_cifar10' is not class-conditional"):
        inference.generate_images("dcgan_cifar10", 2, label="horse")
    assert main(["generate", "--model", "sagan_cifar10", "-n", "4", "--seed", "3", "--label", "horse", "--out",
                 str(tmp_path / "h.png")]) in (0, None)
    from models import images
    assert np.array_equal(np.asarray(Image.open(tmp_path / "h.png")), images.make_grid(horses, ncol=4))
    assert main(["generate", "--model", "sagan_cifar10", "--label", "unicorn", "--out", str(tmp_path / "u.png")]) == 2
    assert "Unknown label 'unicorn'" in capsys.readouterr().err


def test_generate_images_is_seeded_and_extends(weights_dir):
    from models import inference
    from tests.conftest import export_tiny_imagegan
    export_tiny_imagegan(weights_dir, "sagan_cifar10", image_size=32, sagan=True)
    a = inference.generate_images("sagan_cifar10", 5, seed=3)
    assert a.shape == (5, 32, 32, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, inference.generate_images("sagan_cifar10", 8, seed=3)[:5])
    assert not np.array_equal(a, inference.generate_images("sagan_cifar10", 5, seed=4))
    walk = inference.interpolate_images("sagan_cifar10", 3, 4, steps=6)
    assert walk.shape == (6, 32, 32, 3)
    np.testing.assert_array_equal(walk[0], a[0])
    with pytest.raises(ValueError, match="n must be"):
        inference.generate_images("sagan_cifar10", 0)


def test_cli_generates_and_upscales_faces(weights_dir, tmp_path):
    from PIL import Image

    from models.__main__ import main
    from tests.conftest import export_tiny_imagegan, export_tiny_sr
    export_tiny_imagegan(weights_dir, "dcgan_faces64")
    export_tiny_sr(weights_dir, name="srgan_faces")
    assert main(["generate", "-n", "4", "--ncol", "2", "--upscale", "--out", str(tmp_path / "g.png")]) == 0
    assert Image.open(tmp_path / "g.png").size == (2 * 258 + 2, 2 * 258 + 2)


SHIPPED_IMAGE_GANS = sorted(m["name"] for m in inference.list_models("images"))


@pytest.mark.shipped
@pytest.mark.parametrize("name", SHIPPED_IMAGE_GANS)
def test_shipped_image_gan_samples_are_varied_pictures(name):
    """Not collapsed to one image, not flat noise: samples differ from each other about as much as real
    images do, and each has structure (contrast) of its own."""
    images = inference.generate_images(name, 64, seed=5)
    assert np.array_equal(images, inference.generate_images(name, 64, seed=5))  # same seed, same pictures
    batch = images.astype(np.float32) / 255.0
    assert np.mean(batch.std(axis=(1, 2, 3))) > 0.1  # each picture has contrast
    flat = batch.reshape(64, -1)
    pairwise = np.abs(flat[:32] - flat[32:]).mean(axis=1)
    assert pairwise.min() > 0.05  # no two samples alike: no mode collapse


def test_checkerboard_finds_a_2_pixel_pattern_and_not_smooth_detail():
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(0)
    smooth = np.stack([np.clip(128 + 60 * gaussian_filter(rng.standard_normal((64, 64, 3)), (2, 2, 0)) * 4, 0, 255)
                       for _ in range(4)]).astype(np.uint8)
    board = (np.indices((64, 64)).sum(axis=0) % 2 * 2 - 1)[..., None] * 6  # +-6 grey levels, period 2
    checked = np.clip(smooth.astype(int) + board, 0, 255).astype(np.uint8)
    assert quality.checkerboard(smooth) < 2.0 < 5.0 < quality.checkerboard(checked)
    with pytest.raises(ValueError, match="upsample must be one of transpose, resize"):
        imagegan.image_generator(upsample="bilinear")


def test_keep_best_exports_the_generator_of_the_lowest_distance(tmp_path, weights_dir, monkeypatch):
    """A GAN can get worse late in a run: with --keep-best the export is the generator measured best (kept, with
    its step, in the run folder and the parked one), not the last one."""
    from models.weights import load_model, read_manifest
    from training import dcgan
    distances = iter([5.0, 3.0, 4.0])  # step 2 is the best of steps 1, 2, 3
    monkeypatch.setattr(dcgan.perceptual, "frechet_features", lambda net, weights, size: FrechetFeatures(
        net, None, size))
    monkeypatch.setattr(dcgan.FrechetMeter, "distance", lambda self, batch: next(distances, 9.0))
    kept = {}
    real_keep = dcgan.keep_if_best

    def spy(generator, step, distance, out, park=None, seconds=None):
        if real_keep(generator, step, distance, out, park, seconds):
            kept[step] = generator.get_weights()
    monkeypatch.setattr(dcgan, "keep_if_best", spy)
    tar = tiny_cifar_tar(tmp_path / "c.tar.gz")
    common = ["--name", "best_tiny", "--data", str(tar), "--g-feat", "4", "--d-feat", "4", "--batch-size", "4",
              "--ckpt-every", "1", "--fd-every", "1", "--fd-samples", "4", "--keep-best", "--out",
              str(tmp_path / "run"), "--park", str(tmp_path / "park"), "--weights-dir", str(weights_dir)]
    dcgan.main(common + ["--steps", "3", "--export"])
    assert sorted(kept) == [1, 2]
    seconds = {int(r["step"]): float(r["seconds"]) for r in csv.DictReader(open(tmp_path / "run" / "eval.csv"))}
    assert json.loads((tmp_path / "park" / "best.json").read_text()) == {"step": 2, "frechet": 3.0,
                                                                          "seconds": seconds[2]}
    entry = read_manifest(weights_dir)["best_tiny"]
    assert entry["steps"] == 2 and entry["selected"]["step"] == 2 and entry["selected"]["run_steps"] == 3
    assert entry["train_time_s"] == round(seconds[2])  # the training time to the step exported, not to the end
    for a, b in zip(load_model("best_tiny").get_weights(), kept[2]):
        np.testing.assert_array_equal(a, b)
    distances = iter([7.0])  # a fresh run in the same folders: the old best (3.0) is not its best
    kept.clear()
    dcgan.main(common + ["--steps", "1", "--fresh"])
    assert sorted(kept) == [1] and dcgan.read_best(tmp_path / "run")["frechet"] == 7.0
