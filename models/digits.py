"""Handwritten-digit generators and discriminators (28x28x1, tanh range [-1, 1]) and the digit judge.

Four classic designs, each a pair of builders:
- ``gan``: the MLP GAN (Goodfellow et al., 2014), fully connected nets.
- ``cgan``: the conditional MLP GAN (Mirza & Osindero, 2014): a label embedding concatenated with the
  noise in the generator and with the flattened image in the discriminator.
- ``dcgan``: DCGAN (Radford et al., 2015): 7x7 -> 14x14 -> 28x28 transposed convolutions, batch norm, tanh.
- ``cdcgan``: conditional DCGAN: one-hot label concatenated with the noise in the generator and as ten
  constant feature maps beside the image in the discriminator.

Generators of the conditional variants take ``[noise, label]``; the others take ``noise``. Discriminators
return logits. Pure Keras: no file I/O here.
"""

import keras
import numpy as np
from keras import layers

IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def _noise_and_label(latent_dim, conditional):
    noise = keras.Input((latent_dim,), name="noise")
    if not conditional:
        return [noise], noise
    label = keras.Input((), dtype="int32", name="label")
    return [noise, label], label


def mlp_generator(latent_dim=100, num_feat=256, conditional=False, embed_dim=10, name=None):
    """MLP generator: noise (and label) -> 28x28x1 image in [-1, 1].

    Args:
        latent_dim: size of the Gaussian noise vector.
        num_feat: width of the first hidden layer; the next two are 2x and 4x as wide.
        conditional: if True, takes ``[noise, label]`` and concatenates a learned label embedding.
        embed_dim: size of the label embedding (conditional only).
        name: model name.
    """
    inputs, label = _noise_and_label(latent_dim, conditional)
    x = inputs[0]
    if conditional:
        x = layers.Concatenate()([x, layers.Embedding(NUM_CLASSES, embed_dim)(label)])  # (latent+embed,)
    for width in (num_feat, num_feat * 2, num_feat * 4):
        x = layers.Dense(width)(x)
        x = layers.BatchNormalization(momentum=0.8)(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Dense(28 * 28, activation="tanh", dtype="float32")(x)  # (784,)
    out = layers.Reshape(IMAGE_SHAPE)(x)  # (28, 28, 1)
    return keras.Model(inputs if conditional else inputs[0], out, name=name or ("cgan" if conditional else "gan") + "_generator")


def mlp_discriminator(num_feat=512, conditional=False, embed_dim=10, dropout=0.3, name=None):
    """MLP discriminator: 28x28x1 image (and label) -> one real/fake logit.

    Args:
        num_feat: width of the first hidden layer; the second is half as wide.
        conditional: if True, takes ``[image, label]`` and concatenates a label embedding.
        embed_dim: size of the label embedding (conditional only).
        dropout: dropout rate after each hidden layer.
        name: model name.
    """
    image = keras.Input(IMAGE_SHAPE, name="image")
    x = layers.Flatten()(image)  # (784,)
    inputs = image
    if conditional:
        label = keras.Input((), dtype="int32", name="label")
        x = layers.Concatenate()([x, layers.Embedding(NUM_CLASSES, embed_dim)(label)])  # (784+embed,)
        inputs = [image, label]
    for width in (num_feat, num_feat // 2):
        x = layers.Dense(width)(x)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.Dropout(dropout)(x)
    out = layers.Dense(1, dtype="float32")(x)  # (1,) logit
    return keras.Model(inputs, out, name=name or ("cgan" if conditional else "gan") + "_discriminator")


def dcgan_generator(latent_dim=100, num_feat=64, conditional=False, num_block=0, name=None):
    """DCGAN generator: noise (and label) -> 28x28x1 image via 7 -> 14 -> 28 transposed convolutions.

    Kernels are 4x4 with stride 2 (kernel divisible by stride), which avoids checkerboard artefacts.

    Args:
        latent_dim: size of the Gaussian noise vector.
        num_feat: channels at 14x14; the 7x7 map has twice as many.
        conditional: if True, takes ``[noise, label]`` and concatenates the one-hot label to the noise.
        num_block: stride-1 3x3 convolution blocks (conv, batch norm, ReLU) on the 7x7 map before upsampling,
            as in TensorFlow's DCGAN tutorial; 0 is the plain two-layer design.
        name: model name.
    """
    inputs, label = _noise_and_label(latent_dim, conditional)
    x = inputs[0]
    if conditional:
        x = layers.Concatenate()([x, layers.CategoryEncoding(NUM_CLASSES, output_mode="one_hot")(label)])
    x = layers.Dense(7 * 7 * num_feat * 2, use_bias=False)(x)
    x = layers.Reshape((7, 7, num_feat * 2))(x)  # (7, 7, 2f)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    for _ in range(num_block):
        x = layers.Conv2D(num_feat * 2, 3, padding="same", use_bias=False)(x)  # (7, 7, 2f)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.Conv2DTranspose(num_feat, 4, strides=2, padding="same", use_bias=False)(x)  # (14, 14, f)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    out = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh", dtype="float32")(x)  # (28, 28, 1)
    return keras.Model(inputs if conditional else inputs[0], out, name=name or ("cdcgan" if conditional else "dcgan") + "_generator")


def dcgan_discriminator(num_feat=64, conditional=False, num_block=0, name=None):
    """DCGAN discriminator: 28x28x1 image (and label) -> one real/fake logit.

    Args:
        num_feat: channels of the first strided convolution; the second has twice as many.
        conditional: if True, takes ``[image, label]``; the one-hot label is broadcast to ten 28x28
            feature maps and concatenated with the image.
        num_block: stride-1 3x3 convolution blocks (conv, batch norm, leaky ReLU) on the 7x7 map, for a deeper
            discriminator; 0 is the classic two-layer design.
        name: model name.
    """
    image = keras.Input(IMAGE_SHAPE, name="image")
    x, inputs = image, image
    if conditional:
        label = keras.Input((), dtype="int32", name="label")
        onehot = layers.CategoryEncoding(NUM_CLASSES, output_mode="one_hot")(label)
        maps = layers.UpSampling2D(28)(layers.Reshape((1, 1, NUM_CLASSES))(onehot))  # (28, 28, 10)
        x = layers.Concatenate()([image, maps])  # (28, 28, 11)
        inputs = [image, label]
    x = layers.Conv2D(num_feat, 4, strides=2, padding="same")(x)  # (14, 14, f)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(num_feat * 2, 4, strides=2, padding="same")(x)  # (7, 7, 2f)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    for _ in range(num_block):
        x = layers.Conv2D(num_feat * 2, 3, padding="same")(x)  # (7, 7, 2f)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(1, dtype="float32")(x)  # (1,) logit
    return keras.Model(inputs, out, name=name or ("cdcgan" if conditional else "dcgan") + "_discriminator")


def digit_judge(num_feat=32, feature_dim=128, name="digit_judge"):
    """Small CNN digit classifier used to score generators (accuracy, confidence, Frechet distance).

    Returns a model with two outputs: class probabilities (10,) and the penultimate features
    (``feature_dim``,) on which the Frechet distance is computed. Input: 28x28x1 in [-1, 1].

    Args:
        num_feat: channels of the first conv block; the second has twice as many.
        feature_dim: width of the feature layer.
        name: model name.
    """
    image = keras.Input(IMAGE_SHAPE, name="image")
    x = image
    for width in (num_feat, num_feat * 2):
        x = layers.Conv2D(width, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D()(x)  # (14, 14, f) then (7, 7, 2f)
        x = layers.Dropout(0.2)(x)
    x = layers.Flatten()(x)
    features = layers.Dense(feature_dim, activation="relu", name="features")(x)  # (feature_dim,)
    x = layers.Dropout(0.4)(features)
    probs = layers.Dense(NUM_CLASSES, activation="softmax", name="probs")(x)  # (10,)
    return keras.Model(image, [probs, features], name=name)


# variant -> (generator builder, discriminator builder, conditional)
VARIANTS = {
    "gan": ("mlp_generator", "mlp_discriminator", False),
    "cgan": ("mlp_generator", "mlp_discriminator", True),
    "dcgan": ("dcgan_generator", "dcgan_discriminator", False),
    "cdcgan": ("dcgan_generator", "dcgan_discriminator", True),
}


def sample_inputs(n, latent_dim=100, conditional=False, digit=None, seed=0):
    """Generator inputs for ``n`` samples: noise from ``seed`` and, if conditional, labels.

    Row i of the noise is the same for every ``n`` > i, so a larger grid extends a smaller one. Labels are
    ``digit`` for every sample, or 0, 1, ..., 9, 0, 1, ... when ``digit`` is None.
    """
    noise = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")
    if not conditional:
        return noise
    labels = np.full(n, digit) if digit is not None else np.arange(n) % NUM_CLASSES
    return [noise, labels.astype("int32")]
