"""Every builder in models.BUILDERS, in a tiny configuration: output shapes and dtypes."""

import numpy as np
import pytest

from models import BUILDERS, digits

B = 3
noise = np.random.default_rng(0).standard_normal((B, 16)).astype("float32")
labels = np.array([0, 5, 9], "int32")
image = np.zeros((B, 28, 28, 1), "float32")
lr_image = np.random.default_rng(1).random((2, 11, 9, 3)).astype("float32")  # odd sizes on purpose

CASES = {
    "mlp_generator": [({"latent_dim": 16, "num_feat": 8}, noise, (B, 28, 28, 1)),
                      ({"latent_dim": 16, "num_feat": 8, "conditional": True}, [noise, labels], (B, 28, 28, 1))],
    "mlp_discriminator": [({"num_feat": 8}, image, (B, 1)),
                          ({"num_feat": 8, "conditional": True}, [image, labels], (B, 1))],
    "dcgan_generator": [({"latent_dim": 16, "num_feat": 4}, noise, (B, 28, 28, 1)),
                        ({"latent_dim": 16, "num_feat": 4, "conditional": True}, [noise, labels], (B, 28, 28, 1)),
                        ({"latent_dim": 16, "num_feat": 4, "num_block": 2}, noise, (B, 28, 28, 1))],
    "dcgan_discriminator": [({"num_feat": 4}, image, (B, 1)),
                            ({"num_feat": 4, "conditional": True}, [image, labels], (B, 1)),
                            ({"num_feat": 4, "num_block": 2}, image, (B, 1))],
    "sr_generator": [({"num_feat": 8, "num_block": 2}, lr_image, (2, 44, 36, 3)),
                     ({"num_feat": 8, "num_block": 1, "upsampler": "progressive", "batch_norm": True}, lr_image,
                      (2, 44, 36, 3)),
                     ({"num_feat": 8, "num_block": 1, "upscale": 2, "bicubic_skip": False}, lr_image, (2, 22, 18, 3))],
    "rrdb_generator": [({"num_feat": 8, "num_block": 1, "num_grow_ch": 4}, lr_image, (2, 44, 36, 3))],
    "sr_discriminator": [({"num_feat": 4, "num_stage": 2}, np.zeros((2, 32, 40, 3), "float32"), (2, 1))],
    "unet_generator": [({"image_size": 32, "num_feat": 4}, np.zeros((2, 32, 32, 1), "float32"), (2, 32, 32, 3)),
                       ({"image_size": 16, "num_feat": 4, "max_mult": 8, "in_channels": 3},
                        np.zeros((2, 16, 16, 3), "float32"), (2, 16, 16, 3)),
                       ({"image_size": 32, "num_feat": 4, "upsample_mode": "resize"},
                        np.zeros((2, 32, 32, 1), "float32"), (2, 32, 32, 3))],
    "patchgan_discriminator": [({"image_size": 32, "num_feat": 4},  # 70x70 patches: (32/8 - 2) logits a side
                                [np.zeros((2, 32, 32, 1), "float32"), np.zeros((2, 32, 32, 3), "float32")],
                                (2, 2, 2, 1))],
    "image_generator": [({"image_size": 32, "latent_dim": 8, "num_feat": 4}, noise[:2, :8], (2, 32, 32, 3)),
                        ({"image_size": 64, "latent_dim": 8, "num_feat": 4, "upsample": "resize"}, noise[:2, :8],
                         (2, 64, 64, 3)),
                        ({"image_size": 64, "latent_dim": 8, "num_feat": 2, "sagan": True, "attention_size": 32},
                         noise[:2, :8], (2, 64, 64, 3)),
                        ({"image_size": 32, "latent_dim": 8, "num_feat": 2, "sagan": True, "num_classes": 10,
                          "upsample": "resize"}, [noise[:2, :8], np.array([1, 7], "int32")], (2, 32, 32, 3))],
    "attribute_predictor": [({"image_size": 32, "num_feat": 4}, np.zeros((2, 32, 32, 3), "float32"), (2, 2))],
    "feature_reader": [({"image_size": 32, "input_size": 48, "taps": ["fire5"]}, np.zeros((2, 32, 32, 3), "float32"),
                        (2, 2)),
                       ({"image_size": 64, "heads": 4}, np.zeros((2, 64, 64, 3), "float32"), (2, 8))],
    "image_discriminator": [({"image_size": 32, "num_feat": 4}, np.zeros((2, 32, 32, 3), "float32"), (2, 1)),
                            ({"image_size": 64, "num_feat": 2, "sagan": True}, np.zeros((2, 64, 64, 3), "float32"),
                             (2, 1)),
                            ({"image_size": 32, "num_feat": 2, "sagan": True, "num_classes": 10},
                             [np.zeros((2, 32, 32, 3), "float32"), np.array([1, 7], "int32")], (2, 1)),
                            ({"image_size": 32, "num_feat": 2, "sagan": True, "num_classes": 10, "deep": True},
                             [np.zeros((2, 32, 32, 3), "float32"), np.array([1, 7], "int32")], (2, 1))],
}


def test_every_builder_has_a_shape_case():
    assert set(CASES) | {"digit_judge", "image_judge"} == set(BUILDERS)


@pytest.mark.parametrize("builder,kwargs,inputs,shape",
                         [(b, *case) for b, cases in CASES.items() for case in cases])
def test_builder_shapes(builder, kwargs, inputs, shape):
    model = BUILDERS[builder](**kwargs)
    out = np.asarray(model(inputs, training=False))
    assert out.shape == shape
    if builder in ("mlp_generator", "dcgan_generator"):
        assert out.min() >= -1.0 and out.max() <= 1.0  # tanh range


def test_conditional_generator_uses_the_label():
    g = BUILDERS["dcgan_generator"](latent_dim=16, num_feat=4, conditional=True)
    a = np.asarray(g([noise, labels], training=False))
    b = np.asarray(g([noise, (labels + 1) % 10], training=False))
    assert not np.allclose(a, b)


def test_judge_outputs_probabilities_and_features():
    judge = BUILDERS["digit_judge"](num_feat=4, feature_dim=12)
    probs, feats = judge(image, training=False)
    assert probs.shape == (B, 10) and feats.shape == (B, 12)
    np.testing.assert_allclose(np.asarray(probs).sum(1), 1.0, rtol=1e-5)


def test_image_judge_outputs_probabilities_and_pooled_features():
    judge = BUILDERS["image_judge"](num_feat=4)
    probs, feats = judge(np.zeros((2, 32, 32, 3), "float32"), training=False)
    assert probs.shape == (2, 10) and feats.shape == (2, 16)
    np.testing.assert_allclose(np.asarray(probs).sum(1), 1.0, rtol=1e-5)


def test_sample_inputs_extend_and_cycle_labels():
    small = digits.sample_inputs(5, 16, conditional=True, seed=3)
    big = digits.sample_inputs(20, 16, conditional=True, seed=3)
    np.testing.assert_array_equal(small[0], big[0][:5])  # a bigger grid extends a smaller one
    assert big[1].tolist() == [i % 10 for i in range(20)]
    assert digits.sample_inputs(4, 16, conditional=True, digit=7)[1].tolist() == [7] * 4


def test_untrained_sr_generator_with_bicubic_skip_is_exactly_bicubic():
    from models import sr
    g = BUILDERS["sr_generator"](num_feat=8, num_block=1)
    lr = (lr_image[0] * 255).round().astype("uint8")
    out = np.clip(np.rint(np.asarray(g(lr[None].astype("float32") / 255, training=False))[0] * 255), 0, 255)
    assert np.abs(out.astype(int) - sr.bicubic_upscale(lr).astype(int)).max() <= 1
