"""SAGAN's layers: spectral normalisation and self-attention."""

import keras
import numpy as np
import tensorflow as tf

from models import imagegan


def largest_singular_value(layer):
    w = np.moveaxis(np.asarray(layer.spectral_kernel(training=False)), layer.out_axis, -1)
    return np.linalg.svd(w.reshape(-1, w.shape[-1]), compute_uv=False)[0]


def test_spectral_norm_keeps_the_largest_singular_value_near_one_after_updates():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((4, 8, 8, 3)).astype("float32")
    for layer in (imagegan.SNConv2D(16, 3, padding="same"), imagegan.SNConv2DTranspose(16, 4, strides=2,
                                                                                       padding="same")):
        layer(x, training=True)
        opt = keras.optimizers.Adam(0.05)
        for _ in range(30):  # the kernel changes; the power iteration follows it
            with tf.GradientTape() as tape:
                loss = -tf.reduce_mean(tf.square(layer(x, training=True)))
            opt.apply_gradients(zip(tape.gradient(loss, layer.trainable_variables), layer.trainable_variables))
        raw = np.moveaxis(np.asarray(layer.kernel), layer.out_axis, -1)
        assert np.linalg.svd(raw.reshape(-1, raw.shape[-1]), compute_uv=False)[0] > 1.5  # unnormalised: large
        assert abs(largest_singular_value(layer) - 1.0) < 0.05


def test_self_attention_keeps_the_shape_and_starts_as_the_identity():
    x = np.random.default_rng(1).standard_normal((2, 8, 8, 16)).astype("float32")
    block = imagegan.SelfAttention()
    y = np.asarray(block(x, training=True))
    assert y.shape == x.shape and float(block.gamma.numpy()) == 0.0
    np.testing.assert_allclose(y, x)  # gamma = 0: the input passes through
    block.gamma.assign(0.5)
    assert not np.allclose(np.asarray(block(x)), x)
