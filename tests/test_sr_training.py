"""Super-resolution pieces that need no shared data: protocol metrics, degradation, Keras-2 weight copying,
and a tiny train -> export -> evaluate run on synthetic photos."""

import json

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from models import sr
from training import perceptual
from training import sr as train_sr
from models.quality import psnr_y, ssim_y


def photo(h=64, w=80, seed=0):
    """A smooth synthetic 'photo': gradients and a few soft discs (has detail bicubic can't restore)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    img = np.stack([x, y, 0.5 * (x + y)], -1)
    for _ in range(6):
        cy, cx, r = rng.random(3) * [h, w, 12] + [0, 0, 3]
        img[(np.mgrid[0:h, 0:w][0] - cy) ** 2 + (np.mgrid[0:h, 0:w][1] - cx) ** 2 < r ** 2] = rng.random(3)
    return (img * 255).clip(0, 255).astype(np.uint8)


def test_psnr_and_ssim_protocol():
    a = photo()
    assert psnr_y(a, a) == float("inf") and ssim_y(a, a) == pytest.approx(1.0)
    noisy = np.clip(a + np.random.default_rng(0).normal(0, 8, a.shape), 0, 255).astype(np.uint8)
    assert 25 < psnr_y(noisy, a) < 40 and ssim_y(noisy, a) < 0.99
    # the border is excluded: damage only the outer 4 pixels and nothing is measured
    framed = a.copy()
    framed[:4] = 0
    assert psnr_y(framed, a, border=4) == float("inf")


def test_downscale_crops_to_a_multiple_and_bicubic_restores_the_size():
    lr, hr = sr.downscale(photo(67, 81))
    assert hr.shape == (64, 80, 3) and lr.shape == (16, 20, 3) and lr.dtype == np.uint8
    up = sr.bicubic_upscale(lr)
    assert up.shape == hr.shape and 20 < psnr_y(up, hr) < 60


def test_keras2_h5_weights_are_copied_by_layer_name(tmp_path):
    model = perceptual.squeezenet(("fire2",), weights=None)
    path = tmp_path / "keras2.h5"
    rng = np.random.default_rng(0)
    expected = {}
    with h5py.File(path, "w") as f:
        names = ["conv1", "fire2/squeeze1x1", "fire2/expand1x1", "fire2/expand3x3", "fire9/squeeze1x1"]
        f.attrs["layer_names"] = [n.encode() for n in names]
        for n in names:
            layer = model.get_layer(n.replace("/", "_")) if not n.startswith("fire9") else None
            shapes = [w.shape for w in layer.weights] if layer else [(1, 1, 512, 64), (64,)]
            arrays = [rng.standard_normal(s).astype("float32") for s in shapes]
            g = f.create_group(n)
            g.attrs["weight_names"] = [f"{n}_{i}".encode() for i in range(len(arrays))]
            for i, arr in enumerate(arrays):
                g[f"{n}_{i}"] = arr
            expected[n] = arrays
    perceptual.load_keras2_h5(model, path)  # fire9 is deeper than the model: skipped
    for n in ["conv1", "fire2/expand3x3"]:
        for got, want in zip(model.get_layer(n.replace("/", "_")).get_weights(), expected[n]):
            np.testing.assert_array_equal(got, want)


def test_tiny_sr_run_trains_exports_and_evaluates(tmp_path, weights_dir):
    train_dir, val_dir = tmp_path / "train", tmp_path / "val"
    for d, seeds in ((train_dir, range(4)), (val_dir, range(10, 12))):
        d.mkdir()
        for s in seeds:
            Image.fromarray(photo(64, 64, s)).save(d / f"p{s}.png")
    train_sr.main(["--name", "tiny_sr", "--data", str(train_dir), "--val", str(val_dir), "--steps", "4",
                   "--ckpt-every", "2", "--batch-size", "2", "--hr-size", "32", "--preset", "small",
                   "--out", str(tmp_path / "run"), "--export", "--weights-dir", str(weights_dir),
                   "--no-perceptual-eval"])
    entry = json.loads((weights_dir / "manifest.json").read_text())["models"]["tiny_sr"]
    assert entry["task"] == "sr" and entry["steps"] == 4
    m = entry["metrics"]
    assert m["images"] == 2 and {"psnr", "ssim", "bicubic_psnr", "gain_db", "worst_gain_db"} <= set(m)
    assert (tmp_path / "run" / "eval.csv").read_text().startswith("step,seconds,val_psnr")
    d = entry["metrics_degraded"]  # the seeded "upload" copy of the val photos: noisier, so bicubic scores less
    assert d["images"] == 2 and d["bicubic_psnr"] < m["bicubic_psnr"]
    assert entry["serve_dtype"] in ("float32", "bfloat16") and "bfloat16_psnr" in entry["precision"]
    assert entry["degradation"] == "bicubic" and entry["loss"] == {"pixel_l1": 1.0}


def test_realworld_training_with_the_grid_loss_records_both(tmp_path, weights_dir):
    train_dir = tmp_path / "train"
    train_dir.mkdir()
    for s in range(3):
        Image.fromarray(photo(80, 80, s)).save(train_dir / f"p{s}.png")
    train_sr.main(["--name", "tiny_real", "--data", str(train_dir), "--steps", "2", "--ckpt-every", "2",
                   "--batch-size", "2", "--hr-size", "64", "--degradation", "realworld", "--w-grid", "10", "--log-every", "1",
                   "--pixel-loss", "l2", "--out", str(tmp_path / "run"), "--export", "--weights-dir", str(weights_dir)])
    entry = json.loads((weights_dir / "manifest.json").read_text())["models"]["tiny_real"]
    assert entry["degradation"].startswith("realworld (0.5 of crops") and entry["loss"]["grid"] == 10.0
    assert entry["loss"]["pixel_l2"] == 1.0 and "pixel_l1" not in entry["loss"]
    assert "grid" in (tmp_path / "run" / "log.csv").read_text().splitlines()[0]


def test_pixel_loss_l1_or_l2():
    hr = tf.constant(np.full((1, 16, 16, 3), 0.5, np.float32))
    net = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.UpSampling2D(4)])
    lr = hr[:, ::4, ::4] + 0.2  # the "SR" is off by 0.2 everywhere
    for kind, expected in (("l1", 0.2), ("l2", 0.04)):
        model = train_sr.SRGAN(net, pixel_loss=kind)
        model.compile(keras.optimizers.Adam())
        _, parts = model.generator_losses(lr, hr)
        assert abs(float(parts["pixel"]) - expected) < 1e-5
    with pytest.raises(ValueError, match="l1 or l2"):
        train_sr.SRGAN(net, pixel_loss="l3")


def test_grid_loss_and_mesh_score_see_a_mesh_and_not_real_detail():
    import tensorflow as tf
    from models.quality import mesh_score
    hr = photo(256, 256, seed=1).astype(np.float32)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 6, hr.shape)  # detail with no period
    mesh = np.tile(rng.normal(0, 6, (4, 4, 1)), (64, 64, 3))  # the same dot pattern in every 4x4 cell
    base = sr.bicubic_upscale(sr.downscale(hr.astype(np.uint8))[0]).astype(np.float32)
    as_u8 = lambda x: np.clip(x, 0, 255).astype(np.uint8)  # noqa: E731
    assert mesh_score(as_u8(base + mesh), as_u8(base)) > 5 * mesh_score(as_u8(base + noise), as_u8(base))
    assert mesh_score(as_u8(base + noise), as_u8(base)) < 1.6
    loss = lambda x: float(train_sr.grid_frequency_loss(tf.constant(x[None] / 255.0, tf.float32),  # noqa: E731
                                                        tf.constant(hr[None] / 255.0, tf.float32)))
    assert loss(hr + mesh) > 5 * loss(hr + noise) and loss(hr) == 0.0
