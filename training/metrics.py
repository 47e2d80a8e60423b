"""Evaluation metrics shared by the training families (the SR protocol lives in ``models.quality``)."""

import numpy as np
from scipy import linalg


def feature_stats(features):
    """Mean and covariance of an (N, D) feature array, in float64."""
    f = np.asarray(features, dtype=np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_distance(a, b):
    """Frechet distance between Gaussians fitted to two (N, D) feature sets (the FID formula).

    ``a`` and ``b`` are feature arrays or ``(mean, cov)`` pairs from ``feature_stats``.
    """
    mu1, s1 = a if isinstance(a, tuple) else feature_stats(a)
    mu2, s2 = b if isinstance(b, tuple) else feature_stats(b)
    covmean, _ = linalg.sqrtm(s1 @ s2, disp=False)
    if not np.isfinite(covmean).all():  # near-singular product: regularise, as the reference FID code does
        eps = np.eye(len(s1)) * 1e-6
        covmean = linalg.sqrtm((s1 + eps) @ (s2 + eps))
    covmean = covmean.real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))

