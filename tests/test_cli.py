"""`python -m models`: list, digits grid and walk, and a clear non-zero exit on bad arguments."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from models import inference
from models.__main__ import main
from tests.conftest import ROOT

pytestmark = pytest.mark.shipped


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("gan", "cgan", "dcgan", "cdcgan", "digit_judge"):
        assert name in out


def test_digits_grid_png(tmp_path):
    out = tmp_path / "grid.png"
    assert main(["digits", "--variant", "cdcgan", "-n", "20", "--digit", "3", "--scale", "1", "--out", str(out)]) == 0
    img = np.asarray(Image.open(out))
    assert img.shape == (2 * 30 + 2, 10 * 30 + 2)


def test_digits_walk_gif(tmp_path):
    out = tmp_path / "walk.gif"
    assert main(["digits", "--variant", "gan", "--walk", "1", "2", "--frames", "5", "--out", str(out)]) == 0
    assert Image.open(out).n_frames == 8  # boomerang: 5 forward, 3 back


def test_bad_arguments_exit_nonzero_with_a_message():
    proc = subprocess.run([sys.executable, "-m", "models", "digits", "--variant", "dcgan", "--digit", "3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "unconditional" in proc.stderr and "Traceback" not in proc.stderr


def test_long_options_are_not_abbreviated(capsys):
    """`--n 100` must not pass as `--ncol 100` (-n is the count)."""
    with pytest.raises(SystemExit) as stop:
        main(["digits", "--variant", "gan", "--n", "100", "--out", "unused.png"])
    assert stop.value.code == 2 and "unrecognized arguments: --n" in capsys.readouterr().err


def test_readme_model_tables_are_the_manifest():
    """docs/models.md's numbers come from `python -m models table --readme docs/models.md`; rerun it after retraining."""
    from models.__main__ import TABLES
    readme = (ROOT / "docs" / "models.md").read_text()
    tasks = {m.get("task") for m in inference.list_models()}
    for marker, make in TABLES.items():
        if marker.split("-")[0] not in tasks:
            continue
        start, end = readme.index(f"<!-- {marker} -->"), readme.index(f"<!-- /{marker} -->")
        assert readme[start:end].split("\n", 1)[1].strip() == make().strip(), marker


def test_image_gan_and_pix2pix_tables_show_the_measured_numbers(weights_dir):
    from models.__main__ import images_table, pix2pix_table
    from tests.conftest import export_tiny_imagegan, export_tiny_pix2pix
    from training import export
    entry = export_tiny_imagegan(weights_dir, "sagan_cifar10", image_size=32, sagan=True)
    entry["metrics"] = {"frechet": 41.5, "frechet_best": 39.25, "frechet_real_test_vs_train": 2.5,
                        "frechet_blurred_train": 60.75}
    export.write_manifest_entry(weights_dir, "sagan_cifar10", entry)
    entry = export_tiny_pix2pix(weights_dir, "faces")
    entry["metrics"] = {"images": 500, "l1": 0.09, "mean_photo_l1": 0.2, "ssim": 0.41, "mean_photo_ssim": 0.3,
                        "frechet": 30.5, "frechet_mean_photo": 180.25, "frechet_real_train_vs_val": 4.5,
                        "frechet_share_of_baseline": 0.169}
    entry["loss"] = {"adversarial": 1.0, "l1": 100.0, "perceptual": 0.5}
    export.write_manifest_entry(weights_dir, "pix2pix_faces", entry)
    row = images_table().splitlines()[-1]
    assert "`sagan_cifar10`" in row and "| 41.5 | 39.25 | 2.5 | 60.75 |" in row
    row = pix2pix_table().splitlines()[-1]
    assert "`pix2pix_faces`" in row and "| 500 | 0.09 (0.2) | 0.41 (0.3) | 30.5 (180.25; 4.5) | 0.169 |" in row
    assert "| GAN + 100 L1 + 0.5 SqueezeNet fire3/fire5 features |" in row


@pytest.mark.parametrize("argv,message", [
    (["digits", "--seed", "-1"], "argument --seed: must be from 0"),
    (["digits", "--scale", "2000"], "argument --scale: must be from 1 to 16"),
    (["sketch2photo", "x.png", "--out", "o", "--variation", str(2 ** 70)], "argument --variation: must be from 0"),
])
def test_flags_out_of_range_name_the_flag(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_out_with_a_suffix_we_do_not_write_is_refused(tmp_path, capsys):
    assert main(["digits", "--variant", "cdcgan", "-n", "2", "--out", str(tmp_path / "grid.jpg")]) == 2
    assert "--out must end in .png" in capsys.readouterr().err and not (tmp_path / "grid.jpg").exists()
