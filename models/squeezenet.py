"""SqueezeNet 1.1 (Iandola et al., 2016) feature maps, the architecture only: its ImageNet weights are copied in
by ``training.perceptual`` (perceptual losses, Frechet distances) or come with a model built on it (the face
judge). Layer names follow the Keras 2 weights file with ``/`` as ``_`` (``fire2/squeeze1x1`` ->
``fire2_squeeze1x1``): Keras 3 names may not contain ``/``.
"""

import keras
import numpy as np
from keras import layers

IMAGENET_BGR_MEAN = np.array([103.939, 116.779, 123.68], np.float32)
# fire module -> (squeeze channels, expand channels); pools after conv1, fire3 and fire5
FIRES = {"fire2": (16, 64), "fire3": (16, 64), "fire4": (32, 128), "fire5": (32, 128),
         "fire6": (48, 192), "fire7": (48, 192), "fire8": (64, 256), "fire9": (64, 256)}


def _fire(x, name, squeeze, expand):
    s = layers.Conv2D(squeeze, 1, activation="relu", name=f"{name}_squeeze1x1")(x)
    e1 = layers.Conv2D(expand, 1, activation="relu", name=f"{name}_expand1x1")(s)
    e3 = layers.Conv2D(expand, 3, padding="same", activation="relu", name=f"{name}_expand3x3")(s)
    return layers.Concatenate(name=f"{name}_concat")([e1, e3])  # (h, w, 2 * expand)


def caffe_preprocess(rgb):
    """RGB in [0, 1] -> the BGR, mean-subtracted 0-255 input SqueezeNet's Caffe weights expect."""
    return rgb[..., ::-1] * 255.0 - IMAGENET_BGR_MEAN


def squeezenet_features(outputs=("fire3", "fire5"), name="squeezenet_features"):
    """SqueezeNet 1.1's feature maps at ``outputs`` (fire module names) for RGB input in [0, 1] of any size.

    Args:
        outputs: fire modules to return, in this order; the network stops at the deepest.
        name: model name.
    """
    rgb = keras.Input((None, None, 3), name="rgb")
    x = layers.Lambda(caffe_preprocess, name="caffe_preprocess")(rgb)
    x = layers.Conv2D(64, 3, strides=2, activation="relu", name="conv1")(x)  # (h/2, w/2, 64)
    x = layers.MaxPooling2D(3, 2, name="pool1")(x)  # 1/4
    taps = {}
    for fire, (sq, ex) in FIRES.items():
        x = _fire(x, fire, sq, ex)
        taps[fire] = x
        if fire in ("fire3", "fire5"):
            x = layers.MaxPooling2D(3, 2, name=f"pool{fire[-1]}")(x)  # 1/8, then 1/16
        if fire == max(outputs, key=list(FIRES).index):
            break
    return keras.Model(rgb, [taps[o] for o in outputs], name=name)
