"""Image helpers and the Frechet distance."""

import io

import numpy as np
import pytest
from PIL import Image

from models import images
from training.metrics import frechet_distance


def test_to_uint8_maps_tanh_range_and_drops_channel():
    out = images.to_uint8(np.array([[[[-1.0], [0.0], [1.0], [2.0]]]]))
    assert out.dtype == np.uint8 and out.shape == (1, 1, 4)
    assert out.ravel().tolist() == [0, 128, 255, 255]


def test_make_grid_layout():
    tiles = np.stack([np.full((4, 5), i, np.uint8) for i in range(1, 8)])
    grid = images.make_grid(tiles, ncol=3, pad=1)
    assert grid.shape == (3 * 5 + 1, 3 * 6 + 1)
    assert grid[1, 1] == 1 and grid[1, 7] == 2 and grid[6, 1] == 4  # row-major
    assert grid[0, 0] == 0  # padding
    with pytest.raises(ValueError):
        images.make_grid(np.zeros((0, 4, 4), np.uint8))


def test_rows_by_class_gathers_each_class_into_one_run():
    labels = np.tile(np.arange(3), 4)  # made with the classes in turn: 0 1 2 0 1 2 ...
    batch = np.stack([np.full((2, 2, 3), 20 * c + i) for i, c in enumerate(labels)]).astype(np.uint8)
    rows = images.rows_by_class(batch, 3)
    assert rows.shape == batch.shape
    assert [int(img[0, 0, 0]) // 20 for img in rows] == [0] * 4 + [1] * 4 + [2] * 4
    assert [int(img[0, 0, 0]) for img in rows[:4]] == [0, 3, 6, 9]  # each class keeps its order


def test_png_and_gif_round_trip():
    frames = [np.full((8, 8), v, np.uint8) for v in (0, 100, 200)]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(images.png_bytes(frames[1])))), frames[1])
    gif = Image.open(io.BytesIO(images.gif_bytes(frames, boomerang=True)))
    assert gif.n_frames == 4  # 0, 100, 200, 100
    # colour frames through the fast 256-colour palette: a 4,096-colour gradient comes back within a few levels
    # (5.3 of 255 on average; Pillow's slower median cut: 3.6)
    yy, xx = np.mgrid[0:64, 0:64]
    colour = np.stack([xx * 4, yy * 4, (xx + yy) * 2], -1).astype(np.uint8)
    gif = Image.open(io.BytesIO(images.gif_bytes([colour, colour[::-1]])))
    for k, expected in enumerate([colour, colour[::-1]]):
        gif.seek(k)
        back = np.asarray(gif.convert("RGB")).astype(int)
        assert np.abs(back - expected).mean() < 8, k


def test_frechet_distance_zero_for_same_set_and_grows_with_noise():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2000, 8))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    d_small = frechet_distance(a, a + 0.1 * rng.standard_normal(a.shape))
    d_large = frechet_distance(a, a + 1.0 * rng.standard_normal(a.shape))
    assert 0 < d_small < d_large
    assert frechet_distance(a, a + 3.0) == pytest.approx(8 * 9.0, rel=1e-6)  # mean shift of 3 in 8 dims


def test_frechet_features_squeezenet_and_the_standard_fid_network():
    """Both feature networks give one pooled vector per image at any input size; InceptionV3 is built at 299 px
    (untrained here: its ImageNet weights are downloaded only where a user asks for them)."""
    from training.perceptual import FrechetFeatures, frechet_features
    batch = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), np.uint8)
    squeeze = FrechetFeatures("squeezenet", None, min_size=96)
    assert squeeze(batch, chunk=2).shape == (3, 512) and "96 px" in squeeze.name
    inception = FrechetFeatures("inception", None)
    assert inception(batch).shape == (3, 2048) and inception.name.startswith("InceptionV3")
    with pytest.raises(ValueError, match="unknown Frechet network"):
        FrechetFeatures("vgg", None)
    assert frechet_features("squeezenet", "/nonexistent/squeezenet.h5") is None  # runs go on without it


def test_ssim_in_bands_equals_ssim_of_the_whole_image():
    """The SSIM map is computed a band of rows at a time (bounded memory for 4-megapixel photos): same number."""
    import numpy as np

    from models import quality
    rng = np.random.default_rng(0)
    for h, w in ((600, 500), (300, 257), (19, 30)):
        a = rng.integers(0, 256, (h, w, 3), np.uint8)
        b = np.clip(a.astype(int) + rng.integers(-30, 31, a.shape), 0, 255).astype(np.uint8)
        whole = quality.ssim_y(a, b, band=10**9)
        assert abs(quality.ssim_y(a, b, band=64) - whole) < 1e-12 and 0.5 < whole < 1.0


def test_ssim_is_wang_et_al_s():
    """ssim_y equals SSIM written out the textbook way (scipy's Gaussian filter, the whole map at once)."""
    import numpy as np
    from scipy.ndimage import gaussian_filter

    from models import quality
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (90, 70, 3), np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-40, 41, a.shape), 0, 255).astype(np.uint8)
    ya, yb = (quality.rgb_to_y(x)[4:-4, 4:-4] for x in (a, b))
    mu_a, mu_b = (gaussian_filter(y, 1.5, truncate=3.5) for y in (ya, yb))
    var_a = gaussian_filter(ya * ya, 1.5, truncate=3.5) - mu_a ** 2
    var_b = gaussian_filter(yb * yb, 1.5, truncate=3.5) - mu_b ** 2
    cov = gaussian_filter(ya * yb, 1.5, truncate=3.5) - mu_a * mu_b
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    assert abs(quality.ssim_y(a, b) - ssim_map[5:-5, 5:-5].mean()) < 1e-12
