"""Do generated faces look like faces to a detector that owes nothing to our networks?

    make facecheck-env                      # once: .venv-facecheck with mediapipe (its pins clash with ours)
    python -m training.facecheck --model dcgan_faces64 --real ../shared/data/faces/val --export

Writes ``--n`` faces from the model (seed 0) and as many real photos, centre-cropped and reduced to the model's
size, as PNG files into a temporary folder; runs ``tools/detect_faces.py`` (MediaPipe's BlazeFace, whose weights
ship inside the wheel) on both in the separate environment; reports the share of images with a face found in
each, and with ``--export`` writes them into the model's manifest entry (``metrics.face_detected``). Target
(issue 22): the generated share within 10 points of the real photos'.
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path


from models import images
from models.weights import DEFAULT_DIR, read_manifest
from training import export, inputs
from training.dcgan import centre_squares

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv-facecheck" / "bin" / "python"
SCRIPT = ROOT / "tools" / "detect_faces.py"


def detect(folders, python=PYTHON, upscale=128, confidence=0.5):
    """The detector's JSON for ``folders`` (see ``tools/detect_faces.py``), run with ``python``."""
    if not Path(python).exists():
        raise SystemExit(f"{python} not found: run `make facecheck-env` first (a venv with mediapipe)")
    out = subprocess.run([str(python), str(SCRIPT), *map(str, folders), "--upscale", str(upscale),
                          "--confidence", str(confidence)],
                         capture_output=True, text=True, timeout=3600)
    if out.returncode:
        raise SystemExit(f"the face detector failed: {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m training.facecheck", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="dcgan_faces64", help="an image GAN of faces in the manifest")
    parser.add_argument("--real", required=True, help="a folder of real face photos, e.g. faces/val")
    parser.add_argument("--n", type=int, default=500, help="faces of each kind (default %(default)s)")
    parser.add_argument("--confidence", type=float, default=0.5,
                        help="the detector's minimum confidence (default %(default)s, MediaPipe's)")
    parser.add_argument("--python", type=Path, default=PYTHON, help="the detector environment's python")
    parser.add_argument("--weights-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--export", action="store_true", help="write the shares into the manifest entry")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error(f"--n must be a positive whole number, got {args.n}")
    import os  # noqa: PLC0415
    os.environ["GAN_STUDIO_WEIGHTS"] = str(args.weights_dir)
    from models import inference  # noqa: PLC0415
    entry = read_manifest(args.weights_dir).get(args.model)
    if entry is None:
        raise SystemExit(f"no model {args.model!r} in {args.weights_dir}")
    size = entry["args"]["image_size"]
    fakes = inference.generate_images(args.model, args.n, seed=0)
    real = centre_squares(inputs.list_images(args.real)[:args.n], size)
    with tempfile.TemporaryDirectory() as tmp:
        folders = {"generated": Path(tmp) / "generated", "real": Path(tmp) / "real"}
        for kind, batch in (("generated", fakes), ("real", real)):
            folders[kind].mkdir()
            for i, img in enumerate(batch):
                (folders[kind] / f"{i:05d}.png").write_bytes(images.png_bytes(img))
        found = detect(folders.values(), args.python, confidence=args.confidence)
    shares = {kind: found[str(folder)]["faces"] / found[str(folder)]["images"] for kind, folder in folders.items()}
    result = {"generated": round(shares["generated"], 3), "real": round(shares["real"], 3),
              "gap_points": round(100 * (shares["real"] - shares["generated"]), 1), "images": int(len(fakes)),
              "real_images": int(len(real)), "size": size, "detector": found["detector"],
              "upscaled_to": found["upscale"], "real_data": str(args.real),
              "command": f"python -m training.facecheck --model {args.model} --real {args.real} --n {args.n}"
                         + (f" --confidence {args.confidence:g}" if args.confidence != 0.5 else "")}
    print(json.dumps(result))
    if args.export:
        key = "face_detected" if args.confidence == 0.5 else f"face_detected_{args.confidence:g}"
        entry.setdefault("metrics", {})[key] = result
        export.write_manifest_entry(args.weights_dir, args.model, entry)
    return result


if __name__ == "__main__":
    main()
