"""Image quality measures of the super-resolution literature: PSNR and SSIM on the Y channel."""

import cv2
import numpy as np


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


def ssim_y(a, b, border=4, band=256):
    """SSIM (Wang et al., 2004: 11x11 Gaussian window, sigma 1.5) on the Y channel, border shaved.

    Computed ``band`` rows of the SSIM map at a time, each from its rows and the 5 above and below (the window's
    reach): the same numbers as the whole image at once, with a dozen full-size float64 maps no longer held
    together (a 4-megapixel photo took 400 MB)."""
    ya, yb = rgb_to_y(a), rgb_to_y(b)
    if border:
        ya, yb = ya[border:-border, border:-border], yb[border:-border, border:-border]
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    # 11x11 Gaussian window, valid region only (OpenCV: the same float64 numbers as scipy's filter, 3x faster)
    blur = lambda x: cv2.GaussianBlur(x, (11, 11), 1.5)[5:-5, 5:-5]  # noqa: E731
    total, count = 0.0, 0
    for top in range(0, max(ya.shape[0] - 10, 0), band):  # map rows top..top+band come from image rows +0..+10
        sa, sb = ya[top:top + band + 10], yb[top:top + band + 10]
        mu_a, mu_b = blur(sa), blur(sb)
        var_a, var_b, cov = blur(sa * sa) - mu_a ** 2, blur(sb * sb) - mu_b ** 2, blur(sa * sb) - mu_a * mu_b
        ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
        total, count = total + float(ssim_map.sum()), count + ssim_map.size
    return total / count if count else float("nan")


def mesh_score(sr_img, lr_bicubic, scale=4, size=64, border=4):
    """How strongly an SR output carries a pattern locked to the ``scale``-pixel grid of its sub-pixel
    upsampler (the dot or mesh texture of pixel-shuffle networks): 1.0 means none.

    The residual over bicubic (Y channel) is cut into ``size``x``size`` blocks; their power spectra are averaged,
    and the power at the grid's frequencies (multiples of 1/``scale`` cycles per pixel, other than zero) is
    divided by the power of the frequencies around them. Real detail spreads over all frequencies (about 1);
    a periodic mesh puts peaks exactly there.
    """
    r = rgb_to_y(sr_img) - rgb_to_y(lr_bicubic)
    if border:
        r = r[border:-border, border:-border]
    ny, nx = r.shape[0] // size, r.shape[1] // size
    if not ny or not nx:
        return 1.0
    blocks = r[:ny * size, :nx * size].reshape(ny, size, nx, size).transpose(0, 2, 1, 3).reshape(-1, size, size)
    blocks = blocks - blocks.mean(axis=(1, 2), keepdims=True)
    power = (np.abs(np.fft.fft2(blocks)) ** 2).mean(axis=0)
    step = size // scale
    peaks, around = [], []
    for i in range(scale):
        for j in range(scale):
            if i == j == 0:
                continue
            y, x = i * step, j * step
            peaks.append(power[y, x])
            ring = [power[(y + dy) % size, (x + dx) % size] for dy in range(-2, 3) for dx in range(-2, 3)
                    if (dy, dx) != (0, 0)]
            around.append(np.mean(ring))
    return float(np.sum(peaks) / max(np.sum(around), 1e-12))


def checkerboard(batch_uint8, n=500):
    """How strongly images carry a 2-pixel checkerboard (the mark of stride-2 transposed convolutions): the mean
    over the first ``n`` of ``mesh_score`` at scale 2 of each image's detail (the image minus its Gaussian blur,
    sigma 1); 1.0 means no more power on the 2-pixel grid than around it. Real faces score about 1.6."""
    import cv2  # noqa: PLC0415  (opencv only where this is measured)
    return round(float(np.mean([mesh_score(img, cv2.GaussianBlur(img, (0, 0), 1.0), scale=2, size=img.shape[0]
                                           if img.shape[0] <= 64 else 64, border=0) for img in batch_uint8[:n]])), 3)
