"""Command line for the inference API.

    python -m models list
    python -m models table [--readme docs/models.md]  # the model tables, from weights/manifest.json
    python -m models digits --variant cdcgan -n 100 --digit 3 --seed 0 --out grid.png
    python -m models digits --variant dcgan --walk 0 1 --frames 24 --out walk.gif
    python -m models upscale photo.jpg folder/ --out upscaled/ [--model realsr] --scale 4 [--keep-going]
    python -m models sketch2photo drawing.png folder/ --domain shoes --out photos/ [--variation 3] [--keep-going]
    python -m models photo2sketch photo.jpg --domain faces --out sketches/
    python -m models generate --model dcgan_faces64 -n 16 --seed 0 [--upscale] --out grid.png
    python -m models generate --model dcgan_faces64 -n 8 --edit age=2 --edit male=-1 --out older_women.png
    python -m models generate --model sagan_cifar10 -n 16 --label horse --out horses.png   # a conditional model
"""

import argparse
import functools
import sys
import tempfile
from pathlib import Path

import numpy as np

from models import cards, images, inference, uploads


def cmd_list(args):
    rows = inference.list_models()
    if not rows:
        print("no models in weights/manifest.json")
    for m in rows:
        metrics = m.get("metrics", {})
        shown = ", ".join(f"{k} {v}" for k, v in metrics.items() if isinstance(v, (int, float)))
        edits = f"  edits: {', '.join(m['edits'])}" if m.get("edits") else ""
        print(f"{m['name']:<14} {m.get('task', ''):<11} {m.get('params', 0):>10,} params  "
              f"{m.get('title', '')}" + (f"  [{shown}]" if shown else "") + edits)


def digits_table():
    """The README's table of shipped digit models, in Markdown, straight from the manifest."""
    lines = ["| model | parameters | file | training | recognised | confident | digit shares | Fréchet (floor) |",
             "|---|---|---|---|---|---|---|---|"]
    judge = None
    for m in inference.list_models():
        metrics = m.get("metrics", {})
        training = cards.training(m)
        size = f"{m.get('bytes', 0) / 1e6:.1f} MB"
        if m.get("builder") == "digit_judge":
            judge = (f"| {m['title']} | {m['params']:,} | {size} | {training} | test accuracy "
                     f"{metrics['test_accuracy']:.2%} | real test digits: {metrics['real_test_confident']:.1%} | "
                     f"| real test vs train: {metrics['frechet_real_test_vs_train']} |")
            continue
        if m.get("task") != "digits":
            continue
        hist = metrics.get("class_histogram", [0])
        recognised = f"{metrics['recognised']:.1%}" if "recognised" in metrics else "n/a"
        lines.append(f"| {m['title']} (`{m['name']}`) | {m['params']:,} | {size} | {training} | {recognised} | "
                     f"{metrics.get('confident', 0):.1%} | {min(hist):.1%} to {max(hist):.1%} | "
                     f"{metrics.get('frechet')} ({metrics.get('frechet_floor')}) |")
    return "\n".join(lines + ([judge] if judge else []))


def _model_table(task, columns, entry_columns=()):
    """A Markdown table of the shipped models of ``task``: the model, its size and training, then
    ``entry_columns``, each a (header, function of the manifest entry -> cell text), then ``columns``, each a
    (header, function of the entry's metrics dict -> cell text)."""
    headers = ["model", "parameters", "file", "training"] + [h for h, _ in (*entry_columns, *columns)]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for m in inference.list_models(task):
        x = m.get("metrics", {})
        cells = [f"{m['title']} (`{m['name']}`)", f"{m['params']:,}", f"{m.get('bytes', 0) / 1e6:.1f} MB",
                 cards.training(m)] + [cell(m) for _, cell in entry_columns] + [cell(x) for _, cell in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _loss(entry):
    """'GAN + 100 L1 (+ 1 SqueezeNet features)' from a pix2pix entry's loss weights (the paper's when absent)."""
    loss = entry.get("loss", {"l1": 100.0})
    text = f"GAN + {loss['l1']:g} L1"
    if loss.get("perceptual"):
        text += f" + {loss['perceptual']:g} SqueezeNet fire3/fire5 features"
    # a fine-tune (init_model) or a run continued with another loss (stages): the loss is its last stage's
    return text + (" (last stage)" if entry.get("init_model") or entry.get("stages") else "")


def _pair(key, base, fmt="{}"):
    """'value (baseline)' cell of two metrics, 'n/a' where missing."""
    return lambda x: f"{fmt.format(x[key])} ({fmt.format(x[base])})" if key in x and base in x else "n/a"


def sr_table():
    """The README's table of shipped super-resolution models, in Markdown, straight from the manifest: on the
    degraded "upload" copy of the photos (noise, JPEG), then on clean bicubic reductions (the papers' protocol)."""
    def degraded(entry):
        d = entry.get("metrics_degraded", {})
        return (f"{d['psnr']:.2f} dB ({d['bicubic_psnr']:.2f}): {d['psnr'] - d['bicubic_psnr']:+.2f} dB, SSIM "
                f"{d['ssim'] - d['bicubic_ssim']:+.3f}") if "psnr" in d else "n/a"
    return _model_table("sr", entry_columns=[("served in", lambda e: e.get("serve_dtype", "float32")),
                                             ("degraded uploads: Y-PSNR (bicubic): gain, SSIM gain", degraded)],
                        columns=[
        ("clean: data", lambda x: f"{cards.dataset_name(x.get('data', '?'))} ({x.get('images', '?')} images)"),
        ("Y-PSNR (bicubic)", lambda x: f"{x.get('psnr', 0):.2f} dB ({x.get('bicubic_psnr', 0):.2f})"),
        ("gain", lambda x: f"{x.get('gain_db', 0):+.2f} dB"),
        ("worst image", lambda x: f"{x.get('worst_gain_db', 0):+.2f} dB"),
        ("above bicubic", lambda x: f"{x.get('images_above_bicubic', '?')} of {x.get('images', '?')}"),
        ("SSIM (bicubic)", _pair("ssim", "bicubic_ssim", "{:.4f}")),
        ("SqueezeNet distance (bicubic)", _pair("perceptual", "bicubic_perceptual", "{:.2f}")),
        ("mesh (real photos)", _pair("mesh", "hr_mesh", "{:.2f}"))])


def images_table():
    """The README's table of shipped image GANs (Frechet distances beside their floor and baseline; what the
    CIFAR-10 judge reads where it has scored them)."""
    def judged(x):
        if "recognised" in x:
            return f"{x['recognised']:.1%} recognised as asked (worst class {min(x['recognised_per_class']):.1%})"
        if "judge_confident" in x:
            shares = x["judge_class_histogram"]
            return f"{x['judge_confident']:.1%} confident, classes {min(shares):.1%} to {max(shares):.1%}"
        return "n/a"
    return _model_table("images", [
        (header, lambda x, k=key: str(x.get(k, "n/a"))) for header, key in [
            ("Fréchet final", "frechet"), ("best during training", "frechet_best"),
            ("real held-out vs train (floor)", "frechet_real_test_vs_train"),
            ("blurred training images (baseline)", "frechet_blurred_train"),
            ("Fréchet to the test split, 224 px (floor)", "frechet_test")]] + [("CIFAR-10 judge", judged)])


def summary_table():
    """The README's one table: every shipped generator by demo, with the measures its demo is judged by
    (``models.cards``); the full tables are in docs/models.md."""
    lines = ["| demo | model | parameters | measured quality |", "|---|---|---|---|"]
    entries = {m["name"]: m for m in inference.list_models()}
    for task in ("digits", "sr", "pix2pix", "images"):
        spec = cards.TASKS[task]
        for row in cards.card_rows(task, entries):
            quality = "; ".join(f"{header.removeprefix('entry:')} {row[header.removeprefix('entry:')]}"
                                for header, _ in spec["columns"])
            lines.append(f"| {spec['title']} | {row['model']} | {row['parameters']} | {quality} |")
    return "\n".join(lines)


def pix2pix_table():
    """The README's table of shipped sketch-to-photo models, scored on their val photos."""
    return _model_table("pix2pix", entry_columns=[("generator loss", _loss)], columns=[
        ("val photos", lambda x: str(x.get("images", "?"))),
        ("L1 (mean photo)", _pair("l1", "mean_photo_l1")), ("SSIM (mean photo)", _pair("ssim", "mean_photo_ssim")),
        ("Fréchet (mean photo; real train vs val)", lambda x: f"{x.get('frechet', 'n/a')} "
         f"({x.get('frechet_mean_photo', 'n/a')}; {x.get('frechet_real_train_vs_val', 'n/a')})"),
        ("share of baseline", lambda x: _share(x.get("frechet_share_of_baseline"))),
        ("mesh (real photos)", _pair("checkerboard", "checkerboard_real"))])


def _share(value):
    return "n/a" if value is None else f"{value:.3f}"


def pix2pix_drawings_table():
    """The README's table of sketch-to-photo models on drawings: free-hand-like drawings of the val photos and,
    where measured, drawings made by people (no paired photos: outline IoU and Frechet distance only)."""
    def mix(entry):
        m = entry.get("sketch_mix")
        return f"{m['photo_to_sketch']:.0%} edges, {m['drawings']:.0%} drawings" if m and "drawings" in m \
            else "edges only"

    def drawn(entry):
        d = entry.get("metrics_drawn", {})
        return (f"{d['images']}: L1 {d['l1']} ({d['mean_photo_l1']}), Fréchet {d['frechet']} = "
                f"**{_share(d['frechet_share_of_baseline'])}**") if "frechet_share_of_baseline" in d else "n/a"

    def human(entry):
        h = entry.get("metrics_human", {})
        if "outline_iou" not in h:
            return "n/a"
        real = f" (real photos: {h['outline_iou_real_photos']})" if "outline_iou_real_photos" in h else ""
        return (f"{h['images']} ({h['refused']} refused): outline IoU **{h['outline_iou']}**{real}, Fréchet "
                f"{h.get('frechet', 'n/a')} ({h.get('frechet_mean_photo', 'n/a')}) = "
                f"**{_share(h.get('frechet_share_of_baseline'))}**")
    return _model_table("pix2pix", entry_columns=[("training sketches", mix),
                                                  ("drawn val sketches: L1 (mean photo), Fréchet = share", drawn),
                                                  ("drawings by people", human)], columns=[])


TABLES = {"summary-table": summary_table, "digits-table": digits_table, "sr-table": sr_table, "images-table": images_table,
          "pix2pix-table": pix2pix_table, "pix2pix-drawings-table": pix2pix_drawings_table}


def cmd_table(args):
    if args.readme:
        text = args.readme.read_text()
        for marker, make in TABLES.items():
            if f"<!-- {marker} -->" in text:
                start, end = text.index(f"<!-- {marker} -->"), text.index(f"<!-- /{marker} -->")
                text = text[:start] + f"<!-- {marker} -->\n" + make() + "\n" + text[end:]
        args.readme.write_text(text)
        print(f"updated {args.readme}")
    else:
        print("\n\n".join(make() for make in TABLES.values()))


def cmd_digits(args):
    if args.walk:
        frames = inference.interpolate_digits(args.variant, args.walk[0], args.walk[1], args.frames, args.digit)
        _write_image(args.out, frames=[images.upscale_nearest(f, args.scale) for f in frames])
    else:
        batch = inference.generate_digits(args.variant, args.n, args.digit, args.seed)
        grid = images.make_grid(batch, ncol=args.ncol or min(args.n, 10))
        _write_image(args.out, images.upscale_nearest(grid, args.scale))
    print(f"wrote {args.out}")


def bounded_int(low, high):
    """An argparse type: a whole number from ``low`` to ``high`` (argparse names the flag in its error)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:,} to {high:,}, got {value:,}")
        return value
    return parse


SEED = bounded_int(0, 2**31 - 1)


def progress_bar(label, done, total, width=30):
    filled = round(width * done / total)
    print(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] tile {done}/{total}", end="", file=sys.stderr,
          flush=True)


def for_each_image(args, make, suffix):
    """Run ``make(image) -> uint8 image`` over the files and folders in ``args.inputs``, writing PNGs into
    ``args.out``; stops at the first bad file unless ``--keep-going``. Returns the exit code."""
    skipped = []
    files = uploads.image_files(args.inputs, skipped)
    for path, reason in skipped:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    if not files:
        raise ValueError("no image files found in " + ", ".join(map(str, args.inputs)))
    check_writable(args.out)
    used = set()
    targets = [_unique(args.out, f"{path.stem}_{suffix}", used) for path in files]  # PNG: lossless, keeps alpha
    existing = [t for t in targets if t.exists() or t.is_symlink()]
    if existing and not args.overwrite:
        raise ValueError(f"{len(existing)} output file{'s' if len(existing) > 1 else ''} already exist"
                         f"{'s' if len(existing) == 1 else ''} ({', '.join(str(t) for t in existing[:3])}"
                         f"{', ...' if len(existing) > 3 else ''}): pass --overwrite to replace them, or another --out")
    failed = 0
    for i, (path, target) in enumerate(zip(files, targets), 1):
        label = f"[{i}/{len(files)}] {path.name}"
        try:
            image = uploads.as_rgba(*uploads.decode_image(uploads.read_file(path), max_pixels=args.max_pixels))
            result = make(image, label)
        except (ValueError, OSError) as exc:  # ImageError is a ValueError
            print(f"\r{label}: error: {exc}", file=sys.stderr)
            failed += 1
            if not args.keep_going:
                return 1
            continue
        uploads.write_atomic(target, images.png_bytes(result))
        print(f"\r{label} -> {target} ({result.shape[1]}x{result.shape[0]})", file=sys.stderr)
    if failed:
        print(f"{failed} of {len(files)} files failed", file=sys.stderr)
    return 1 if failed else 0


def check_writable(folder):
    """Make ``folder`` and write and remove a file in it, before any work: an unwritable ``--out`` once failed
    only after the first image, naming a temporary file. ``ValueError`` naming ``--out`` otherwise."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise ValueError(f"--out {folder} is not a folder this can write into ({exc.strerror or exc}).") from None


def _unique(folder, stem, used):
    """``folder/stem.png``, or ``stem-2.png``, ``stem-3.png``, ... when this run already wrote that name (two
    inputs with the same stem in different folders, or ``a.png`` and ``a.jpg``)."""
    name, k = f"{stem}.png", 1
    while name in used:
        k += 1
        name = f"{stem}-{k}.png"
    used.add(name)
    return folder / name


def _write_image(out, image=None, frames=None):
    """Write a PNG (``image``) or, for ``.gif`` with ``frames``, an animated GIF, atomically; any other suffix is
    refused rather than written as PNG data under a misleading name."""
    suffix = out.suffix.lower()
    if frames is not None and suffix == ".gif":
        data = images.gif_bytes(frames, boomerang=True)
    elif suffix == ".png":
        data = images.png_bytes(image if image is not None else images.make_grid(frames, ncol=len(frames)))
    else:
        raise ValueError(f"--out must end in .png{' or .gif' if frames is not None else ''}, got {out.name!r}.")
    uploads.write_atomic(out, data)


def cmd_upscale(args):
    model = args.model or inference.default_sr_model()
    return for_each_image(args, lambda image, label: inference.upscale(
        image, model, scale=args.scale, tile=args.tile,
        progress=lambda d, t: progress_bar(label, d, t)), f"{model}_x{args.scale}")


def cmd_sketch2photo(args):
    return for_each_image(args, lambda image, label: inference.sketch_to_photo(image, args.domain, args.variation),
                          f"{args.domain}_photo")


def cmd_photo2sketch(args):
    return for_each_image(args, lambda image, label: inference.photo_to_sketch(image, args.domain),
                          f"{args.domain}_sketch")


def parse_edits(pairs):
    """``["age=2", "male=-1"]`` -> {"age": 2.0, "male": -1.0}; ``ValueError`` for a malformed one."""
    edits = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        try:
            edits[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--edit takes NAME=NUMBER (e.g. age=2), got {pair!r}.") from None
        if not sep or not name.strip():
            raise ValueError(f"--edit takes NAME=NUMBER (e.g. age=2), got {pair!r}.")
    return edits


def cmd_generate(args):
    label = int(args.label) if args.label and args.label.isdigit() else args.label
    batch = inference.generate_images(args.model, args.n, args.seed, edits=parse_edits(args.edit), label=label)
    if args.upscale:  # generate, then super-resolve with the face SRGAN (64 -> 256)
        batch = np.stack([inference.upscale(img, args.sr_model) for img in batch])
    _write_image(args.out, images.make_grid(batch, ncol=args.ncol or min(args.n, 8)))
    print(f"wrote {args.out}")


def add_batch_args(p):
    p.add_argument("inputs", nargs="+", type=Path, metavar="IN", help="image files or folders of images")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--max-pixels", type=int, default=uploads.MAX_PIXELS, help="refuse larger inputs")
    p.add_argument("--keep-going", action="store_true", help="skip bad files instead of stopping at the first")
    p.add_argument("--overwrite", action="store_true", help="replace output files that already exist (refused "
                                                            "without it, before any work)")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m models", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    # no abbreviations: `--n 100` would otherwise be read as `--ncol 100`
    sub = parser.add_subparsers(dest="command", required=True,
                                parser_class=functools.partial(argparse.ArgumentParser, allow_abbrev=False))
    sub.add_parser("list", help="list the shipped models and their measured metrics").set_defaults(func=cmd_list)
    p = sub.add_parser("table", help="print the README's model table (Markdown) from the manifest")
    p.add_argument("--readme", type=Path, help="rewrite the table between the markers in this README instead")
    p.set_defaults(func=cmd_table)

    p = sub.add_parser("digits", help="generate handwritten digits into a PNG grid (or a latent walk GIF)")
    p.add_argument("--variant", default="cdcgan", help="gan, cgan, dcgan or cdcgan (default %(default)s)")
    p.add_argument("-n", type=int, default=100, help="how many digits, 1 to 10,000 (default %(default)s)")
    p.add_argument("--digit", type=int, help="0-9, conditional models only")
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--ncol", type=bounded_int(1, 100), help="digits per row (default 10)")
    p.add_argument("--scale", type=bounded_int(1, 16), default=2, help="enlarge by this factor, 1 to 16 "
                                                                    "(default %(default)s)")
    p.add_argument("--walk", type=SEED, nargs=2, metavar=("SEED_A", "SEED_B"), help="latent walk between two seeds")
    p.add_argument("--frames", type=int, default=16, help="frames of the latent walk (default %(default)s)")
    p.add_argument("--out", type=Path, default=Path("digits.png"), help=".png, or .gif for --walk")
    p.set_defaults(func=cmd_digits)

    p = sub.add_parser("generate", help="images from an image GAN into a PNG grid (optionally upscaled x4)")
    p.add_argument("--model", default="dcgan_faces64", help="dcgan_faces64, dcgan_cifar10 or sagan_cifar10")
    p.add_argument("-n", type=int, default=16)
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--ncol", type=bounded_int(1, 100), help="images per row (default 8)")
    p.add_argument("--upscale", action="store_true", help="super-resolve each image 4x (face SRGAN)")
    p.add_argument("--sr-model", default="srgan_faces", help="the SR model for --upscale")
    p.add_argument("--label", help="a class-conditional model's class, by name (horse) or number (0-9); default: "
                                   "the classes in turn")
    p.add_argument("--edit", action="append", metavar="NAME=AMOUNT",
                   help="steer the faces, e.g. --edit age=2 --edit male=-1 (amounts -3 to 3; `list` shows a "
                        "model's edits)")
    p.add_argument("--out", type=Path, default=Path("images.png"))
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("upscale", help="super-resolve image files or folders into PNGs")
    add_batch_args(p)
    p.add_argument("--model", help="realsr (real photos: noisy, JPEG-compressed; the default when shipped), "
                                   "realsr_gan (the same, texture painted back), srresnet (faithful, for clean "
                                   "images), srgan (sharp) or srgan_faces")
    p.add_argument("--scale", type=int, default=4, choices=[2, 3, 4], help="x2 and x3: x4, then Lanczos")
    p.add_argument("--tile", type=int, default=inference.TILE, help="LR tile side in pixels (default %(default)s)")
    p.set_defaults(func=cmd_upscale)
    p = sub.add_parser("sketch2photo", help="turn sketches (files or folders) into photo-like PNGs")
    add_batch_args(p)
    p.add_argument("--domain", default="shoes", help="shoes, faces, or the name of another installed pix2pix model "
                                                      "(`python -m models list pix2pix`)")
    p.add_argument("--variation", type=SEED, help="a seed: keep the generator's dropout on for a variation")
    p.set_defaults(func=cmd_sketch2photo)
    p = sub.add_parser("photo2sketch", help="line drawings of photos, as the sketch-to-photo models were trained on")
    add_batch_args(p)
    p.add_argument("--domain", default="shoes", help="shoes or faces (how much detail is kept), or a pix2pix model's "
                                                      "name (its own)")
    p.set_defaults(func=cmd_photo2sketch)

    args = parser.parse_args(argv)
    try:
        if args.func(args):
            return 1
    except (ValueError, inference.WeightsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
