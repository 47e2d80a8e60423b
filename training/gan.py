"""A GAN as a ``keras.Model`` with its own ``compile`` and ``train_step`` (after the keras-io GAN examples).

Works unconditional or conditional (class labels fed to both nets), under any ``tf.distribute`` strategy
(Keras loss objects divide by the replica count and the optimizer all-reduces gradients) and with mixed
precision (``optimizer.scale_loss`` before the gradients; a ``LossScaleOptimizer`` unscales them).
"""

import keras
import tensorflow as tf

from models.imagegan import Projection
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
        augment: DiffAugment policies (a subset of ``AUGMENTS``) applied to every image D sees, real and fake,
            in both steps; empty: none.
        class_loss: weight of the dual projection class loss (P2GAN, Han et al., 2021; conditional, with a
            projection discriminator only; 0: off). The projection's class embedding, applied to D's features for
            every class, is a classifier: D learns to name the class of real images with it, and G to paint
            images it names as the class asked for. No new weights.
    """

    def __init__(self, generator, discriminator, latent_dim, conditional=False, num_classes=10,
                 real_label=0.9, seed=0, loss="bce", augment=(), class_loss=0.0, **kwargs):
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
        unknown = set(augment) - set(AUGMENTS)
        if unknown:
            raise ValueError(f"unknown augment {sorted(unknown)}; choose from {list(AUGMENTS)}")
        self.augment = [a for a in AUGMENTS if a in augment]  # a fixed order
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.class_loss = class_loss
        if class_loss:
            self.projection, self.with_features = self._projection_and_features(discriminator)
        # d_real, d_fake: mean D(x), D(G(z)); d_class, g_class: the class loss's cross-entropies (in the totals)
        self.track("g_loss", "d_loss", "d_real", "d_fake", *(("d_class", "g_class") if class_loss else ()))

    def _projection_and_features(self, discriminator):
        """D's ``Projection`` layer and a model ``[image, label] -> (logit, the features the projection reads)``
        sharing D's layers."""
        projection = [layer for layer in getattr(discriminator, "layers", []) if isinstance(layer, Projection)]
        if not self.conditional or len(projection) != 1:
            raise ValueError("class_loss needs a conditional GAN whose discriminator has a projection term")
        features = projection[0].input[0]
        return projection[0], keras.Model(discriminator.inputs, [discriminator.outputs[0], features])

    def _discriminate(self, inputs):
        """D's logit, and with the class loss the features its projection term reads (else None)."""
        if self.class_loss:
            return self.with_features(inputs, training=True)
        return self.discriminator(inputs, training=True), None

    def class_logits(self, features):
        """Each class's projection term for ``features`` (batch, classes): the class embedding as a classifier."""
        kernel = self.projection.embed.spectral_kernel()  # (classes, features), as the projection term uses it
        return tf.matmul(tf.cast(features, "float32"), tf.cast(kernel, "float32"), transpose_b=True)

    def class_cross_entropy(self, features, labels):
        labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
        return self._mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, self.class_logits(features)))

    def _nets_inputs(self, images, labels, noise):
        aug = self._augmented
        if self.conditional:
            return [noise, labels], (lambda x: [aug(x), labels])
        return noise, aug

    def _augmented(self, x):
        for name in self.augment:
            x = AUGMENTS[name](x, self._seed())
        return x

    def _seed(self):
        """The seed generator's next seed, with the replica's id folded in (one stream per replica)."""
        seed = tf.cast(self.seed_generator.next(), tf.int64)
        context = tf.distribute.get_replica_context()
        replica = context.replica_id_in_sync_group if context is not None else 0
        return tf.random.experimental.stateless_fold_in(seed, tf.cast(replica, tf.int64))

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
        return tf.random.stateless_normal((batch, self.latent_dim), self._seed())

    def train_step(self, data):
        images, labels = data
        batch = tf.shape(images)[0]
        noise = self.noise(batch)
        g_in, d_in = self._nets_inputs(images, labels, noise)

        # Discriminator: real -> real_label, fake -> 0.
        fake = self.generator(g_in, training=True)
        parts = {}
        with tf.GradientTape() as tape:
            real_logits, real_features = self._discriminate(d_in(images))
            fake_logits, _ = self._discriminate(d_in(fake))
            d_loss = self.discriminator_loss(real_logits, fake_logits)
            if self.class_loss:  # name the class of the real images
                parts["d_class"] = self.class_cross_entropy(real_features, labels)
                d_loss += self.class_loss * parts["d_class"]
            scaled = self.d_optimizer.scale_loss(d_loss)
        self.descend(tape, scaled, self.d_optimizer, self.discriminator)

        # Generator: make D call its images real (non-saturating loss), and of the class asked for.
        noise = self.noise(batch)
        g_in, _ = self._nets_inputs(images, labels, noise)
        with tf.GradientTape() as tape:
            fake_logits, fake_features = self._discriminate(d_in(self.generator(g_in, training=True)))
            g_loss = self.generator_loss(fake_logits)
            if self.class_loss:
                parts["g_class"] = self.class_cross_entropy(fake_features, labels)
                g_loss += self.class_loss * parts["g_class"]
            scaled = self.g_optimizer.scale_loss(g_loss)
        self.descend(tape, scaled, self.g_optimizer, self.generator)
        return self.record({"g_loss": g_loss, "d_loss": d_loss, **parts},
                           {"d_real": real_logits, "d_fake": fake_logits})


# ---------------------------------------------------------------------------------------------- DiffAugment
# Differentiable augmentation (Zhao et al., 2020, "Differentiable Augmentation for Data-Efficient GAN
# Training"): the same random transforms on real and generated images, inside the graph, so that the generator's
# gradients pass through them. A discriminator that sees a few thousand photos learns them by heart and then
# gives the generator little to learn from; augmenting everything it sees keeps it honest. Images in [-1, 1],
# (batch, height, width, channels); each transform draws its own values per image from a stateless seed.

def _uniform(seed, salt, shape, minval, maxval, dtype=tf.float32):
    """Uniform values of ``shape`` from ``seed`` with ``salt`` folded in (one independent stream per use)."""
    return tf.random.stateless_uniform(shape, tf.random.experimental.stateless_fold_in(seed, salt), minval, maxval,
                                       dtype)


def augment_color(x, seed):
    """Brightness +-0.5, saturation x0..2, contrast x0.5..1.5 (DiffAugment's ``color``)."""
    b = tf.shape(x)[0]
    x = x + _uniform(seed, 0, (b, 1, 1, 1), -0.5, 0.5)
    mean = tf.reduce_mean(x, axis=3, keepdims=True)
    x = (x - mean) * _uniform(seed, 1, (b, 1, 1, 1), 0.0, 2.0) + mean
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * _uniform(seed, 2, (b, 1, 1, 1), 0.5, 1.5) + mean


def augment_translation(x, seed, ratio=0.125):
    """Shift each image by up to ``ratio`` of its size in each direction, filling with zeros (``translation``)."""
    b, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
    ph, pw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    padded = tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]])
    dy = _uniform(seed, 3, (b, 1), 0, 2 * ph + 1, tf.int32)
    dx = _uniform(seed, 4, (b, 1), 0, 2 * pw + 1, tf.int32)
    rows = tf.gather(padded, dy + tf.range(h)[None], axis=1, batch_dims=1)  # (b, h, w + 2pw, c)
    return tf.gather(rows, dx + tf.range(w)[None], axis=2, batch_dims=1)  # (b, h, w, c)


def augment_cutout(x, seed, ratio=0.5):
    """Zero a square of ``ratio`` of the size at a random place in each image (``cutout``)."""
    b, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = _uniform(seed, 5, (b, 1, 1), 0, h + (1 - ch % 2), tf.int32)
    cx = _uniform(seed, 6, (b, 1, 1), 0, w + (1 - cw % 2), tf.int32)
    ys, xs = tf.range(h)[None, :, None] - (cy - ch // 2), tf.range(w)[None, None, :] - (cx - cw // 2)
    inside = (ys >= 0) & (ys < ch) & (xs >= 0) & (xs < cw)  # a ch x cw square, cut by the border
    return x * tf.cast(~inside, x.dtype)[..., None]


AUGMENTS = {"color": augment_color, "translation": augment_translation, "cutout": augment_cutout}
