"""Face attributes: readers of a face's age and gender, used to find the directions in the face GAN's noise that
steer them, and, trained on other people, to measure those edits. Pure Keras: no file I/O here.
"""

import keras
import numpy as np
from keras import layers, ops

from models.squeezenet import squeezenet_features

AGE_MEAN, AGE_SCALE = 35.0, 20.0  # the network's age unit: (years - 35) / 20


def move_noise(noise, edits, specs):
    """``noise`` moved by ``amount * scale`` along each edited attribute's unit direction, ``specs`` being the
    manifest's ``edits`` ({name: {"direction": [...], "scale": s}}); an amount of 0 leaves it exactly as it is.
    Training measures the edits with this, and the app serves them with it."""
    out = noise
    for name, amount in edits.items():
        if amount:
            step = np.float32(float(amount) * specs[name].get("scale", 1.0))
            out = out + step * np.asarray(specs[name]["direction"], np.float32)
    return out


def attribute_predictor(image_size=64, num_feat=32, name="face_attributes"):
    """Face (S, S, 3) in [-1, 1] (the face GAN's range) -> (age in years, male logit).

    Four stride-2 3x3 conv blocks (batch norm, LeakyReLU) from ``num_feat`` channels, doubling up to 4x, a global
    average pool, and two heads: age, regressed in units of 20 years around 35 and returned in years, and the
    logit of "male".

    Args:
        image_size: input side (64, as the face GAN's samples).
        num_feat: channels of the first block.
        name: model name.
    """
    face = keras.Input((image_size, image_size, 3), name="face")
    x = face
    for width in (num_feat, 2 * num_feat, 4 * num_feat, 4 * num_feat):
        x = layers.Conv2D(width, 3, strides=2, padding="same", use_bias=False)(x)  # (S/2, S/4, S/8, S/16)
        x = layers.LeakyReLU(0.2)(layers.BatchNormalization()(x))
    x = layers.GlobalAveragePooling2D()(x)  # (4 num_feat,)
    x = layers.Dropout(0.3)(layers.Dense(64, activation="relu")(x))
    age = layers.Rescaling(AGE_SCALE, offset=AGE_MEAN)(layers.Dense(1)(x))  # years
    male = layers.Dense(1)(x)  # logit
    out = layers.Concatenate(dtype="float32")([age, male])  # (2,): age in years, male logit
    return keras.Model(face, out, name=name)


FEATURE_TAPS = ("fire5", "fire7", "fire9")


def feature_reader(image_size=64, input_size=128, taps=FEATURE_TAPS, heads=1, name="face_judge"):
    """Face (S, S, 3) in [-1, 1] -> (age in years, male logit) per head, read linearly from ImageNet features.

    The face is enlarged to ``input_size`` and passed through SqueezeNet 1.1 (ImageNet weights, frozen); each
    tapped fire module's maps are averaged over the image, and their log (``log1p``: the pooled activations are
    skewed) feeds one dense layer of two outputs per head, fitted in closed form (``training.attributes``): ridge
    regression for age, L2-regularised logistic regression for gender. Several heads are several readers in one
    file (each may read only some taps: zero weights on the others).

    Args:
        image_size: input side (64, as the face GAN's samples).
        input_size: side SqueezeNet sees (its receptive fields need more than 64 pixels).
        taps: fire modules whose pooled maps are read (fire5, fire7, fire9: 256 + 384 + 512 features).
        heads: readers: outputs (2 heads,), (age, male logit) of each in turn.
        name: model name.
    """
    face = keras.Input((image_size, image_size, 3), name="face")
    x = layers.Rescaling(0.5, offset=0.5)(face)  # [0, 1]
    x = layers.Resizing(input_size, input_size, interpolation="bilinear")(x)  # (input_size, input_size, 3)
    maps = squeezenet_features(tuple(taps), name="squeezenet")(x)
    maps = maps if isinstance(maps, (list, tuple)) else [maps]
    pooled = [layers.GlobalAveragePooling2D()(m) for m in maps]
    features = layers.Concatenate()(pooled) if len(pooled) > 1 else pooled[0]  # (sum of tap widths,)
    features = layers.Lambda(ops.log1p, name="log_features")(features)
    out = layers.Dense(2 * heads, dtype="float32", name="heads")(features)  # (2 heads,): age in years, male logit
    return keras.Model(face, out, name=name)


def reader_features(reader):
    """The features a ``feature_reader``'s heads read (its input up to ``log_features``), as a model."""
    return keras.Model(reader.input, reader.get_layer("log_features").output, name=f"{reader.name}_features")
