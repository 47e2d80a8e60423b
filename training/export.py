"""Export into ``weights/``: the weights file and its manifest entry, swapped in so that a kill at any moment
leaves a loadable model; ``--init`` from a shipped model."""

import datetime
import os
import re
from pathlib import Path

import numpy as np

from models import manifest, pix2pix
from models.weights import load_model, read_manifest, sha256_file
from training.checkpoints import run_stages, saved_config
from training.distribute import hardware
from training.records import save_history


def write_manifest_entry(weights_dir, name, entry):
    """Insert or replace ``name`` in the manifest, atomically (``models.manifest.write_entry``)."""
    manifest.write_entry(weights_dir, name, entry)


def init_from(generator, name, weights_dir, args_dict):
    """Start ``generator`` (built with ``args_dict``) from the shipped model ``name`` (``--init``): the same
    network (with or without a ``GridNotch``), or for a U-Net with ``--upsample resize`` the same U-Net with transposed doublings
    (``models.pix2pix.copy_to_resize``). A run's own
    checkpoint, if it has one, replaces these weights when it resumes. Returns how that model was trained (its
    manifest's steps, batch size, time, command, sha256 and its own ``init_model``: the whole lineage), for the
    new entry's ``init_model``."""
    entry = read_manifest(weights_dir).get(name)
    if entry is not None and pix2pix.without_notch(entry.get("args", {})) == pix2pix.without_notch(args_dict):
        generator.set_weights(load_model(name, weights_dir).get_weights())  # a GridNotch has no weights
        print(f"generator initialised from {name}", flush=True)
    elif entry is not None and entry.get("builder") == "unet_generator" and pix2pix.can_resize_from(entry["args"],
                                                                                                    args_dict):
        pix2pix.copy_to_resize(load_model(name, weights_dir), generator)
        print(f"generator initialised from {name}, its transposed doublings refitted as resize-then-convolve",
              flush=True)
    else:
        raise ValueError(f"--init {name}: no model of that name with this generator ({args_dict}) in {weights_dir}")
    return {"name": name, **{k: entry[k] for k in ("steps", "batch_size", "train_time_s", "command", "sha256",
                                                      "init_model") if k in entry}}


def start_from(generator, args, args_dict, out):
    """``--init``: start ``generator`` from a shipped model (``init_from``). Returns the starting model to record
    as ``init_model``: the one named in the run's saved config when it resumes (the manifest may have changed
    since it began), else the one just loaded, else None."""
    init_model = init_from(generator, args.init, args.weights_dir, args_dict) if args.init else None
    return saved_config(out, args.park).get("init_model", init_model)


def staged_name(name, sha256):
    """The name an export stages ``name``'s new weights under: their hash in it, so it always holds those bytes."""
    return f"{name}.{sha256[:16]}.weights.h5"


def clean_stale(weights_dir, name):
    """Remove what interrupted exports of ``name`` left in ``weights_dir``: temporary and link files, and staged
    copies (``NAME.<hash>.weights.h5``, the older ``NAME.next.weights.h5``) that the manifest does not name.
    Returns the names removed."""
    weights_dir = Path(weights_dir)
    if not weights_dir.is_dir():
        return []
    named = read_manifest(weights_dir).get(name, {}).get("file")
    stale = re.compile(rf"(\.{re.escape(name)}\.(tmp|link)|{re.escape(name)}\.(next|[0-9a-f]{{16}}))\.weights\.h5")
    removed = []
    for path in weights_dir.iterdir():
        if stale.fullmatch(path.name) and path.name != named and path.is_file():
            path.unlink()
            removed.append(path.name)
    if removed:
        print(f"removed what an interrupted export of {name} left: {', '.join(sorted(removed))}", flush=True)
    return removed


def export(model, name, builder, args_dict, weights_dir, run_dir=None, **fields):
    """Save ``model``'s weights as ``weights_dir/NAME.weights.h5`` and record it in the manifest.

    ``builder``/``args_dict`` must rebuild the same architecture; ``fields`` (dataset, steps, command,
    metrics, ...) go into the entry as they are; with ``run_dir`` its learning record is kept too
    (``save_history``). Returns the entry.
    """
    bad = [w.path for w in model.weights if not np.isfinite(np.asarray(w.numpy(), "float32")).all()]
    if bad:  # a diverged run: such a model paints blank images
        raise SystemExit(f"not exporting {name}: {len(bad)} weight arrays hold NaN or infinite values "
                         f"(e.g. {bad[0]}); the model diverged")
    weights_dir = Path(weights_dir)
    weights_dir.mkdir(parents=True, exist_ok=True)
    clean_stale(weights_dir, name)
    target = weights_dir / f"{name}.weights.h5"
    # Safe against any sequence of kills: at every step the manifest names a complete file whose sha256 it holds.
    # 1. the new weights under a name made of their own hash, which no other content can ever take (a
    # fixed staging name was overwritten by a second interrupted export while the manifest still named it);
    # 2. the manifest points at them; 3. they take the usual name (a hard link, then a rename, so both names exist
    # meanwhile); 4. the manifest points at the usual name; 5. the staged name goes.
    tmp = weights_dir / f".{name}.tmp.weights.h5"
    model.save_weights(tmp)
    sha256 = sha256_file(tmp)
    staged = weights_dir / staged_name(name, sha256)
    os.replace(tmp, staged)
    entry = {"builder": builder, "args": args_dict, "file": staged.name, "sha256": sha256,
             "bytes": staged.stat().st_size, "params": int(model.count_params()),
             "exported": datetime.date.today().isoformat(), "hardware": hardware(), **fields}
    if run_dir is not None:
        entry["history"] = save_history(run_dir, weights_dir, name)
        stages = run_stages(run_dir, fields.get("steps", 0))
        if len(stages) > 1 and "stages" not in fields:  # a run resumed with other settings: each command, its steps
            entry["stages"] = stages
        if stages and "stages" not in fields:  # the command that trained these weights last, not a later one
            entry["command"] = stages[-1]["command"]
    write_manifest_entry(weights_dir, name, entry)
    link = weights_dir / f".{name}.link.weights.h5"
    link.unlink(missing_ok=True)
    os.link(staged, link)
    os.replace(link, target)
    entry["file"] = target.name
    write_manifest_entry(weights_dir, name, entry)
    staged.unlink()
    clean_stale(weights_dir, name)  # a staged file an interrupted export had the manifest name until now
    print(f"exported {target} ({entry['bytes'] / 1e6:.1f} MB, sha256 {entry['sha256'][:12]})", flush=True)
    return entry
