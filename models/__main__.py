"""Command line for the inference API.

    python -m models list
    python -m models digits --variant cdcgan -n 100 --digit 3 --seed 0 --out grid.png
    python -m models digits --variant dcgan --walk 0 1 --frames 24 --out walk.gif
"""

import argparse
import sys
from pathlib import Path

from models import images, inference


def cmd_list(args):
    rows = inference.list_models()
    if not rows:
        print("no models in weights/manifest.json")
    for m in rows:
        metrics = m.get("metrics", {})
        shown = ", ".join(f"{k} {v}" for k, v in metrics.items() if isinstance(v, (int, float)))
        print(f"{m['name']:<14} {m.get('task', ''):<11} {m.get('params', 0):>10,} params  "
              f"{m.get('title', '')}" + (f"  [{shown}]" if shown else ""))


def cmd_digits(args):
    if args.walk:
        frames = inference.interpolate_digits(args.variant, args.walk[0], args.walk[1], args.frames, args.digit)
        enlarged = [images.upscale_nearest(f, args.scale) for f in frames]
        if args.out.suffix.lower() == ".gif":
            args.out.write_bytes(images.gif_bytes(enlarged, boomerang=True))
        else:
            args.out.write_bytes(images.png_bytes(images.make_grid(enlarged, ncol=len(enlarged))))
    else:
        batch = inference.generate_digits(args.variant, args.n, args.digit, args.seed)
        grid = images.make_grid(batch, ncol=args.ncol or min(args.n, 10))
        args.out.write_bytes(images.png_bytes(images.upscale_nearest(grid, args.scale)))
    print(f"wrote {args.out}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m models", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the shipped models and their measured metrics").set_defaults(func=cmd_list)

    p = sub.add_parser("digits", help="generate handwritten digits into a PNG grid (or a latent walk GIF)")
    p.add_argument("--variant", default="cdcgan", help="gan, cgan, dcgan or cdcgan (default %(default)s)")
    p.add_argument("-n", type=int, default=100, help="how many digits, 1 to 10,000 (default %(default)s)")
    p.add_argument("--digit", type=int, help="0-9, conditional models only")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ncol", type=int, help="digits per row (default 10)")
    p.add_argument("--scale", type=int, default=2, help="enlarge by this factor (default %(default)s)")
    p.add_argument("--walk", type=int, nargs=2, metavar=("SEED_A", "SEED_B"), help="latent walk between two seeds")
    p.add_argument("--frames", type=int, default=16, help="frames of the latent walk (default %(default)s)")
    p.add_argument("--out", type=Path, default=Path("digits.png"), help=".png, or .gif for --walk")
    p.set_defaults(func=cmd_digits)

    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (ValueError, inference.WeightsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
