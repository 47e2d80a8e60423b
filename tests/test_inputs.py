"""Image folders as tf.data input (training/inputs.py): every format a folder may hold, decoded as Pillow does;
the SR pipeline streams files, the same batches with or without the in-memory cache."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.test_sr_training import photo
from training import inputs


def pillow_rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture
def folder(tmp_path):
    """One image per format, 40x30 px: RGB JPEG, grey PNG, RGBA PNG, 16-bit grey PNG, BMP, GIF, WebP, and a
    TIFF that TensorFlow cannot decode (in a subfolder: folders are read recursively)."""
    rgb = photo(30, 40, seed=3)
    (tmp_path / "sub").mkdir()
    Image.fromarray(rgb).save(tmp_path / "a.jpg", quality=75)
    Image.fromarray(rgb[..., 0]).save(tmp_path / "b_grey.png")
    Image.fromarray(np.dstack([rgb, np.full((30, 40), 128, np.uint8)])).save(tmp_path / "c_alpha.png")
    Image.fromarray((rgb[..., 1].astype(np.uint16) * 257)).save(tmp_path / "d_16bit.png")
    Image.fromarray(rgb).save(tmp_path / "e.bmp")
    Image.fromarray(rgb).save(tmp_path / "sub" / "f.gif")
    Image.fromarray(rgb).save(tmp_path / "sub" / "g.webp", lossless=True)
    Image.fromarray(rgb).save(tmp_path / "sub" / "h.tif")
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def test_every_format_decodes_as_pillow_does(folder, capsys):
    paths = inputs.list_images(folder)
    assert [p.rsplit("/", 1)[-1] for p in paths] == ["a.jpg", "b_grey.png", "c_alpha.png", "d_16bit.png", "e.bmp",
                                                      "f.gif", "g.webp"]
    assert "2 files left out" in capsys.readouterr().out  # the TIFF and the text file, said once
    decoded = list(inputs.read_images(paths))
    for path, image in zip(paths, decoded):
        assert image.shape == (30, 40, 3) and image.dtype == np.uint8, path
        expected = pillow_rgb(path)
        if path.endswith("d_16bit.png"):  # Pillow cannot convert 16-bit grey to RGB: the top 8 bits
            expected = np.repeat((np.asarray(Image.open(path)) >> 8).astype(np.uint8)[..., None], 3, 2)
        # JPEG too: the accurate DCT decodes exactly as Pillow (TensorFlow's default fast DCT does not)
        np.testing.assert_array_equal(image, expected, err_msg=path)


def test_list_images_keeps_photos_large_enough_and_says_when_none_is(tmp_path):
    for name, (h, w) in {"small.png": (50, 200), "big.png": (80, 90)}.items():
        Image.fromarray(photo(h, w)).save(tmp_path / name)
    assert [p.rsplit("/", 1)[-1] for p in inputs.list_images(tmp_path, min_size=64)] == ["big.png"]
    with pytest.raises(SystemExit, match="no photo .* is at least 96x96"):
        inputs.list_images(tmp_path, min_size=96)
    with pytest.raises(SystemExit, match="no images found"):
        inputs.list_images(tmp_path / "missing")


def test_a_corrupt_file_stops_the_pipeline_with_an_error(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(photo(30, 40)).save(buf, "PNG")
    (tmp_path / "cut.png").write_bytes(buf.getvalue()[:60])
    with pytest.raises(Exception, match="(?i)png|invalid|corrupt|truncat"):
        list(inputs.read_images(inputs.list_images(tmp_path)))


@pytest.mark.parametrize("degradation", ["bicubic", "realworld"])
def test_sr_batches_are_the_same_streamed_or_cached_and_for_a_seed(tmp_path, degradation):
    from training.sr import make_dataset
    paths = []
    for s in range(5):
        paths.append(tmp_path / f"{s}.jpg")
        Image.fromarray(photo(70 + 10 * s, 90, seed=s)).save(paths[-1], quality=90)

    def batches(cache, seed=0):
        ds = make_dataset(paths, 64, 3, seed=seed, degradation=degradation, cache=cache)
        return [b.numpy() for pair in ds.take(4) for b in pair]

    cached = batches("memory")
    for a, b in zip(cached, batches("none")):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(cached, batches("memory")):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(cached[1], batches("memory", seed=1)[1])
    # every HR crop is a crop of one of the photos, as Pillow decodes them (up to flips and rotations)
    hr = (cached[1][0] * 255).round().astype(np.uint8)
    views = [np.rot90(v, k) for p in paths for v in (pillow_rgb(p), pillow_rgb(p)[:, ::-1]) for k in range(4)]
    assert any(np.array_equal(hr, v[i:i + 64, j:j + 64]) for v in views
               for i in range(v.shape[0] - 63) for j in range(v.shape[1] - 63))
