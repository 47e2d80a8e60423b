"""upscale(): tiling equals whole-image inference, every input layout, argument checks."""

import numpy as np
import pytest

from models import inference, sr
from tests.conftest import export_tiny_sr
from tests.test_sr_training import photo


@pytest.fixture
def tiny_sr(weights_dir):
    export_tiny_sr(weights_dir)
    return "tiny_sr"


def test_tiled_equals_whole_image_within_2_grey_levels(tiny_sr):
    img = photo(150, 230, seed=3)
    whole = inference.upscale(img, tiny_sr, tile=512)  # fits in one tile
    calls = []
    tiled = inference.upscale(img, tiny_sr, tile=72, progress=lambda d, t: calls.append((d, t)))
    assert tiled.shape == whole.shape == (600, 920, 3)
    assert np.abs(tiled.astype(int) - whole.astype(int)).max() <= 2
    assert len(calls) > 4 and calls[-1][0] == calls[-1][1]  # several tiles, progress reaches the total
    assert not np.array_equal(whole, sr.bicubic_upscale(img))  # the network does contribute


@pytest.mark.parametrize("shape", [(40, 52), (40, 52, 1), (40, 52, 3), (40, 52, 4)])
def test_every_layout_keeps_its_channels(tiny_sr, shape):
    img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    out = inference.upscale(img, tiny_sr)
    assert out.dtype == np.uint8
    assert out.shape == (160, 208) + ((shape[2],) if len(shape) == 3 and shape[2] != 1 else ())


def test_alpha_is_enlarged_separately(tiny_sr):
    img = np.zeros((32, 32, 4), np.uint8)
    img[..., 3] = 255
    img[:, :16, 3] = 0
    out = inference.upscale(img, tiny_sr)
    assert (out[:, :56, 3] == 0).all() and (out[:, 72:, 3] == 255).all()


@pytest.mark.parametrize("scale,size", [(2, (64, 80)), (3, (96, 120))])
def test_scales_below_4_use_lanczos_after_x4(tiny_sr, scale, size):
    assert inference.upscale(photo(32, 40), tiny_sr, scale=scale).shape == size + (3,)


@pytest.mark.parametrize("kwargs,message", [
    ({"scale": 5}, "scale must be"),
    ({"tile": 20}, "tile must be"),
    ({"model": "cdcgan_missing"}, "Unknown model"),
])
def test_bad_arguments(tiny_sr, kwargs, message):
    with pytest.raises(ValueError, match=message):
        inference.upscale(photo(32, 32), **{"model": tiny_sr, **kwargs})


def test_bad_arrays(tiny_sr):
    with pytest.raises(ValueError, match="uint8"):
        inference.upscale(np.zeros((8, 8, 3), np.float32), tiny_sr)
    with pytest.raises(ValueError, match="too small"):
        inference.upscale(np.zeros((2, 8, 3), np.uint8), tiny_sr)
