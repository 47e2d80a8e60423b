"""Public datasets the training CLIs can download on a machine with internet: give the name instead of a folder.

    python -m training.sr --name srresnet --data div2k --val div2k-val --export
    python -m training.pix2pix --name handbags --pairs edges2handbags --val edges2handbags-val

Downloads go to Keras' cache (``~/.keras/datasets``) once; a folder that exists always wins over a name.
MNIST and CIFAR-10 come from ``keras.datasets`` when no path is given.
"""

from pathlib import Path

import keras
from training.flags import BadInput

# name -> (archive file, URL, folder inside the extracted archive)
PUBLIC = {
    "div2k": ("DIV2K_train_HR.zip", "https://data.vision.ee.ethz.ch/cvl/DIV2K/DIV2K_train_HR.zip", "DIV2K_train_HR"),
    "div2k-val": ("DIV2K_valid_HR.zip", "https://data.vision.ee.ethz.ch/cvl/DIV2K/DIV2K_valid_HR.zip",
                  "DIV2K_valid_HR"),
    "edges2shoes": ("edges2shoes.tar.gz", "https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/edges2shoes.tar.gz",
                    "edges2shoes/train"),
    "edges2shoes-val": ("edges2shoes.tar.gz",
                        "https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/edges2shoes.tar.gz", "edges2shoes/val"),
    "edges2handbags": ("edges2handbags.tar.gz",
                       "https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/edges2handbags.tar.gz",
                       "edges2handbags/train"),
    "edges2handbags-val": ("edges2handbags.tar.gz",
                           "https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/edges2handbags.tar.gz",
                           "edges2handbags/val"),
}


def resolve(value, cache_dir=None):
    """A data argument as a folder: an existing path as it is, a name from ``PUBLIC`` downloaded and extracted
    (once), anything else a ``SystemExit`` with the choices."""
    if value is None or Path(value).exists():
        return value
    if value not in PUBLIC:
        raise BadInput(f"--data {value}: no such file or folder, and not a dataset we can download "
                         f"({', '.join(sorted(PUBLIC))})")
    fname, url, inner = PUBLIC[value]
    print(f"{value}: downloading {url} (once; it is kept in Keras' cache)", flush=True)
    archive = Path(keras.utils.get_file(fname, url, extract=True, cache_dir=cache_dir))
    # Keras versions differ in what they return for an extracted archive: the archive or the extracted folder.
    for base in (archive, archive.parent, archive.parent / archive.name.split(".")[0]):
        if (base / inner).is_dir():
            return str(base / inner)
    raise SystemExit(f"{value}: downloaded {archive}, but found no {inner} folder in it")
