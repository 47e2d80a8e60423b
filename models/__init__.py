"""GAN Studio models: pure Keras 3 builders, and the inference API in ``models.inference``.

``BUILDERS`` maps the builder names used in ``weights/manifest.json`` to the functions that build them;
weights are only ever loaded into models built here.
"""

from models import digits, sr

BUILDERS = {
    "mlp_generator": digits.mlp_generator,
    "mlp_discriminator": digits.mlp_discriminator,
    "dcgan_generator": digits.dcgan_generator,
    "dcgan_discriminator": digits.dcgan_discriminator,
    "digit_judge": digits.digit_judge,
    "sr_generator": sr.sr_generator,
    "sr_discriminator": sr.sr_discriminator,
    "rrdb_generator": sr.rrdb_generator,
}
