"""Image quality measures of the super-resolution literature: PSNR and SSIM on the Y channel."""

import numpy as np
from scipy.ndimage import gaussian_filter


def rgb_to_y(image):
    """ITU-R BT.601 luma of an RGB image in [0, 255] (the Y channel SR papers evaluate on), in [16, 235]."""
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 2:
        return img
    return 16.0 + (65.481 * img[..., 0] + 128.553 * img[..., 1] + 24.966 * img[..., 2]) / 255.0


def psnr_y(a, b, border=4):
    """PSNR in dB between two uint8-range RGB images on the Y channel, ``border`` pixels shaved off each side.

    Identical images give ``inf``.
    """
    ya, yb = rgb_to_y(a), rgb_to_y(b)
    if border:
        ya, yb = ya[border:-border, border:-border], yb[border:-border, border:-border]
    mse = np.mean((ya - yb) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))


def ssim_y(a, b, border=4):
    """SSIM (Wang et al., 2004: 11x11 Gaussian window, sigma 1.5) on the Y channel, border shaved."""
    ya, yb = rgb_to_y(a), rgb_to_y(b)
    if border:
        ya, yb = ya[border:-border, border:-border], yb[border:-border, border:-border]
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda x: gaussian_filter(x, 1.5, truncate=3.5)[5:-5, 5:-5]  # 11x11 window, valid region  # noqa: E731
    mu_a, mu_b = blur(ya), blur(yb)
    var_a, var_b, cov = blur(ya * ya) - mu_a ** 2, blur(yb * yb) - mu_b ** 2, blur(ya * yb) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return float(ssim_map.mean())
