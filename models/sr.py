"""Super-resolution x4: an SRResNet-style generator and the SRGAN discriminator (Ledig et al., 2017).

Images are float RGB in [0, 1]. The generator is fully convolutional: any input size works.
Pure Keras: no file I/O here.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops


class BicubicResize(layers.Layer):
    """Resize by an integer ``scale`` with bicubic interpolation (antialiased when shrinking)."""

    def __init__(self, scale, down=False, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.down = scale, down

    def call(self, x):
        # tf.image.resize takes a dynamic size, which keras.ops.image.resize does not (TensorFlow backend).
        shape = tf.shape(x)
        size = shape[1:3] // self.scale if self.down else shape[1:3] * self.scale
        return tf.image.resize(x, size, method="bicubic", antialias=self.down)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        f = (lambda d: None if d is None else d // self.scale) if self.down else \
            (lambda d: None if d is None else d * self.scale)
        return (b, f(h), f(w), c)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "down": self.down}


class PixelShuffle(layers.Layer):
    """Sub-pixel convolution's rearrangement (depth to space) by ``scale``."""

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, x):
        return ops.depth_to_space(x, self.scale)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def residual_block(x, num_feat, res_scale=1.0, batch_norm=False):
    """conv3x3 - (BN) - ReLU - conv3x3 - (BN), scaled and added to the input (EDSR drops the BN)."""
    y = layers.Conv2D(num_feat, 3, padding="same")(x)
    if batch_norm:
        y = layers.BatchNormalization()(y)
    y = layers.ReLU()(y)
    y = layers.Conv2D(num_feat, 3, padding="same")(y)
    if batch_norm:
        y = layers.BatchNormalization()(y)
    if res_scale != 1.0:
        y = layers.Rescaling(res_scale)(y)
    return layers.Add()([x, y])


def sr_generator(num_feat=48, num_block=8, upscale=4, upsampler="direct", bicubic_skip=True, batch_norm=False,
                 res_scale=1.0, name="sr_generator"):
    """SRResNet-style generator: LR (H, W, 3) in [0, 1] -> SR (upscale*H, upscale*W, 3), not clipped.

    Args:
        num_feat: channels of the residual body.
        num_block: number of residual blocks.
        upscale: 2, 3 or 4.
        upsampler: ``"direct"``: one conv to ``3 * upscale**2`` channels and a pixel shuffle (ESPCN; cheapest);
            ``"progressive"``: conv + pixel shuffle x2 + ReLU per factor of 2 and a final conv (SRResNet paper).
        bicubic_skip: add the bicubic upscale of the input, so the network learns only the missing detail.
        batch_norm: batch norm in the residual blocks, as in the SRResNet paper (EDSR showed it hurts).
        res_scale: scale of each block's residual branch (EDSR uses 0.1 for very deep nets).
        name: model name.
    """
    lr = keras.Input((None, None, 3), name="lr")
    x = head = layers.Conv2D(num_feat, 3, padding="same")(lr)  # (H, W, f)
    for _ in range(num_block):
        x = residual_block(x, num_feat, res_scale, batch_norm)  # (H, W, f)
    x = layers.Conv2D(num_feat, 3, padding="same")(x)
    x = layers.Add()([head, x])  # global residual
    if upsampler == "direct":
        # zero-initialised: with the bicubic skip the untrained model starts exactly at bicubic
        init = "zeros" if bicubic_skip else "glorot_uniform"
        x = layers.Conv2D(3 * upscale * upscale, 3, padding="same", kernel_initializer=init)(x)  # (H, W, 3*s*s)
        x = PixelShuffle(upscale)(x)  # (sH, sW, 3)
    elif upsampler == "progressive":
        factors = [2] * (upscale // 2) if upscale in (2, 4) else [upscale]
        for f in factors:
            x = layers.Conv2D(num_feat * f * f, 3, padding="same")(x)
            x = PixelShuffle(f)(x)  # (fH, fW, f)
            x = layers.ReLU()(x)
        x = layers.Conv2D(3, 3, padding="same")(x)  # (sH, sW, 3)
    else:
        raise ValueError(f"upsampler must be 'direct' or 'progressive', got {upsampler!r}")
    if bicubic_skip:
        x = layers.Add()([x, BicubicResize(upscale)(lr)])
    out = layers.Activation("linear", dtype="float32")(x)
    return keras.Model(lr, out, name=name)


def _dense_block(x, num_feat, num_grow_ch):
    """Residual dense block (ESRGAN): five convs, each seeing all previous outputs; residual scaled by 0.2."""
    feats = [x]
    for i in range(4):
        inp = feats[0] if i == 0 else layers.Concatenate()(feats)
        feats.append(layers.LeakyReLU(0.2)(layers.Conv2D(num_grow_ch, 3, padding="same")(inp)))
    y = layers.Conv2D(num_feat, 3, padding="same")(layers.Concatenate()(feats))
    return layers.Add()([x, layers.Rescaling(0.2)(y)])


def rrdb_generator(num_feat=64, num_block=23, num_grow_ch=32, upscale=4, name="rrdb_generator"):
    """ESRGAN's RRDBNet (Wang et al., 2018): residual-in-residual dense blocks, nearest-neighbour upsampling.

    Far heavier than ``sr_generator`` (16.7M parameters at the defaults); the benchmarks use it as the
    reference for speed, and ``--preset esrgan`` trains it on a GPU.

    Args:
        num_feat: channels of the trunk.
        num_block: number of residual-in-residual dense blocks.
        num_grow_ch: growth channels inside each dense block.
        upscale: 2 or 4 (one nearest x2 + conv stage per factor of 2).
        name: model name.
    """
    lr = keras.Input((None, None, 3), name="lr")
    x = head = layers.Conv2D(num_feat, 3, padding="same")(lr)  # (H, W, f)
    for _ in range(num_block):
        y = x
        for _ in range(3):
            y = _dense_block(y, num_feat, num_grow_ch)
        x = layers.Add()([x, layers.Rescaling(0.2)(y)])  # (H, W, f)
    x = layers.Add()([head, layers.Conv2D(num_feat, 3, padding="same")(x)])
    for _ in range(upscale // 2):
        x = layers.UpSampling2D(2, interpolation="nearest")(x)  # x2
        x = layers.LeakyReLU(0.2)(layers.Conv2D(num_feat, 3, padding="same")(x))
    x = layers.LeakyReLU(0.2)(layers.Conv2D(num_feat, 3, padding="same")(x))
    out = layers.Conv2D(3, 3, padding="same", dtype="float32")(x)  # (sH, sW, 3)
    return keras.Model(lr, out, name=name)


def sr_discriminator(num_feat=64, num_stage=4, name="sr_discriminator"):
    """SRGAN discriminator: HR image (H, W, 3) in [0, 1] -> one real/fake logit.

    ``num_stage`` stages of (conv3x3, conv3x3 stride 2) doubling the channels from ``num_feat``, with batch
    norm and LeakyReLU, then a global average pool (any input size) and Dense(2 * last channels) - Dense(1).

    Args:
        num_feat: channels of the first stage (64 in the paper).
        num_stage: number of stride-2 stages (4 in the paper: 96x96 -> 6x6).
        name: model name.
    """
    hr = keras.Input((None, None, 3), name="hr")
    x = layers.Rescaling(2.0, offset=-1.0)(hr)  # [-1, 1]
    for i in range(num_stage):
        width = num_feat * 2 ** i
        x = layers.Conv2D(width, 3, padding="same", use_bias=i == 0)(x)
        if i:
            x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.Conv2D(width, 3, strides=2, padding="same", use_bias=False)(x)  # (H/2^(i+1), ...)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.GlobalAveragePooling2D()(x)  # (last width,)
    x = layers.Dense(num_feat * 2 ** num_stage)(x)
    x = layers.LeakyReLU(0.2)(x)
    out = layers.Dense(1, dtype="float32")(x)  # logit
    return keras.Model(hr, out, name=name)


def downscale(hr, scale=4):
    """The standard degradation: crop to a multiple of ``scale``, antialiased bicubic down, rounded to uint8.

    ``hr``: uint8 (H, W, 3) or (N, H, W, 3). Returns ``(lr, hr_cropped)`` as uint8.
    """
    hr = np.asarray(hr)
    h, w = (hr.shape[-3] // scale) * scale, (hr.shape[-2] // scale) * scale
    hr = hr[..., :h, :w, :]
    lr = tf.image.resize(tf.cast(hr, tf.float32), (h // scale, w // scale), method="bicubic", antialias=True)
    return np.clip(np.rint(lr.numpy()), 0, 255).astype(np.uint8), hr


def bicubic_upscale(lr, scale=4):
    """Plain bicubic enlargement of a uint8 (H, W, C) image: the baseline every SR model must beat."""
    up = tf.image.resize(tf.cast(lr, tf.float32), (lr.shape[0] * scale, lr.shape[1] * scale), method="bicubic")
    return np.clip(np.rint(up.numpy()), 0, 255).astype(np.uint8)
