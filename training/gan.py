"""A GAN as a ``keras.Model`` with its own ``compile`` and ``train_step`` (after the keras-io GAN examples).

Works unconditional or conditional (class labels fed to both nets), under any ``tf.distribute`` strategy
(Keras loss objects divide by the replica count and the optimizer all-reduces gradients) and with mixed
precision (``optimizer.scale_loss`` before the gradients; a ``LossScaleOptimizer`` unscales them).
"""

import keras
import tensorflow as tf

from training.trainer import TrainerModel


class GAN(TrainerModel):
    """Non-saturating GAN (Goodfellow et al., 2014) with one-sided label smoothing, or the hinge loss of
    SAGAN (Lim & Ye, 2017; Zhang et al., 2019) with ``loss="hinge"``.

    Args:
        generator: maps noise (or ``[noise, label]``) to images.
        discriminator: maps images (or ``[image, label]``) to one logit.
        latent_dim: size of the noise vector.
        conditional: feed class labels to both nets.
        num_classes: number of classes (conditional only).
        real_label: target for real images in the discriminator loss (0.9 = one-sided smoothing).
        seed: seed of the noise generator used in training.
        loss: ``"bce"`` (non-saturating) or ``"hinge"``.
    """

    def __init__(self, generator, discriminator, latent_dim, conditional=False, num_classes=10,
                 real_label=0.9, seed=0, loss="bce", **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.conditional = conditional
        self.num_classes = num_classes
        self.real_label = real_label
        if loss not in ("bce", "hinge"):
            raise ValueError(f"loss must be 'bce' or 'hinge', got {loss!r}")
        self.loss = loss
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.track("g_loss", "d_loss", "d_real", "d_fake")  # d_real, d_fake: mean D(x), D(G(z))

    def _nets_inputs(self, images, labels, noise):
        if self.conditional:
            return [noise, labels], (lambda x: [x, labels])
        return noise, (lambda x: x)

    def _mean(self, x):
        """Mean over the global batch (each replica's share), as the Keras loss objects compute it."""
        return tf.reduce_mean(tf.cast(x, "float32")) / tf.distribute.get_strategy().num_replicas_in_sync

    def discriminator_loss(self, real_logits, fake_logits):
        if self.loss == "hinge":
            return self._mean(tf.nn.relu(1.0 - real_logits)) + self._mean(tf.nn.relu(1.0 + fake_logits))
        return (self.bce(tf.fill(tf.shape(real_logits), self.real_label), real_logits)
                + self.bce(tf.zeros_like(fake_logits), fake_logits))

    def generator_loss(self, fake_logits):
        if self.loss == "hinge":
            return -self._mean(fake_logits)
        return self.bce(tf.ones_like(fake_logits), fake_logits)

    def noise(self, batch):
        """``batch`` latent vectors for this replica: the seed generator's next seed with the replica's id folded
        in, so that N replicas (GPUs, workers) draw N different batches of noise (``keras.random.normal`` with
        the shared generator alone gave every replica the same z: batch/N distinct fakes per step)."""
        seed = tf.cast(self.seed_generator.next(), tf.int64)
        context = tf.distribute.get_replica_context()
        replica = context.replica_id_in_sync_group if context is not None else 0
        seed = tf.random.experimental.stateless_fold_in(seed, tf.cast(replica, tf.int64))
        return tf.random.stateless_normal((batch, self.latent_dim), seed)

    def train_step(self, data):
        images, labels = data
        batch = tf.shape(images)[0]
        noise = self.noise(batch)
        g_in, d_in = self._nets_inputs(images, labels, noise)

        # Discriminator: real -> real_label, fake -> 0.
        fake = self.generator(g_in, training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(d_in(images), training=True)
            fake_logits = self.discriminator(d_in(fake), training=True)
            d_loss = self.discriminator_loss(real_logits, fake_logits)
            scaled = self.d_optimizer.scale_loss(d_loss)
        self.descend(tape, scaled, self.d_optimizer, self.discriminator)

        # Generator: make D call its images real (non-saturating loss).
        noise = self.noise(batch)
        g_in, _ = self._nets_inputs(images, labels, noise)
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(d_in(self.generator(g_in, training=True)), training=True)
            g_loss = self.generator_loss(fake_logits)
            scaled = self.g_optimizer.scale_loss(g_loss)
        self.descend(tape, scaled, self.g_optimizer, self.generator)
        return self.record({"g_loss": g_loss, "d_loss": d_loss}, {"d_real": real_logits, "d_fake": fake_logits})
