"""Drawings as people make them: the training synthesiser, the outline measure, canvas strokes, the training mix."""

import cv2
import numpy as np
import pytest

from models import sketch
from tests.test_pix2pix import product_photo
from training import drawings, pix2pix


def shoe_photo(size=256):
    """A dark shoe-like shape with a few inner details on a white ground."""
    img = np.full((size, size, 3), 255, np.uint8)
    s = size / 256
    body = (np.array([[30, 190], [230, 190], [220, 140], [150, 120], [90, 70], [40, 80]]) * s).astype(np.int32)
    cv2.fillPoly(img, [body], (60, 40, 30))
    cv2.line(img, (int(40 * s), int(170 * s)), (int(220 * s), int(170 * s)), (200, 200, 200), max(1, int(3 * s)))
    cv2.circle(img, (int(120 * s), int(120 * s)), int(12 * s), (150, 120, 90), -1)
    return img


@pytest.mark.parametrize("domain", sorted(sketch.DOMAINS))
def test_drawings_are_seeded_dark_lines_on_white(domain):
    photo = shoe_photo() if domain == "shoes" else product_photo()
    a = drawings.draw_like_a_person(photo, np.random.default_rng(1), domain)
    assert a.shape == (256, 256) and a.dtype == np.uint8 and np.median(a) == 255
    assert 0.002 < float(np.mean(a < 128)) < 0.2
    np.testing.assert_array_equal(a, drawings.draw_like_a_person(photo, np.random.default_rng(1), domain))
    assert not np.array_equal(a, drawings.draw_like_a_person(photo, np.random.default_rng(2), domain))
    with pytest.raises(ValueError, match="shoes"):
        drawings.draw_like_a_person(photo, np.random.default_rng(1), "hats")


def test_a_drawn_shoe_is_mostly_its_outline_and_encloses_the_shoe():
    photo = shoe_photo()
    shoe = drawings.object_mask(photo)
    edges = sketch.photo_to_sketch(photo) < 128
    for seed in range(6):
        drawn = drawings.draw_like_a_person(photo, np.random.default_rng(seed), "shoes")
        assert drawings.outline_iou(drawn, photo) > 0.8  # the outline follows the shoe, wobbles and gaps too
        ink = drawn < 128
        inner = ink & cv2.erode(shoe.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)
        assert inner.sum() <= (edges & cv2.erode(shoe.astype(np.uint8), np.ones((15, 15), np.uint8))
                               .astype(bool)).sum() * 3  # no more inner lines than the edge sketch (width aside)


def test_outline_iou_compares_the_enclosed_region_with_the_object():
    photo = np.full((128, 128, 3), 255, np.uint8)
    cv2.circle(photo, (64, 64), 40, (90, 60, 30), -1)
    ring = np.full((256, 256), 255, np.uint8)
    cv2.circle(ring, (128, 128), 80, 0, 2)
    assert drawings.outline_iou(ring, photo) > 0.9
    elsewhere = np.full((256, 256), 255, np.uint8)
    cv2.circle(elsewhere, (40, 40), 20, 0, 2)
    assert drawings.outline_iou(elsewhere, photo) < 0.1
    gap = ring.copy()
    gap[40:60, 110:146] = 255  # a gap of a few pixels (at 128 px) is bridged
    assert drawings.outline_iou(gap, photo) > 0.85


def test_outline_iou_reads_thin_slanted_lines_and_bridges_the_gaps_people_leave():
    photo = np.full((128, 128, 3), 255, np.uint8)
    corners = np.array([[10, 70], [60, 20], [118, 60], [70, 110]], np.int32)
    cv2.fillPoly(photo, [corners], (90, 60, 30))
    thin = np.full((256, 256), 255, np.uint8)
    cv2.polylines(thin, [corners * 2], True, 0, 1)  # 1 px pencil lines, slanted: grey and broken if reduced by area
    cv2.line(thin, (120, 40), (140, 220), 0, 1)  # an inner line: the outline encloses two parts
    assert drawings.outline_iou(thin, photo) > 0.95  # was 0.56: one part leaked out
    box = np.full((128, 128, 3), 255, np.uint8)
    box[40:88, 20:108] = (90, 60, 30)
    gap = np.full((256, 256), 255, np.uint8)
    cv2.rectangle(gap, (40, 80), (215, 175), 0, 1)
    cv2.line(gap, (100, 80), (100, 175), 0, 1)
    gap[120:132, 30:50] = 255  # a 12 px gap (6 px at 128) in the smaller part's side
    assert drawings.outline_iou(gap, box) > 0.95  # was 0.68


def test_an_outline_left_open_on_one_side_still_encloses_its_inside():
    boot = np.zeros((128, 128), bool)
    boot[20:110, 30] = boot[20:110, 90] = boot[110, 30:91] = True  # a U: no top line
    region = drawings.drawing_region(boot)
    assert region[60, 60] and region[100, 50] and not region[60, 10] and not region[10, 60]


def test_canvas_strokes_render_as_lines_the_eraser_clears_and_bad_input_is_refused():
    pen = {"t": "pen", "w": 8, "p": [[64, 256], [448, 256]]}
    out = sketch.render_strokes([pen])
    assert out.shape == (256, 256) and out[128, 128] == 0 and out[20, 20] == 255
    assert out[128, 20] == 255 and out[124:133, 128].min() == 0  # 4 px wide at 256 (8 of 512 units)
    erased = sketch.render_strokes([pen, {"t": "eraser", "w": 40, "p": [[256, 256]]}])
    assert erased[128, 128] == 255 and erased[128, 60] == 0
    base = np.full((100, 100), 255, np.uint8)
    base[50] = 0
    under = sketch.render_strokes([{"t": "eraser", "w": 30, "p": [[0, 256], [100, 256]]}], base=base)
    assert under[128, 10] == 255 and under[128, 200] == 0  # erased over the example, not beyond the stroke
    assert sketch.render_strokes([], size=64).min() == 255
    for bad in ("strokes", [{"w": 4}], [{"t": "pen", "w": "wide", "p": [[1, 2]]}], [{"t": "pen", "w": 4, "p": "x"}],
                [{"t": "pen", "w": float("nan"), "p": [[1, 2]]}],
                [{"t": "pen", "w": 4, "p": [[0, 0]] * (sketch.MAX_POINTS + 1)}], [pen] * (sketch.MAX_STROKES + 1)):
        with pytest.raises(ValueError):
            sketch.render_strokes(bad)


def test_the_training_mix_picks_drawings_at_the_drawn_share():
    edges = np.full((32, 32), 255, np.uint8)
    drawn = np.full((32, 32), 255, np.uint8)
    drawn[10:20, 10:20] = 0
    variants = np.stack([np.stack([edges, drawn])] * 8)  # (N, 1 + 1, S, S)
    photos = np.zeros((8, 32, 32, 3), np.uint8)

    def share_drawn(share):
        ds = pix2pix.make_dataset(variants, photos, 8, seed=0, augment=False, drawn_share=share)
        sketches = np.concatenate([s.numpy() for s, _ in ds.take(4)])
        return float(np.mean(sketches.min(axis=(1, 2, 3)) < 0))

    assert share_drawn(0.0) == 0.0 and share_drawn(1.0) == 1.0
    assert 0.2 < share_drawn(0.5) < 0.8


def test_drawings_need_photos_not_side_by_side_pairs(tmp_path):
    from PIL import Image
    Image.fromarray(np.full((64, 128, 3), 200, np.uint8)).save(tmp_path / "pair.png")
    with pytest.raises(SystemExit, match=r"\(--drawn-share\) are made from photos: use --data, not --pairs"):
        pix2pix.load_training_pairs(pairs=tmp_path, drawn=1)
    sketches, photos = pix2pix.load_training_pairs(pairs=tmp_path, size=32)
    assert sketches.shape == (1, 32, 32) and photos.shape == (1, 32, 32, 3)


def test_evaluating_drawings_counts_refusals_and_scores_outlines():
    ring = np.full((256, 256), 255, np.uint8)
    cv2.circle(ring, (128, 128), 80, 0, 2)

    def translate(drawing):  # a perfect model: the enclosed region, filled
        out = np.full((128, 128, 3), 255, np.uint8)
        cv2.circle(out, (64, 64), 40, (90, 60, 30), -1)
        return out

    outputs, result = pix2pix.evaluate_drawings(translate, [ring, np.full((256, 256), 255, np.uint8)], None)
    assert result["images"] == 2 and result["refused"] == 1 and len(outputs) == 1
    assert result["outline_iou"] > 0.9
