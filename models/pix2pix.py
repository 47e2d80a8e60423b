"""Pix2Pix (Isola et al., 2017): a U-Net generator (sketch -> photo) and a 70x70 PatchGAN discriminator.

Block functions after TensorFlow's pix2pix tutorial. Sketches are (S, S, 1) in [-1, 1] (white = 1), photos
(S, S, 3) in [-1, 1]. Pure Keras: no file I/O here.
"""

import keras
import numpy as np
from keras import layers

INIT = keras.initializers.RandomNormal(0.0, 0.02)


def downsample(x, filters, batch_norm=True):
    """Conv 4x4 stride 2 - (BatchNorm) - LeakyReLU: halves the size."""
    x = layers.Conv2D(filters, 4, strides=2, padding="same", kernel_initializer=INIT, use_bias=not batch_norm)(x)
    if batch_norm:
        x = layers.BatchNormalization()(x)
    return layers.LeakyReLU(0.2)(x)


UPSAMPLERS = ("transpose", "resize")


def double(x, filters, mode="transpose", **conv):
    """Doubles the size: a transposed conv 4x4 stride 2 (the paper's), or with ``mode="resize"`` a
    nearest-neighbour doubling and then a 3x3 conv, which cannot paint the 2-pixel mesh of uneven overlaps."""
    if mode == "resize":
        x = layers.UpSampling2D(2, interpolation="nearest")(x)
        return layers.Conv2D(filters, 3, padding="same", kernel_initializer=INIT, **conv)(x)
    return layers.Conv2DTranspose(filters, 4, strides=2, padding="same", kernel_initializer=INIT, **conv)(x)


# How one input pixel spreads over the 4 output pixels it reaches, per axis: a transposed conv 4x4 stride 2
# ("same") gives them its taps K[0..3]; a nearest doubling then a 3x3 conv gives W[2], W[1]+W[2], W[0]+W[1], W[0].
RESIZE_SPREAD = np.array([[0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]], "float64")  # (4 taps, 3 taps)


def resize_kernel(transpose_kernel):
    """The 3x3 kernel of a resize-then-convolve doubling closest (least squares, per pair of channels) to a
    transposed conv's 4x4 kernel: the same smooth response without the part that alternates every other pixel
    (the mesh). Exact when the 4x4 kernel has that form (``RESIZE_SPREAD @ W @ RESIZE_SPREAD.T``).

    Args:
        transpose_kernel: (4, 4, out, in), as Keras' Conv2DTranspose stores it.
    Returns:
        (3, 3, in, out), as Conv2D stores it.
    """
    fit = np.linalg.pinv(RESIZE_SPREAD)  # (3, 4)
    kernel = np.einsum("ak,bl,kloi->abio", fit, fit, np.asarray(transpose_kernel, "float64"))
    return kernel.astype(np.asarray(transpose_kernel).dtype)


def without_notch(args):
    """A builder's arguments without ``grid_notch``: the notch has no weights, so a file fits either way."""
    return {k: v for k, v in args.items() if k not in ("grid_notch", "notch_period")}


def can_resize_from(source_args, target_args):
    """Whether a U-Net built with ``target_args`` can start from one built with ``source_args`` by
    ``copy_to_resize``: the same U-Net, with transposed doublings in the source and resized ones in the target."""
    def rest(a):
        return {k: v for k, v in without_notch(a).items() if k != "upsample_mode"}
    return (source_args.get("upsample_mode", "transpose") == "transpose"
            and target_args.get("upsample_mode") == "resize" and rest(source_args) == rest(target_args))


def copy_to_resize(source, target):
    """Copy a transposed-doubling U-Net ``source`` into the resize-doubling U-Net ``target`` of the same shape:
    every weight as it is, each doubling's kernel through ``resize_kernel``. The copy paints no mesh but is only
    close to the source (a fine-tune brings it back); it is a start, not a finished model."""
    pairs = list(zip([l for l in source.layers if l.weights], [l for l in target.layers if l.weights]))
    if len(pairs) != len([l for l in target.layers if l.weights]):
        raise ValueError("the two U-Nets differ in their layers")
    for a, b in pairs:
        weights = a.get_weights()
        if isinstance(a, layers.Conv2DTranspose) and isinstance(b, layers.Conv2D):
            weights = [resize_kernel(weights[0])] + weights[1:]
        b.set_weights(weights)


GRID_BAND_SIGMA = 8.0  # the notch's width: about +-1/8 rad around each of the grid's frequencies


def grid_notch_kernels(sigma=GRID_BAND_SIGMA, period=2):
    """The two 1-D kernels of ``GridNotch``, float32 (2r+1,), r = ceil(4 sigma): a Gaussian of ``sigma`` pixels
    (sum 1), and the same Gaussian kept only at multiples of ``period`` (sum 1 / period). Their outer products
    g and c give the 2-D notch: identity + g - period^2 c, whose response is 1 - exp(-(sigma |w - p|)^2 / 2) near
    each frequency p of the ``period``-pixel grid (multiples of 2 pi / period along each axis, but not 0) and 1
    away from them, the mean included."""
    r = int(np.ceil(4 * sigma))
    n = np.arange(-r, r + 1)
    gauss = np.exp(-n ** 2 / (2.0 * sigma * sigma))
    comb = np.where(n % period == 0, gauss, 0.0)
    return (gauss / gauss.sum()).astype("float32"), (comb / comb.sum() / period).astype("float32")


class GridNotch(layers.Layer):
    """Takes out of images (B, H, W, C) the narrow bands around the frequencies of the ``period``-pixel grid
    (``grid_notch_kernels``, edges reflected; a narrower notch for images under 8 sigma), and clips to [-1, 1]:
    the mesh that transposed convolutions of stride 2 paint (period 2; a U-Net's inner doublings add period 4),
    and next to nothing of a photo (its power at those few points is small). No weights, so it can follow a
    trained generator without changing its file.

    Args:
        strength: how much of each band goes (1: all of it, 0: the identity).
        period: the grid's period in pixels (2, or 4: both the 2- and the 4-pixel grids).
        sigma: the notch's width in pixels (wider in pixels = narrower in frequency).
    """

    def __init__(self, strength=1.0, period=2, sigma=GRID_BAND_SIGMA, **kwargs):
        super().__init__(**kwargs)
        self.strength, self.period, self.sigma = float(strength), int(period), float(sigma)

    def call(self, images):
        height, width, channels = images.shape[1:]
        kernels = grid_notch_kernels(min(self.sigma, (min(height, width) - 1) / 4.0), self.period)
        r = len(kernels[0]) // 2
        x = keras.ops.cast(images, "float32")
        padded = keras.ops.pad(x, [[0, 0], [r, r], [r, r], [0, 0]], mode="reflect")
        smooth, grid = (self._separable(padded, k, channels) for k in kernels)
        return keras.ops.clip(x + self.strength * (smooth - self.period ** 2 * grid), -1.0, 1.0)

    @staticmethod
    def _separable(x, kernel, channels):
        row = np.tile(kernel[None, :, None, None], [1, 1, channels, 1])  # (1, K, C, 1)
        x = keras.ops.depthwise_conv(x, row, padding="valid")  # along the width
        return keras.ops.depthwise_conv(x, np.transpose(row, [1, 0, 2, 3]), padding="valid")  # along the height

    def get_config(self):
        return {**super().get_config(), "strength": self.strength, "period": self.period, "sigma": self.sigma}


def upsample(x, filters, dropout=False, mode="transpose"):
    """Doubling (``double``) - BatchNorm - (Dropout 0.5) - ReLU."""
    x = double(x, filters, mode, use_bias=False)
    x = layers.BatchNormalization()(x)
    if dropout:
        x = layers.Dropout(0.5)(x)  # pix2pix's only noise source; the app can keep it on for variations
    return layers.ReLU()(x)


def unet_generator(image_size=128, num_feat=32, max_mult=4, in_channels=1, upsample_mode="transpose",
                   grid_notch=0.0, notch_period=2, name="unet_generator"):
    """U-Net generator: sketch (S, S, in_channels) -> photo (S, S, 3), tanh.

    Downsamples to 1x1 (log2(S) levels) and back up, each decoder level concatenated with the encoder level
    of the same size. The three innermost decoder blocks use dropout, as in the paper.

    Args:
        image_size: S, a power of two (128 shipped here; 256 is the paper's and the GPU preset's).
        num_feat: channels of the first level (ngf; 64 in the paper).
        max_mult: channel cap as a multiple of num_feat (8 in the paper; 4 keeps the shipped file small).
        in_channels: 1 for a grey sketch.
        upsample_mode: "transpose" (the paper's transposed convolutions) or "resize" (nearest-neighbour
            doubling, then a 3x3 convolution: no 2-pixel mesh).
        grid_notch: if above 0, a ``GridNotch`` of that strength after the output (no weights): takes the
            mesh out of a trained transposed U-Net's photos without retraining it.
        notch_period: that notch's period (2: the outer doubling's mesh; 4: the next one's too).
        name: model name.
    """
    if upsample_mode not in UPSAMPLERS:
        raise ValueError(f"upsample_mode must be one of {', '.join(UPSAMPLERS)}, got {upsample_mode!r}")
    depth = image_size.bit_length() - 1
    if 1 << depth != image_size or depth < 3:
        raise ValueError(f"image_size must be a power of two >= 8, got {image_size}")
    widths = [num_feat * min(2 ** i, max_mult) for i in range(depth)]
    sketch = keras.Input((image_size, image_size, in_channels), name="sketch")
    x, skips = sketch, []
    for i, w in enumerate(widths):
        x = downsample(x, w, batch_norm=0 < i < depth - 1)  # (S / 2^(i+1), S / 2^(i+1), w)
        skips.append(x)
    for i, (w, skip) in enumerate(zip(reversed(widths[:-1]), reversed(skips[:-1]))):
        x = upsample(x, w, dropout=i < 3, mode=upsample_mode)  # (size of skip, w)
        x = layers.Concatenate()([x, skip])  # (size of skip, 2w)
    out = double(x, 3, upsample_mode, activation="tanh", dtype="float32")  # (S, S, 3)
    if grid_notch:
        out = GridNotch(grid_notch, notch_period, dtype="float32", name="grid_notch")(out)  # (S, S, 3), without the mesh
    return keras.Model(sketch, out, name=name)


def patchgan_discriminator(image_size=128, num_feat=64, in_channels=1, name="patchgan_discriminator"):
    """70x70 PatchGAN: (sketch, photo) -> a grid of real/fake logits, one per overlapping 70x70 patch.

    Args:
        image_size: S of the pairs it judges (the layers are convolutional; S only fixes the input shape).
        num_feat: channels of the first conv (64 in the paper).
        in_channels: channels of the sketch.
        name: model name.
    """
    sketch = keras.Input((image_size, image_size, in_channels), name="sketch")
    photo = keras.Input((image_size, image_size, 3), name="photo")
    x = layers.Concatenate()([sketch, photo])  # (S, S, in + 3)
    x = downsample(x, num_feat, batch_norm=False)  # (S/2, S/2, f)
    x = downsample(x, num_feat * 2)  # (S/4, S/4, 2f)
    x = downsample(x, num_feat * 4)  # (S/8, S/8, 4f)
    x = layers.ZeroPadding2D()(x)
    x = layers.Conv2D(num_feat * 8, 4, kernel_initializer=INIT, use_bias=False)(x)  # (S/8 - 1, ., 8f)
    x = layers.LeakyReLU(0.2)(layers.BatchNormalization()(x))
    x = layers.ZeroPadding2D()(x)
    out = layers.Conv2D(1, 4, kernel_initializer=INIT, dtype="float32")(x)  # (S/8 - 2, S/8 - 2, 1) logits
    return keras.Model([sketch, photo], out, name=name)
