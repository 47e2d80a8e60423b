"""GAN Studio models: pure Keras 3 builders, and the inference API in ``models.inference``.

``BUILDERS`` maps the builder names used in ``weights/manifest.json`` to the functions that build them;
weights are only ever loaded into models built here. It is made on first use, so that the light modules
(``models.weights``' manifest reading, ``models.images``, ``models.uploads``) import without TensorFlow.
"""


def __getattr__(name):  # PEP 562: `from models import BUILDERS` imports Keras (and TensorFlow) only then
    if name != "BUILDERS":
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    from models import digits, faces, imagegan, pix2pix, sr  # noqa: PLC0415

    builders = globals()["BUILDERS"] = {
        "mlp_generator": digits.mlp_generator,
        "mlp_discriminator": digits.mlp_discriminator,
        "dcgan_generator": digits.dcgan_generator,
        "dcgan_discriminator": digits.dcgan_discriminator,
        "digit_judge": digits.digit_judge,
        "attribute_predictor": faces.attribute_predictor,
        "feature_reader": faces.feature_reader,
        "sr_generator": sr.sr_generator,
        "sr_discriminator": sr.sr_discriminator,
        "rrdb_generator": sr.rrdb_generator,
        "unet_generator": pix2pix.unet_generator,
        "patchgan_discriminator": pix2pix.patchgan_discriminator,
        "image_generator": imagegan.image_generator,
        "image_discriminator": imagegan.image_discriminator,
        "image_judge": imagegan.image_judge,
    }
    return builders
