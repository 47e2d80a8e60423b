"""Real-world degradations (training/degrade.py): deterministic for a seed, the right size, really degraded."""

import numpy as np
import pytest
import tensorflow as tf

from training import degrade
from tests.test_sr_training import photo


@pytest.mark.parametrize("recipe", sorted(degrade.RECIPES))
def test_same_seed_same_image_other_seed_other_image(recipe):
    hr = tf.constant(photo(96, 128, seed=1), tf.float32)
    fn = degrade.RECIPES[recipe]
    a, b = (fn(hr, tf.constant([7, 1], tf.int64)).numpy() for _ in range(2))
    c = fn(hr, tf.constant([7, 2], tf.int64)).numpy()
    assert a.shape == (24, 32, 3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.array_equal(a, np.rint(a)) and a.min() >= 0 and a.max() <= 255  # 8-bit values, like a file


def test_degraded_pairs_are_reproducible_and_worse_than_clean():
    from models import quality, sr
    hrs = [photo(99, 130, seed=s) for s in range(3)]
    pairs = degrade.degraded_pairs(hrs)
    again = degrade.degraded_pairs(hrs)
    for (lr, hr), (lr2, _), src in zip(pairs, again, hrs):
        assert lr.dtype == np.uint8 and hr.shape == (96, 128, 3) and lr.shape == (24, 32, 3)
        np.testing.assert_array_equal(lr, lr2)
        np.testing.assert_array_equal(hr, src[:96, :128])
        clean, _ = sr.downscale(src)
        assert quality.psnr_y(sr.bicubic_upscale(lr), hr) < quality.psnr_y(sr.bicubic_upscale(clean), hr)


def test_realworld_works_inside_tf_data_for_training(tmp_path):
    from PIL import Image
    from training.sr import make_dataset
    photos = [tmp_path / f"{s}.png" for s in range(3)]
    for s, path in enumerate(photos):
        Image.fromarray(photo(140, 150, seed=s)).save(path)
    # take(1): the pipeline ends, so its parallel map and prefetch threads stop with this test
    [(lr, hr)] = list(make_dataset(photos, 64, 4, seed=0, degradation="realworld").take(1))
    assert lr.shape == (4, 16, 16, 3) and hr.shape == (4, 64, 64, 3)
    assert 0.0 <= float(tf.reduce_min(lr)) and float(tf.reduce_max(lr)) <= 1.0
