"""Image GANs at 32x32 and 64x64: DCGAN (Radford et al., 2015) and SAGAN (Zhang et al., 2019).

SAGAN's two ingredients are layers of our own here: spectral normalisation (Miyato et al., 2018) of every
convolution and dense kernel, and a self-attention block whose output is scaled by a learned ``gamma`` that
starts at zero. Images are (S, S, 3) in [-1, 1]. Pure Keras: no file I/O here.
"""

import keras
from keras import layers, ops

INIT = keras.initializers.RandomNormal(0.0, 0.02)


# ---------------------------------------------------------------------------------------------- layers

class SpectralNormMixin:
    """Divides the layer's kernel by its largest singular value, estimated with one power iteration per
    training call; the estimate ``sn_u`` persists between calls (and is saved with the weights)."""

    out_axis = -1  # the kernel axis of output units

    # Every variable, sn_u included, in creation order (Dense and Conv save only their kernel and bias).
    def save_own_variables(self, store):
        layers.Layer.save_own_variables(self, store)

    def load_own_variables(self, store):
        layers.Layer.load_own_variables(self, store)

    def _build_sn(self):
        self.sn_u = self.add_weight(shape=(1, self.kernel.shape[self.out_axis]), name="sn_u", trainable=False,
                                    initializer=keras.initializers.RandomNormal(0.0, 1.0))

    def spectral_kernel(self, training=False):
        w = ops.moveaxis(self.kernel, self.out_axis, -1)
        matrix = ops.reshape(w, (-1, w.shape[-1]))  # (fan_in, out)
        u = self.sn_u
        v = _l2_normalize(ops.matmul(u, ops.transpose(matrix)))  # (1, fan_in)
        u = _l2_normalize(ops.matmul(v, matrix))  # (1, out)
        u, v = ops.stop_gradient(u), ops.stop_gradient(v)
        sigma = ops.sum(ops.matmul(v, matrix) * u)
        if training:
            self.sn_u.assign(u)
        return self.kernel / sigma


def _l2_normalize(x, eps=1e-12):
    return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x)), eps))


class SNConv2D(SpectralNormMixin, layers.Conv2D):
    """``Conv2D`` with a spectrally normalised kernel."""

    def build(self, input_shape):
        super().build(input_shape)
        self._build_sn()

    def call(self, inputs, training=False):
        out = self.convolution_op(inputs, self.spectral_kernel(training))
        return self.activation(out + self.bias if self.use_bias else out)


class SNConv2DTranspose(SpectralNormMixin, layers.Conv2DTranspose):
    """``Conv2DTranspose`` with a spectrally normalised kernel (kernel layout (h, w, out, in))."""

    out_axis = 2

    def build(self, input_shape):
        super().build(input_shape)
        self._build_sn()

    def call(self, inputs, training=False):
        out = ops.conv_transpose(inputs, self.spectral_kernel(training), strides=list(self.strides),
                                 padding=self.padding, output_padding=self.output_padding,
                                 dilation_rate=self.dilation_rate, data_format=self.data_format)
        return self.activation(out + self.bias if self.use_bias else out)


class SNDense(SpectralNormMixin, layers.Dense):
    """``Dense`` with a spectrally normalised kernel."""

    def build(self, input_shape):
        super().build(input_shape)
        self._build_sn()

    def call(self, inputs, training=False):
        out = ops.matmul(inputs, self.spectral_kernel(training))
        return self.activation(out + self.bias if self.use_bias else out)


class SelfAttention(layers.Layer):
    """SAGAN's self-attention: every position attends to every other; ``x + gamma * attention(x)``, with
    ``gamma`` starting at 0 so the block begins as the identity and learns how much to use.

    Args:
        spectral: spectrally normalised 1x1 convolutions (SAGAN uses them in both nets).
    """

    def __init__(self, spectral=True, **kwargs):
        super().__init__(**kwargs)
        self.spectral = spectral

    def build(self, input_shape):
        c = input_shape[-1]
        conv = SNConv2D if self.spectral else layers.Conv2D
        self.query = conv(max(c // 8, 1), 1, kernel_initializer=INIT, name="query")
        self.key = conv(max(c // 8, 1), 1, kernel_initializer=INIT, name="key")
        self.value = conv(max(c // 2, 1), 1, kernel_initializer=INIT, name="value")
        self.out = conv(c, 1, kernel_initializer=INIT, name="out")
        for layer, channels in ((self.query, c), (self.key, c), (self.value, c), (self.out, max(c // 2, 1))):
            layer.build(tuple(input_shape[:-1]) + (channels,))
        self.gamma = self.add_weight(shape=(), initializer="zeros", name="gamma")

    def call(self, x, training=False):
        shape = ops.shape(x)
        b, h, w = shape[0], shape[1], shape[2]
        q = ops.reshape(self.query(x, training=training), (b, h * w, -1))  # (b, hw, c/8)
        k = ops.reshape(self.key(x, training=training), (b, h * w, -1))  # (b, hw, c/8)
        v = ops.reshape(self.value(x, training=training), (b, h * w, -1))  # (b, hw, c/2)
        attention = ops.softmax(ops.matmul(q, ops.transpose(k, (0, 2, 1))), axis=-1)  # (b, hw, hw)
        o = ops.reshape(ops.matmul(attention, v), (b, h, w, -1))  # (b, h, w, c/2)
        return x + self.gamma * self.out(o, training=training)

    def get_config(self):
        return {**super().get_config(), "spectral": self.spectral}


class ConditionalBatchNorm(layers.Layer):
    """Batch norm whose scale and shift depend on the class (de Vries et al., 2017; SAGAN's and BigGAN's
    generators): normalise without parameters of its own, then ``x * (1 + gamma[label]) + beta[label]``, both
    tables starting at zero (plain batch norm at first). Called as ``layer([x, label])``."""

    def __init__(self, num_classes, momentum=0.99, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.num_classes, self.momentum, self.epsilon = num_classes, momentum, epsilon

    def build(self, input_shape):
        c = input_shape[0][-1]
        self.norm = layers.BatchNormalization(center=False, scale=False, momentum=self.momentum,
                                              epsilon=self.epsilon, name="norm")
        self.norm.build(input_shape[0])
        self.gamma = self.add_weight(shape=(self.num_classes, c), initializer="zeros", name="gamma")
        self.beta = self.add_weight(shape=(self.num_classes, c), initializer="zeros", name="beta")

    def call(self, inputs, training=False):
        x, label = inputs
        label = ops.cast(ops.reshape(label, (-1,)), "int32")
        gamma = ops.take(self.gamma, label, axis=0)[:, None, None, :]  # (b, 1, 1, c)
        beta = ops.take(self.beta, label, axis=0)[:, None, None, :]
        x = self.norm(x, training=training)
        return x * ops.cast(1.0 + gamma, x.dtype) + ops.cast(beta, x.dtype)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "momentum": self.momentum,
                "epsilon": self.epsilon}


class Projection(layers.Layer):
    """The projection discriminator's class term (Miyato & Koyama, 2018): ``sum(embed[label] * features)``, the
    embedding spectrally normalised as the rest of D. Called as ``layer([features, label])``; one logit each."""

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes

    def build(self, input_shape):
        self.embed = SNDense(input_shape[0][-1], use_bias=False, kernel_initializer=INIT, name="embed")
        self.embed.build((None, self.num_classes))

    def call(self, inputs, training=False):
        features, label = inputs
        onehot = ops.one_hot(ops.cast(ops.reshape(label, (-1,)), "int32"), self.num_classes, dtype=features.dtype)
        return ops.sum(self.embed(onehot, training=training) * features, axis=-1, keepdims=True)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


# ---------------------------------------------------------------------------------------------- networks

def _widths(image_size, num_feat):
    """Channels per resolution from 4x4 up to image_size/2: halving as the maps grow (8f at 4x4 for 64 px)."""
    steps = image_size.bit_length() - 3  # 32 -> 3 upsamplings (4, 8, 16 -> 32), 64 -> 4
    return [num_feat * 2 ** (steps - 1 - i) for i in range(steps)]


def _check_size(image_size):
    if image_size not in (32, 64):
        raise ValueError(f"image_size must be 32 or 64, got {image_size}")


def image_generator(image_size=32, latent_dim=100, num_feat=64, sagan=False, attention_size=16, upsample="transpose",
                    num_classes=0, name=None):
    """DCGAN or SAGAN generator: noise (latent_dim,) -> image (S, S, 3), tanh.

    Dense to 4x4, then upsampling steps with batch norm and ReLU, doubling the size: DCGAN's transposed 4x4
    stride-2 convolutions, or (``upsample="resize"``) a nearest-neighbour doubling followed by a 3x3 convolution,
    which cannot leave the faint 2-pixel checkerboard that uneven kernel overlap gives transposed convolutions
    (Odena et al., 2016, "Deconvolution and Checkerboard Artifacts").

    Args:
        image_size: 32 (CIFAR-10) or 64 (faces).
        latent_dim: noise size (100 in DCGAN, 128 in SAGAN).
        num_feat: channels just before the output layer; 2x, 4x, ... towards 4x4.
        sagan: spectral normalisation in every layer and a self-attention block.
        attention_size: the feature-map size at which SAGAN attends (16 or 32).
        upsample: "transpose" (DCGAN) or "resize" (nearest-neighbour doubling, then a 3x3 convolution).
        num_classes: 0: unconditional, noise in; else class-conditional, ``[noise, label]`` in, with conditional
            batch norm (the class sets each map's scale and shift).
        name: model name.
    """
    _check_size(image_size)
    if upsample not in UPSAMPLERS:
        raise ValueError(f"upsample must be one of {', '.join(UPSAMPLERS)}, got {upsample!r}")
    widths = _widths(image_size, num_feat)
    dense, convt = (SNDense, SNConv2DTranspose) if sagan else (layers.Dense, layers.Conv2DTranspose)
    conv = SNConv2D if sagan else layers.Conv2D

    def double(x, channels, **kwargs):  # (size, size, .) -> (2 size, 2 size, channels)
        if upsample == "transpose":
            return convt(channels, 4, strides=2, padding="same", kernel_initializer=INIT, **kwargs)(x)
        x = layers.UpSampling2D(2, interpolation="nearest")(x)
        return conv(channels, 3, padding="same", kernel_initializer=INIT, **kwargs)(x)

    noise = keras.Input((latent_dim,), name="noise")
    label = keras.Input((), dtype="int32", name="label") if num_classes else None

    def norm(x):
        return ConditionalBatchNorm(num_classes)([x, label]) if num_classes else layers.BatchNormalization()(x)

    x = dense(4 * 4 * widths[0], use_bias=False, kernel_initializer=INIT)(noise)
    x = layers.Reshape((4, 4, widths[0]))(x)  # (4, 4, w0)
    x = layers.ReLU()(norm(x))
    size = 4
    for w in widths[1:]:
        x = double(x, w, use_bias=False)  # (2 size, 2 size, w)
        x = layers.ReLU()(norm(x))
        size *= 2
        if sagan and size == attention_size:
            x = SelfAttention(name=f"attention_{size}")(x)
    out = double(x, 3)  # (S, S, 3)
    out = layers.Activation("tanh", dtype="float32")(out)
    return keras.Model([noise, label] if num_classes else noise, out,
                       name=name or ("sagan" if sagan else "dcgan") + f"{image_size}_generator")


UPSAMPLERS = ("transpose", "resize")


def image_discriminator(image_size=32, num_feat=64, sagan=False, attention_size=16, num_classes=0, deep=False,
                        name=None):
    """DCGAN or SAGAN discriminator: image (S, S, 3) -> one logit.

    4x4 stride-2 convolutions with LeakyReLU 0.2, halving the size down to 4x4; DCGAN has batch norm after all
    but the first, SAGAN spectral normalisation everywhere and self-attention instead. ``deep`` puts a 3x3
    stride-1 convolution before each of them and one at 4x4 (SNGAN's "standard CNN", Miyato et al., 2018).

    Args:
        image_size: 32 or 64.
        num_feat: channels of the first convolution; doubling as the maps shrink.
        sagan: spectral normalisation and a self-attention block.
        attention_size: the feature-map size at which SAGAN attends.
        num_classes: 0: unconditional; else ``[image, label]`` in, and the projection discriminator's class term
            added to the logit.
        deep: a 3x3 stride-1 convolution (and LeakyReLU) before every stride-2 one, and one more at 4x4 that
            doubles the widest width.
        name: model name.
    """
    _check_size(image_size)
    widths = list(reversed(_widths(image_size, num_feat)))  # f, 2f, ... down to 4x4
    conv, dense = (SNConv2D, SNDense) if sagan else (layers.Conv2D, layers.Dense)
    image = keras.Input((image_size, image_size, 3), name="image")
    x, size = image, image_size
    for i, w in enumerate(widths):
        if deep:
            x = layers.LeakyReLU(0.2)(conv(w, 3, padding="same", kernel_initializer=INIT)(x))  # (size, ., w)
        x = conv(w, 4, strides=2, padding="same", kernel_initializer=INIT)(x)  # (size / 2, ., w)
        if i and not sagan:
            x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)
        size //= 2
        if sagan and size == attention_size:
            x = SelfAttention(name=f"attention_{size}")(x)
    if deep:
        x = layers.LeakyReLU(0.2)(conv(2 * widths[-1], 3, padding="same", kernel_initializer=INIT)(x))  # (4, 4, 2w)
    x = layers.Flatten()(x)  # (4 * 4 * widest,), twice that when deep
    out = dense(1, kernel_initializer=INIT, dtype="float32")(x)
    if not num_classes:
        return keras.Model(image, out, name=name or ("sagan" if sagan else "dcgan") + f"{image_size}_discriminator")
    label = keras.Input((), dtype="int32", name="label")
    out = layers.Add(dtype="float32")([out, Projection(num_classes, dtype="float32")([x, label])])  # (1,)
    return keras.Model([image, label], out, name=name or ("sagan" if sagan else "dcgan") + f"{image_size}_discriminator")


# ---------------------------------------------------------------------------------------------- the judge

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def image_judge(num_feat=32, num_classes=10, image_size=32, name="cifar10_judge"):
    """A CIFAR-10 classifier that scores the image GANs' samples (which classes, how confidently). It is trained
    on the real images alone and plays no part in any GAN's loss or checkpoint choice.

    Three VGG stages of two 3x3 convolutions with batch norm and ReLU, each followed by 2x2 max pooling, then
    global average pooling. Returns a model with two outputs: class probabilities (num_classes,) and the pooled
    features (4 * num_feat,). Input: (S, S, 3) in [-1, 1].

    Args:
        num_feat: channels of the first stage; 2x and 4x in the next two.
        num_classes: classes (10 for CIFAR-10).
        image_size: S.
        name: model name.
    """
    image = keras.Input((image_size, image_size, 3), name="image")
    x = image
    for width in (num_feat, num_feat * 2, num_feat * 4):
        for _ in range(2):
            x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)  # (s, s, width)
            x = layers.ReLU()(layers.BatchNormalization()(x))
        x = layers.MaxPooling2D()(x)  # (s / 2, s / 2, width)
    features = layers.GlobalAveragePooling2D(name="features")(x)  # (4 f,)
    x = layers.Dropout(0.3)(features)
    probs = layers.Dense(num_classes, activation="softmax", name="probs", dtype="float32")(x)  # (classes,)
    return keras.Model(image, [probs, features], name=name)
