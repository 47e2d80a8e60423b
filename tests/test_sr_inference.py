"""upscale(): tiling equals whole-image inference, every input layout, argument checks."""

import numpy as np
from PIL import Image
import pytest

from models import inference, sr
from models.weights import read_manifest
from tests.conftest import SHIPPED, export_tiny_sr
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
    assert np.abs(tiled.astype(int) - whole.astype(int)).max() <= 1  # each pixel from a tile where it sees all it needs
    assert len(calls) > 4 and calls[-1][0] == calls[-1][1]  # several tiles, progress reaches the total
    assert not np.array_equal(whole, sr.bicubic_upscale(img))  # the network does contribute


def test_memory_is_bounded_by_the_tile_not_the_image(tiny_sr):
    """The uint8 output is the only full-size buffer: tiles are written straight into it (the old cross-fade
    kept two float32 full-size buffers, 16 bytes per output pixel more)."""
    import tracemalloc
    img = photo(160, 200, seed=4)
    inference.upscale(img, tiny_sr, tile=64)  # trace and load outside the measurement
    tracemalloc.start()
    try:
        out = inference.upscale(img, tiny_sr, tile=64)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.dtype == np.uint8 and out.shape == (640, 800, 3)
    tile_floats = (64 * 4) ** 2 * 3 * 4  # one tile's float32 result
    assert peak < out.nbytes + 4 * tile_floats, (peak, out.nbytes)


def test_default_model_is_realsr_when_shipped(weights_dir):
    assert inference.default_sr_model() == "realsr"  # nothing shipped: the preferred name
    export_tiny_sr(weights_dir, "srresnet")
    assert inference.default_sr_model() == "srresnet"
    export_tiny_sr(weights_dir, "realsr")
    assert inference.default_sr_model() == "realsr"
    assert inference.upscale(photo(20, 24)).shape == (80, 96, 3)


def test_bfloat16_serving_follows_the_manifest_and_the_cpu(tiny_sr, weights_dir, monkeypatch):
    from models import weights
    from training import export
    entry = read_manifest(weights_dir)[tiny_sr]
    assert weights.serving_dtype(entry) == "float32"  # not measured: full precision
    entry["serve_dtype"] = "bfloat16"
    export.write_manifest_entry(weights_dir, tiny_sr, entry)
    monkeypatch.setattr(weights, "cpu_has_bf16", lambda: True)
    assert weights.serving_dtype(entry) == "bfloat16"
    img = photo(24, 24, seed=5)
    fast = inference.upscale(img, tiny_sr)
    monkeypatch.setenv(weights.DTYPE_ENV, "float32")
    exact = inference.upscale(img, tiny_sr)
    assert 0 < np.abs(fast.astype(int) - exact.astype(int)).max() <= 3  # bfloat16 really ran, and is close
    monkeypatch.delenv(weights.DTYPE_ENV)
    monkeypatch.setattr(weights, "cpu_has_bf16", lambda: False)
    assert weights.serving_dtype(entry) == "float32"  # emulated bfloat16 would be slower


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


def test_cli_upscales_files_and_folders_keeping_alpha(tiny_sr, tmp_path, capsys):
    from models.__main__ import main
    (tmp_path / "in").mkdir()
    Image.fromarray(photo(20, 24, seed=1)).save(tmp_path / "in" / "a.jpg")
    rgba = np.dstack([photo(16, 12, seed=2), np.full((16, 12), 128, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "b.png")
    out = tmp_path / "out"
    assert main(["upscale", str(tmp_path / "in"), str(tmp_path / "b.png"), "--model", tiny_sr, "--out", str(out),
                 "--scale", "2"]) == 0
    a, b = Image.open(out / f"a_{tiny_sr}_x2.png"), Image.open(out / f"b_{tiny_sr}_x2.png")
    assert (a.mode, a.size, b.mode, b.size) == ("RGB", (48, 40), "RGBA", (24, 32))
    assert np.abs(np.asarray(b)[..., 3].astype(int) - 128).max() <= 1
    assert "tile 1/1" in capsys.readouterr().err  # the progress bar


def test_cli_stops_at_the_first_bad_file_unless_keep_going(tiny_sr, tmp_path, capsys):
    from models.__main__ import main
    (tmp_path / "1_bad.png").write_bytes(b"not an image")
    Image.fromarray(photo(20, 20, seed=1)).save(tmp_path / "2_good.png")
    out = tmp_path / "out"
    assert main(["upscale", str(tmp_path / "1_bad.png"), str(tmp_path / "2_good.png"), "--model", tiny_sr,
                 "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "1_bad.png: error: This file is not an image" in err and "Traceback" not in err
    assert not list(out.iterdir())  # stopped before the good file
    assert main(["upscale", str(tmp_path / "1_bad.png"), str(tmp_path / "2_good.png"), "--model", tiny_sr,
                 "--out", str(out), "--keep-going"]) == 1
    assert [p.name for p in out.iterdir()] == [f"2_good_{tiny_sr}_x4.png"]
    assert "1 of 2 files failed" in capsys.readouterr().err


SHIPPED_SR = sorted(n for n, e in read_manifest(SHIPPED).items() if e.get("task") == "sr" and n != "srgan_faces")
EXAMPLES = sorted((SHIPPED.parent / "assets" / "examples").glob("*.png"))


@pytest.mark.shipped
@pytest.mark.parametrize("name", SHIPPED_SR)
def test_shipped_sr_models_beat_bicubic_on_the_bundled_photos(name):
    """The example photos (public domain / CC0) as HR: reduced 4x, then upscaled by the model and by bicubic."""
    assert len(EXAMPLES) >= 4
    gains = []
    for path in EXAMPLES:
        rgb, _ = inference.decode_image(path.read_bytes())
        scores = inference.evaluate_upscale(rgb, name)
        gains.append(scores["psnr"] - scores["bicubic_psnr"])
    assert min(gains) > 0.0 if name == "srresnet" else np.mean(gains) > -1.5, gains


def test_cli_refuses_huge_and_special_files_before_reading_them(tiny_sr, tmp_path, capsys):
    from models.__main__ import main
    big = tmp_path / "huge.png"
    with open(big, "wb") as f:  # a sparse 3 GB file: refused from its size, never read
        f.truncate(3 * 1024 ** 3)
    assert main(["upscale", str(big), "/dev/zero", "--model", tiny_sr, "--out", str(tmp_path / "o"),
                 "--keep-going"]) == 1
    err = capsys.readouterr().err
    assert "3221.2 MB; the limit is" in err and "zero is not a regular file" in err


def test_cli_gives_inputs_with_the_same_stem_their_own_outputs(tiny_sr, tmp_path, capsys):
    from models.__main__ import main
    for sub, seed in (("a", 1), ("b", 2)):
        (tmp_path / sub).mkdir()
        Image.fromarray(photo(12, 12, seed)).save(tmp_path / sub / "same.png")
    out = tmp_path / "out"
    assert main(["upscale", str(tmp_path / "a"), str(tmp_path / "b"), "--model", tiny_sr, "--out", str(out)]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == ["same_tiny_sr_x4-2.png", "same_tiny_sr_x4.png"]  # nothing overwritten, no temp files left
    a, b = (np.asarray(Image.open(out / n)) for n in written)
    assert not np.array_equal(a, b)


def test_cli_checks_out_before_any_work_and_never_overwrites_silently(tiny_sr, tmp_path, capsys):
    from models.__main__ import main
    Image.fromarray(photo(12, 12, 1)).save(tmp_path / "a.png")
    not_a_folder = tmp_path / "taken.txt"
    not_a_folder.write_text("a file where the output folder should go")
    for out in (not_a_folder, not_a_folder / "sub"):  # an --out that cannot be written: said first, one line
        assert main(["upscale", str(tmp_path / "a.png"), "--model", tiny_sr, "--out", str(out), "--keep-going"]) == 2
        err = capsys.readouterr().err
        assert f"error: --out {out} is not a folder this can write into" in err and "tile" not in err
    out = tmp_path / "out"
    (out).mkdir()
    (out / f"a_{tiny_sr}_x4.png").write_text("an unrelated file of the same name")
    assert main(["upscale", str(tmp_path / "a.png"), "--model", tiny_sr, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "1 output file already exists" in err and "pass --overwrite to replace them" in err and "tile" not in err
    assert (out / f"a_{tiny_sr}_x4.png").read_text() == "an unrelated file of the same name"
    assert main(["upscale", str(tmp_path / "a.png"), "--model", tiny_sr, "--out", str(out), "--overwrite"]) == 0
    assert Image.open(out / f"a_{tiny_sr}_x4.png").size == (48, 48)


def test_cli_lists_what_it_skips_inside_folders(tiny_sr, tmp_path, capsys):
    import os

    from models.__main__ import main
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(photo(12, 12, 1)).save(folder / "a.png")
    os.mkfifo(folder / "pipe.png")
    (folder / "zero.png").symlink_to("/dev/zero")
    (folder / "loop.png").symlink_to(folder / "loop.png")
    (folder / "notes.txt").write_text("hello")
    assert main(["upscale", str(folder), "--model", tiny_sr, "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    for name, reason in (("pipe.png", "not a regular file"), ("zero.png", "not a regular file"),
                         ("loop.png", "a link that leads nowhere or to itself"), ("notes.txt", "not an image")):
        assert f"skipped {folder / name}: {reason}" in err, name
    assert [p.name for p in (tmp_path / "out").iterdir()] == [f"a_{tiny_sr}_x4.png"]
