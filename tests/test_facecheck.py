"""The face-detector check's plumbing (the detector itself runs in its own environment, see tools/)."""

import json
import sys

import pytest

from tests.conftest import export_tiny_imagegan
from training import facecheck

FAKE_DETECTOR = """#!{python}
import json, sys
from pathlib import Path
args = [a for a in sys.argv[2:] if not a.startswith("--") and not a.isdigit()]
out = {{"detector": "fake", "upscale": 128}}
for folder in args:
    n = len(list(Path(folder).glob("*.png")))
    out[folder] = {{"images": n, "faces": n if folder.endswith("real") else n // 2}}
print(json.dumps(out))
"""


def test_facecheck_compares_generated_and_real_shares_and_records_them(tmp_path, weights_dir):
    from PIL import Image
    export_tiny_imagegan(weights_dir, "dcgan_faces64", image_size=64)
    real = tmp_path / "real"
    real.mkdir()
    for i in range(4):
        Image.new("RGB", (80, 90), (i * 40, 100, 100)).save(real / f"{i}.jpg")
    fake = tmp_path / "python"
    fake.write_text(FAKE_DETECTOR.format(python=sys.executable))
    fake.chmod(0o755)
    result = facecheck.main(["--real", str(real), "--n", "4", "--python", str(fake), "--weights-dir",
                             str(weights_dir), "--export"])
    assert result["generated"] == 0.5 and result["real"] == 1.0 and result["gap_points"] == 50.0
    entry = json.loads((weights_dir / "manifest.json").read_text())["models"]["dcgan_faces64"]
    assert entry["metrics"]["face_detected"]["images"] == 4
    with pytest.raises(SystemExit, match="make facecheck-env"):
        facecheck.detect([real], tmp_path / "no-python")
