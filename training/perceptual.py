"""ImageNet-pretrained feature extractors for perceptual losses and Frechet distances.

SqueezeNet 1.1 (Iandola et al., 2016; built in ``models.squeezenet``) gets its weights copied array by array
from the Keras 1/2-era HDF5 file in ``../shared/data/perceptual`` (layer ``fire2/squeeze1x1`` becomes
``fire2_squeeze1x1``: Keras 3 names may not contain ``/``). VGG19 (the SRGAN paper's choice) and InceptionV3
(the standard FID's network) come from ``keras.applications`` where their weights can be downloaded.
"""

from pathlib import Path

import h5py
import keras
import numpy as np
import tensorflow as tf

from models.squeezenet import squeezenet_features

SQUEEZENET = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "perceptual" / \
    "squeezenet_v1.1_notop_tf.h5"
# the public copy of the same weights (rcmalli/keras-squeezenet, MIT), fetched once on a machine with internet
SQUEEZENET_URL = ("https://github.com/rcmalli/keras-squeezenet/releases/download/v1.0/"
                  "squeezenet_weights_tf_dim_ordering_tf_kernels_notop.h5")


def weights_file(path=SQUEEZENET, required=True):
    """A readable SqueezeNet HDF5 file: ``path`` itself, or, when ``path`` is the default and missing (a fresh
    clone has no ../shared), the public copy downloaded once into Keras' cache. Otherwise a one-line
    ``SystemExit`` naming the file and ``--perceptual-weights`` (or None, printed, when not ``required``)."""
    path = Path(path)
    problem = None
    if path.is_file():
        return path
    if path == SQUEEZENET:
        try:
            return Path(keras.utils.get_file("squeezenet_v1.1_notop_tf.h5", SQUEEZENET_URL, cache_subdir="models"))
        except Exception as exc:  # no network, a proxy, a moved file: all one message
            problem = (f"SqueezeNet weights not found at {path} and not downloadable from {SQUEEZENET_URL} "
                       f"({(str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]})")
    problem = problem or f"SqueezeNet weights file not found: {path}"
    problem += "; pass --perceptual-weights PATH (a Keras 2 HDF5 file of SqueezeNet 1.1, see training/perceptual.py)"
    if required:
        raise SystemExit(problem)
    print(problem, flush=True)
    return None


def squeezenet(outputs=("fire3", "fire5"), weights=SQUEEZENET):
    """SqueezeNet 1.1 feature maps at ``outputs`` for RGB input in [0, 1] (Caffe preprocessing inside).
    ``weights``: the HDF5 file (see ``weights_file``), or None for untrained weights (tests)."""
    model = squeezenet_features(outputs)
    if weights:
        path = weights_file(weights)
        try:
            load_keras2_h5(model, path)
        except (OSError, KeyError, ValueError) as exc:  # not HDF5, cut short, or another network's layers
            raise SystemExit(f"SqueezeNet weights file {path} could not be read ({str(exc)[:160]}); pass "
                             "--perceptual-weights PATH") from exc
    model.trainable = False
    return model


def load_keras2_h5(model, path):
    """Copy kernel and bias arrays from a Keras 1/2 HDF5 weights file into same-named layers of ``model``."""
    with h5py.File(path, "r") as f:
        for raw in f.attrs["layer_names"]:
            h5_name = raw.decode() if isinstance(raw, bytes) else raw
            group = f[h5_name]
            names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
            if not names:
                continue
            try:
                layer = model.get_layer(h5_name.replace("/", "_"))
            except ValueError:
                continue  # deeper than the outputs we asked for
            layer.set_weights([np.asarray(group[n]) for n in names])


def vgg19(output="block5_conv4"):
    """VGG19 features (SRGAN's "VGG54") for RGB input in [0, 1]; downloads ImageNet weights once."""
    base = keras.applications.VGG19(include_top=False, weights="imagenet")
    rgb = keras.Input((None, None, 3))
    x = keras.applications.vgg19.preprocess_input(rgb * 255.0)
    model = keras.Model(rgb, keras.Model(base.input, base.get_layer(output).output)(x), name="vgg19_features")
    model.trainable = False
    return model


class FrechetFeatures:
    """uint8 images (N, H, W, 3) -> pooled features (N, d) for a Frechet distance.

    Args:
        net: ``"squeezenet"``: SqueezeNet 1.1 fire9, globally averaged (512-d), offline from the HDF5 file;
            ``"inception"``: InceptionV3's pool3 (2048-d) at 299x299, the standard FID's features (ImageNet
            weights downloaded once by ``keras.applications``; numbers comparable in kind with published FIDs,
            though not bit-exact with the TF1 reference implementation).
        weights: SqueezeNet HDF5 path, or ``"imagenet"`` for InceptionV3; None: untrained (tests only).
        min_size: SqueezeNet only: enlarge smaller images to this size first (its receptive fields need more
            than 32 pixels).
    """

    NETS = ("squeezenet", "inception")

    def __init__(self, net="squeezenet", weights=SQUEEZENET, min_size=None):
        if net not in self.NETS:
            raise ValueError(f"unknown Frechet network {net!r}; choose one of {', '.join(self.NETS)}")
        self.net_name = net
        if net == "inception":
            self.size = 299
            self.model = keras.applications.InceptionV3(include_top=False, pooling="avg", weights=weights,
                                                        input_shape=(299, 299, 3))
            self.name = "InceptionV3 pool3 (2048-d), images resized to 299 px (FID)"
        else:
            self.size = min_size
            self.model = squeezenet(outputs=("fire9",), weights=weights)
            self.name = "SqueezeNet 1.1 fire9 (512-d)" + (f", images enlarged to {min_size} px" if min_size else "")

    def __call__(self, batch_uint8, chunk=100):
        out = []
        for i in range(0, len(batch_uint8), chunk):
            x = tf.cast(batch_uint8[i:i + chunk], tf.float32) / 255.0
            if self.size and x.shape[1] != self.size:
                x = tf.image.resize(x, (self.size, self.size))
            if self.net_name == "inception":
                out.append(np.asarray(self.model(x * 2.0 - 1.0, training=False)))  # its [-1, 1] preprocessing
            else:
                out.append(np.asarray(tf.reduce_mean(self.model(x), axis=(1, 2))))
        return np.concatenate(out)


def frechet_features(net, squeezenet_weights, min_size=None):
    """The ``--frechet-net`` choice as a ``FrechetFeatures``, or None (with a message) when SqueezeNet's weights
    file is missing: runs go on without the distance."""
    if net == "inception":
        return FrechetFeatures("inception", "imagenet")
    path = weights_file(squeezenet_weights, required=False) if squeezenet_weights else None
    if path is None:
        print("Frechet distance skipped: no SqueezeNet weights", flush=True)
        return None
    return FrechetFeatures("squeezenet", path, min_size)


def add_frechet_argument(parser):
    """``--frechet-net``: the feature network of the Frechet distance."""
    parser.add_argument("--frechet-net", choices=FrechetFeatures.NETS, default="squeezenet",
                        help="features for the Frechet distance: squeezenet (offline, the shipped numbers) or "
                             "inception (the standard FID; downloads ImageNet weights)")


def add_weights_argument(parser, purpose):
    """``--perceptual-weights``: the SqueezeNet HDF5 file (default: the one in ../shared/data/perceptual)."""
    parser.add_argument("--perceptual-weights", type=Path, default=SQUEEZENET,
                        help=f"SqueezeNet 1.1 HDF5 weights, for {purpose} (default %(default)s)")
