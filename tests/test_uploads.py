"""Untrusted image bytes: every format quirk decodes to uint8 RGB (+ alpha); every bad file gets a message."""

import io

import numpy as np
import pytest
from PIL import Image

from models import uploads
from models.uploads import ImageError, decode_image


def encode(im, fmt="PNG", **kw):
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


RGB = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)


def test_rgb_png_round_trips():
    rgb, alpha = decode_image(encode(Image.fromarray(RGB)))
    assert np.array_equal(rgb, RGB) and alpha is None


def test_grayscale_becomes_three_equal_channels():
    rgb, _ = decode_image(encode(Image.fromarray(RGB[..., 0])))
    assert rgb.shape == (20, 30, 3) and np.array_equal(rgb[..., 0], RGB[..., 0]) and np.array_equal(rgb[..., 1], rgb[..., 2])


def test_rgba_keeps_alpha_separately():
    a = np.tile(np.arange(30, dtype=np.uint8) * 8, (20, 1))
    rgb, alpha = decode_image(encode(Image.fromarray(np.dstack([RGB, a]), "RGBA")))
    assert np.array_equal(rgb, RGB) and np.array_equal(alpha, a)


def test_palette_with_transparency_gives_alpha():
    im = Image.fromarray(RGB).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    im.info["transparency"] = 0
    rgb, alpha = decode_image(encode(im, transparency=0))
    assert rgb.shape == (20, 30, 3) and alpha is not None and (alpha == 0).any()


def test_16_bit_png_is_scaled_to_8_bits():
    values = (np.arange(600, dtype=np.uint16).reshape(20, 30) * 100)
    rgb, _ = decode_image(encode(Image.fromarray(values)))
    assert rgb.dtype == np.uint8 and rgb[..., 0].max() == round(values.max() / 65535 * 255)


def test_exif_orientation_is_applied():
    im = Image.fromarray(RGB)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    rgb, _ = decode_image(encode(im, "JPEG", exif=exif, quality=95))
    assert rgb.shape == (30, 20, 3)


def test_cmyk_jpeg_and_webp_decode():
    assert decode_image(encode(Image.fromarray(RGB).convert("CMYK"), "JPEG"))[0].shape == (20, 30, 3)
    assert decode_image(encode(Image.fromarray(RGB), "WEBP", lossless=True))[0].shape == (20, 30, 3)


@pytest.mark.parametrize("data,message", [
    (b"", "empty"),
    (b"hello, I am a text file" * 10, "not an image"),
    (encode(Image.fromarray(RGB))[:60], "damaged or truncated"),
    (encode(Image.fromarray(RGB), "PNG")[:16] + b"\0" * 200, "damaged|not an image"),
    (encode(Image.fromarray(RGB), "JPEG")[:300], "damaged or truncated"),
    (encode(Image.fromarray(RGB), "ICO"), "not supported"),
])
def test_bad_files_get_a_clear_message(data, message):
    with pytest.raises(ImageError, match=message):
        decode_image(data)


def test_huge_and_bomb_images_are_refused_before_decoding():
    bomb = encode(Image.new("1", (20000, 20000)))  # ~50 KB on disk, 400 megapixels
    assert len(bomb) < 200_000
    with pytest.raises(ImageError, match="too large: it declares an enormous size") as exc:
        decode_image(bomb)
    assert "bomb" not in str(exc.value)  # plain words for visitors
    big = encode(Image.new("1", (5000, 5000)))  # 25 megapixels: Pillow would decode it, our limit refuses
    with pytest.raises(ImageError, match="too large: 5000x5000 pixels .25.0 megapixels.; the limit is 16.8"):
        decode_image(big)
    with pytest.raises(ImageError, match="limit is 0.0 megapixels|limit is"):
        decode_image(encode(Image.fromarray(RGB)), max_pixels=100)
    with pytest.raises(ImageError, match="MB"):
        decode_image(b"x" * 2000, max_bytes=1000)


def test_tiny_images_are_refused_with_the_minimum_up_front():
    one = encode(Image.new("RGB", (1, 1)))
    assert decode_image(one)[0].shape == (1, 1, 3)  # the API itself takes any size
    with pytest.raises(ImageError, match="too small: 1x1 pixels; it needs at least 8 pixels on each side"):
        decode_image(one, min_side=8)


def test_heic_photos_say_how_to_convert_them():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100
    with pytest.raises(ImageError, match="HEIC.*Save it as JPEG or PNG first"):
        decode_image(heic)


@pytest.mark.parametrize("name,stem", [
    ("..\\..\\Windows\\evil_x4.png", "evil_x4"), ("../../etc/passwd", "passwd"), (".hidden.png", "hidden"),
    ("...", "image"), ("", "image"), ("photo.final.jpg", "photo.final"), ("a b.png", "a b"),
    ("![x](http:..).png", "__x_(http_..)"), ("x" * 300 + ".png", "x" * 100)])
def test_names_a_browser_sent_become_safe_file_stems(name, stem):
    assert uploads.safe_stem(name) == stem


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_photo_over_the_limit_can_be_shrunk_to_fit_keeping_its_proportions(fmt):
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 256, (1500, 2000, 3), np.uint8))
    buf = io.BytesIO()
    photo.save(buf, fmt)
    with pytest.raises(uploads.ImageTooLarge, match="2000x1500 pixels"):
        decode_image(buf.getvalue(), max_pixels=1024 * 1024)
    rgb, alpha = decode_image(buf.getvalue(), max_pixels=1024 * 1024, shrink=True)
    h, w = rgb.shape[:2]
    assert h * w <= 1024 * 1024 and h * w > 0.95 * 1024 * 1024 and abs(w / h - 4 / 3) < 0.01 and alpha is None
    huge = Image.new("RGB", (5000, 4000))  # over the hard limit: no offer, plain refusal
    buf = io.BytesIO()
    huge.save(buf, "PNG")
    with pytest.raises(ImageError, match="Please resize it first") as refused:
        decode_image(buf.getvalue(), max_pixels=1024 * 1024, shrink=True)
    assert not isinstance(refused.value, uploads.ImageTooLarge)
