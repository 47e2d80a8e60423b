"""Real-world degradations for super-resolution: how photos people upload lost their detail.

Two recipes, both pure TensorFlow ops driven by a stateless seed (the same seed gives the same image, in
``tf.data`` or eagerly):

- ``realworld`` (training, Real-ESRGAN-style, Wang et al. 2021): a first pass of blur (isotropic or anisotropic
  Gaussian, sometimes a sinc ringing filter), a random resize with a random method, Gaussian or Poisson noise
  (colour or grey) and JPEG at a random quality; then, most of the time, a second, milder pass; the image is
  finally resized to exactly 1/``scale`` of the HR size and JPEG-compressed once more.
- ``upload`` (evaluation, fixed seed per image): what the demo's visitors give it. Antialiased bicubic down by
  ``scale``; on half of the images Gaussian sensor noise (sigma 2 to 10 grey levels); JPEG at quality 30 to 70.
  ``degraded_pairs`` builds the degraded copy of a validation folder from it.

Images are float32 tensors (H, W, 3) in [0, 255]; the result is rounded to 8 bits like a real file.
"""

import math

import numpy as np
import tensorflow as tf

# The training recipe's ranges (Real-ESRGAN's, with the noise and resize ranges a little milder, since a 375k
# parameter model cannot undo the strongest of them and would learn to smooth everything instead).
REALWORLD = {
    "kernel_size": 21,
    "sinc_prob": 0.1, "blur_sigma": (0.2, 3.0), "resize_range": (0.3, 1.5), "gray_noise_prob": 0.4,
    "gaussian_noise_prob": 0.5, "noise_sigma": (1.0, 25.0), "poisson_scale": (0.05, 2.5), "jpeg_range": (30, 95),
    "second_prob": 0.8, "second_blur_prob": 0.8, "blur_sigma2": (0.2, 1.5), "resize_range2": (0.3, 1.2),
    "noise_sigma2": (1.0, 20.0), "poisson_scale2": (0.05, 2.0), "final_sinc_prob": 0.8,
}
UPLOAD = {"noise_prob": 0.5, "noise_sigma": (2.0, 10.0), "jpeg_range": (30, 70)}


class _Rng:
    """Stateless random numbers from one (2,) seed: each draw folds a new counter into it."""

    def __init__(self, seed):
        self.seed, self.n = tf.cast(seed, tf.int64), 0

    def next_seed(self):
        self.n += 1
        return tf.random.experimental.stateless_fold_in(self.seed, self.n)

    def uniform(self, lo=0.0, hi=1.0, shape=()):
        return tf.random.stateless_uniform(shape, self.next_seed(), lo, hi)

    def chance(self, p):
        return self.uniform() < p

    def integer(self, lo, hi):
        """An int32 in [lo, hi]."""
        return tf.random.stateless_uniform((), self.next_seed(), lo, hi + 1, dtype=tf.int32)


def _centred_range(size):
    """Pixel offsets from the centre of a kernel of odd ``size``: -(size-1)/2 ... (size-1)/2."""
    size = tf.cast(size, tf.float32)
    return tf.range(size, dtype=tf.float32) - (size - 1.0) / 2.0


def gaussian_kernel(size, sigma_x, sigma_y, theta):
    """A (size, size) anisotropic Gaussian kernel, rotated by ``theta``, summing to 1."""
    r = _centred_range(size)
    xx, yy = tf.meshgrid(r, r)
    c, s = tf.cos(theta), tf.sin(theta)
    u, v = c * xx + s * yy, -s * xx + c * yy
    k = tf.exp(-0.5 * ((u / sigma_x) ** 2 + (v / sigma_y) ** 2))
    return k / tf.reduce_sum(k)


def sinc_kernel(size, cutoff):
    """A (size, size) circular low-pass (2-D sinc) kernel with cut-off frequency ``cutoff`` (radians): the
    ringing and overshoot artefacts of sharpened or resampled images."""
    r = _centred_range(size)
    xx, yy = tf.meshgrid(r, r)
    d = tf.sqrt(xx ** 2 + yy ** 2)
    safe = tf.where(d > 0, d, tf.ones_like(d))
    k = tf.where(d > 0, cutoff * tf.math.special.bessel_j1(cutoff * safe) / (2 * math.pi * safe),
                 tf.fill(tf.shape(d), cutoff ** 2 / (4 * math.pi)))
    return k / tf.reduce_sum(k)


def filter2d(img, kernel):
    """Convolve an (H, W, 3) image with a (k, k) kernel per channel, reflecting at the borders."""
    pad = tf.shape(kernel)[0] // 2
    x = tf.pad(img[None], [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
    k = tf.tile(kernel[:, :, None, None], [1, 1, 3, 1])
    return tf.nn.depthwise_conv2d(x, k, [1, 1, 1, 1], "VALID")[0]


def random_blur(img, rng, sigma, sinc_prob, size):
    """Gaussian (isotropic half the time, else anisotropic and rotated) or, with ``sinc_prob``, sinc blur.
    Kernels need a border of half their size: small images get a smaller kernel."""
    h, w = tf.shape(img)[0], tf.shape(img)[1]
    size = tf.minimum(size, 2 * (tf.minimum(h, w) // 2) - 1)
    sx = rng.uniform(*sigma)
    sy = tf.where(rng.chance(0.5), sx, rng.uniform(*sigma))
    gauss = gaussian_kernel(size, sx, sy, rng.uniform(0.0, math.pi))
    sinc = sinc_kernel(size, rng.uniform(math.pi / 3, math.pi))
    return filter2d(img, tf.where(rng.chance(sinc_prob), sinc, gauss))


def random_resize(img, rng, size):
    """Resize to ``size`` (h, w) with a random method: area, bilinear or bicubic."""
    which = rng.integer(0, 2)
    return tf.switch_case(which, [
        lambda: tf.image.resize(img, size, method="area"),
        lambda: tf.image.resize(img, size, method="bilinear", antialias=True),
        lambda: tf.image.resize(img, size, method="bicubic", antialias=True)])


def random_noise(img, rng, gaussian_prob, sigma, poisson_scale, gray_prob):
    """Gaussian noise (sigma in grey levels) or Poisson (shot) noise, in colour or the same on all channels."""
    shape = tf.shape(img)
    gray = rng.chance(gray_prob)
    g_col = tf.random.stateless_normal(shape, rng.next_seed())
    g_gray = tf.tile(tf.random.stateless_normal(tf.concat([shape[:2], [1]], 0), rng.next_seed()), [1, 1, 3])
    gaussian = tf.where(gray, g_gray, g_col) * rng.uniform(*sigma)
    # Poisson: photon counts at a random exposure (peak), scaled back; grey noise from the luminance
    x = tf.clip_by_value(img, 0.0, 255.0) / 255.0
    peak = 10.0 ** rng.uniform(2.0, 4.0)
    lum = tf.reduce_sum(x * [0.299, 0.587, 0.114], axis=-1, keepdims=True)
    p_col = tf.random.stateless_poisson(shape, rng.next_seed(), x * peak, dtype=tf.float32) / peak - x
    p_gray = tf.tile(tf.random.stateless_poisson(tf.shape(lum), rng.next_seed(), lum * peak, dtype=tf.float32) / peak - lum, [1, 1, 3])
    poisson = tf.where(gray, p_gray, p_col) * 255.0 * rng.uniform(*poisson_scale)
    return img + tf.where(rng.chance(gaussian_prob), gaussian, poisson)


def jpeg(img, quality):
    """Encode and decode as JPEG at ``quality`` (an int32 tensor); returns float32 in [0, 255]."""
    u8 = tf.cast(tf.clip_by_value(tf.round(img), 0.0, 255.0), tf.uint8)
    return tf.cast(tf.image.adjust_jpeg_quality(u8, quality), tf.float32)


def _scaled_size(img, factor):
    hw = tf.cast(tf.shape(img)[:2], tf.float32)
    return tf.maximum(tf.cast(tf.round(hw * factor), tf.int32), 16)


def realworld(hr, seed, scale=4, p=None):
    """The training degradation: HR float (H, W, 3) in [0, 255], H and W multiples of ``scale`` -> LR
    (H/scale, W/scale, 3), rounded to 8 bits. ``seed``: int (2,) tensor. ``p`` overrides ``REALWORLD``."""
    p = {**REALWORLD, **(p or {})}
    rng = _Rng(seed)
    hr = tf.convert_to_tensor(hr, tf.float32)
    target = tf.shape(hr)[:2] // scale
    # first pass
    x = random_blur(hr, rng, p["blur_sigma"], p["sinc_prob"], p["kernel_size"])
    x = random_resize(x, rng, _scaled_size(x, rng.uniform(*p["resize_range"])))
    x = random_noise(x, rng, p["gaussian_noise_prob"], p["noise_sigma"], p["poisson_scale"], p["gray_noise_prob"])
    x = jpeg(x, rng.integer(*p["jpeg_range"]))

    def second(x):
        x = tf.cond(rng.chance(p["second_blur_prob"]),
                    lambda: random_blur(x, rng, p["blur_sigma2"], p["sinc_prob"], p["kernel_size"]), lambda: x)
        size = _scaled_size(hr, rng.uniform(*p["resize_range2"]) / scale)
        x = random_resize(x, rng, size)
        return random_noise(x, rng, p["gaussian_noise_prob"], p["noise_sigma2"], p["poisson_scale2"],
                            p["gray_noise_prob"])

    x = tf.cond(rng.chance(p["second_prob"]), lambda: second(x), lambda: x)
    # last: resize to the LR size, sinc ringing (often), JPEG
    x = random_resize(x, rng, target)
    sinc = sinc_kernel(tf.minimum(p["kernel_size"], 2 * (tf.reduce_min(target) // 2) - 1),
                       rng.uniform(math.pi / 3, math.pi))
    x = tf.cond(rng.chance(p["final_sinc_prob"]), lambda: filter2d(x, sinc), lambda: x)
    x = jpeg(x, rng.integer(*p["jpeg_range"]))
    return tf.ensure_shape(x, [None, None, 3])


def upload(hr, seed, scale=4, p=None):
    """The evaluation degradation (see the module doc): HR float (H, W, 3) in [0, 255], H and W multiples of
    ``scale`` -> LR (H/scale, W/scale, 3) rounded to 8 bits."""
    p = {**UPLOAD, **(p or {})}
    rng = _Rng(seed)
    hr = tf.convert_to_tensor(hr, tf.float32)
    x = tf.image.resize(hr, tf.shape(hr)[:2] // scale, method="bicubic", antialias=True)
    noise = tf.random.stateless_normal(tf.shape(x), rng.next_seed()) * rng.uniform(*p["noise_sigma"])
    x = tf.where(rng.chance(p["noise_prob"]), x + noise, x)
    return jpeg(x, rng.integer(*p["jpeg_range"]))


RECIPES = {"realworld": realworld, "upload": upload}


def degraded_pairs(hr_images, recipe="upload", seed=2026, scale=4):
    """(LR, HR) uint8 pairs: each HR cropped to a multiple of ``scale`` and degraded with seed (seed, index), so
    the set is the same on every machine and run."""
    fn = RECIPES[recipe]
    pairs = []
    for i, hr in enumerate(hr_images):
        h, w = (hr.shape[0] // scale) * scale, (hr.shape[1] // scale) * scale
        hr = np.ascontiguousarray(hr[:h, :w, :3])
        lr = fn(tf.constant(hr, tf.float32), tf.constant([seed, i], tf.int64), scale)
        pairs.append((np.clip(np.rint(lr.numpy()), 0, 255).astype(np.uint8), hr))
    return pairs
