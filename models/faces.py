"""Face attributes: a small CNN that reads a face's age and gender, used to find (and to measure) the directions
in the face GAN's noise that steer them. Pure Keras: no file I/O here.
"""

import keras
import numpy as np
from keras import layers

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
