"""Steerable faces: the attribute reader and directions trained end to end on tiny synthetic data, and the
edits' API, CLI and page mechanics (the shipped directions' quality is measured in the manifest)."""

import json

import numpy as np
import pytest
from PIL import Image

from models import inference
from tests.conftest import export_tiny_imagegan


def fake_faces(folder, n, seed):
    """All-Age-Faces style files (IIIIIAaa.jpg): older 'people' darker, 'men' (ids from 07381) redder; both
    halves of the people (even and odd ids) hold both genders."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for i in range(n):
        male, age = (i // 2) % 2, int(rng.integers(2, 80))
        ident = (7381 + i) if male else i
        img = np.full((64, 64, 3), 200 - 2 * age, np.uint8)
        img[..., 0] = np.clip(img[..., 0].astype(int) + 50 * male, 0, 255)
        Image.fromarray(img).save(folder / f"{ident:05d}A{age:02d}.jpg")


@pytest.fixture
def steered(tmp_path, weights_dir):
    from training import attributes
    export_tiny_imagegan(weights_dir, "dcgan_faces64")
    fake_faces(tmp_path / "faces" / "train", 40, 0)
    fake_faces(tmp_path / "faces" / "val", 10, 1)
    argv = ["--data", str(tmp_path / "faces"), "--epochs", "1", "--fit-faces", "300", "--eval-faces", "50",
            "--export", "--weights-dir", str(weights_dir), "--perceptual-weights", "untrained"]
    attributes.main(argv)
    return argv


def manifest(weights_dir):
    return json.loads((weights_dir / "manifest.json").read_text())["models"]


def test_reader_and_directions_are_exported_measured_and_deterministic(steered, weights_dir):
    from training import attributes
    models = manifest(weights_dir)
    for name in ("face_attributes", "face_features", "face_judge"):
        reader = models[name]
        assert reader["task"] == "attributes" and {"age_mae_years", "gender_accuracy"} <= set(reader["metrics"]["val"])
    assert "even person ids" in models["face_features"]["dataset"] and "odd" in models["face_judge"]["dataset"]
    entry = models["dcgan_faces64"]
    assert set(entry["edits"]) == {"age", "male"}
    for spec in entry["edits"].values():
        assert len(spec["direction"]) == entry["args"]["latent_dim"]
        assert abs(np.linalg.norm(spec["direction"]) - 1) < 1e-3
    ev = entry["edits_eval"]
    assert ev["faces"] == 50 and {"per_unit", "share_moving_intended_way", "drag_on_other"} <= set(ev["age"])
    assert ev["reader"] == "face_judge" and ev["reader_sha256"] == models["face_judge"]["sha256"]
    assert ev["fitted_with"] == {n: models[n]["sha256"] for n in ("face_attributes", "face_features")}
    assert set(ev["as_read_by_face_attributes"]) == {"age", "male"}
    first = entry["edits"]
    attributes.main(steered)  # the same seed: the same reader, the same directions
    again = manifest(weights_dir)["dcgan_faces64"]["edits"]
    for k in first:
        np.testing.assert_allclose(first[k]["direction"], again[k]["direction"], atol=1e-5)


def test_steer_refits_a_retrained_generator_with_the_shipped_reader(steered, weights_dir):
    from training import attributes
    before = {n: manifest(weights_dir)[n]["sha256"] for n in ("face_attributes", "face_features", "face_judge")}
    export_tiny_imagegan(weights_dir, "dcgan_faces64", seed=5)  # "retrained": another noise space, no edits yet
    assert "edits" not in manifest(weights_dir)["dcgan_faces64"]
    attributes.main(["steer", "--fit-faces", "300", "--eval-faces", "50", "--weights-dir", str(weights_dir)])
    models = manifest(weights_dir)
    assert {n: models[n]["sha256"] for n in before} == before  # the readers and the judge are kept, not retrained
    assert set(models["dcgan_faces64"]["edits"]) == {"age", "male"}
    assert models["dcgan_faces64"]["edits_eval"]["reader_sha256"] == before["face_judge"]


def test_directions_are_independent_of_the_other_attributes_gradient():
    from training.attributes import fit_directions
    rng = np.random.default_rng(0)
    z = rng.standard_normal((2000, 8))
    g_age, g_male, g_light = rng.standard_normal(8), rng.standard_normal(8), rng.standard_normal(8)
    preds = np.stack([z @ g_age, z @ g_male], 1)
    d = fit_directions(z, preds, held=(z @ g_light)[:, None])
    assert abs(d["age"] @ g_male) < 1e-6 and abs(d["male"] @ g_age) < 1e-6  # no side effect, linearly
    assert abs(d["age"] @ g_light) < 1e-6 and abs(d["male"] @ g_light) < 1e-6  # nor on brightness
    assert d["age"] @ g_age > 0 and d["male"] @ g_male > 0


def test_directions_fitted_with_several_readers_leave_every_readers_other_attribute():
    from training.attributes import fit_directions
    rng = np.random.default_rng(1)
    z = rng.standard_normal((2000, 12))
    gradients = [rng.standard_normal((2, 12)) for _ in range(3)]  # three readers' (age, male) gradients
    d = fit_directions(z, [z @ g.T for g in gradients])
    for g in gradients:
        assert abs(d["age"] @ g[1]) < 1e-6 and abs(d["male"] @ g[0]) < 1e-6
    assert d["age"] @ sum(g[0] / np.linalg.norm(g[0]) for g in gradients) > 0


def test_fit_heads_reads_a_linear_age_and_gender_and_the_halves_share_no_one():
    from training.attributes import fit_heads, fitting_half
    rng = np.random.default_rng(2)
    features = rng.standard_normal((3000, 20)) * rng.uniform(0.1, 5, 20) + 3
    w = rng.standard_normal(20)
    labels = np.stack([40 + 2 * (features - 3) @ w, ((features - 3) @ w > 0).astype(float)], 1)
    kernel, bias = fit_heads(features, labels, age_ridge=1.0, male_ridge=1.0)
    out = features @ kernel + bias
    assert np.abs(out[:, 0] - labels[:, 0]).mean() < 0.5
    assert np.mean((out[:, 1] > 0) == (labels[:, 1] > 0.5)) > 0.97
    ids = np.arange(7370, 7400)
    half = fitting_half(ids)
    assert half.sum() == 15 and not set(ids[half]) & set(ids[~half])


def test_edits_of_zero_are_exactly_the_unedited_faces_and_edits_change_them(steered):
    plain = inference.generate_images("dcgan_faces64", 3, seed=4)
    np.testing.assert_array_equal(inference.generate_images("dcgan_faces64", 3, seed=4,
                                                            edits={"age": 0, "male": 0.0}), plain)
    older = inference.generate_images("dcgan_faces64", 3, seed=4, edits={"age": 3})
    assert not np.array_equal(older, plain)
    assert "edits" in inference.model_info("dcgan_faces64")


@pytest.mark.parametrize("edits,message", [
    ({"age": 3.5}, "'age' must be a number from -3 to 3"),
    ({"age": "old"}, "'age' must be a number from -3 to 3"),
    ({"smile": 1}, "Unknown edit 'smile' for 'dcgan_faces64'. Allowed: age, male"),
    ([("age", 1)], "edits must be a dict"),
])
def test_bad_edits_name_what_is_allowed(steered, edits, message):
    with pytest.raises(ValueError, match=message):
        inference.generate_images("dcgan_faces64", 1, edits=edits)


def test_a_model_without_directions_says_so(weights_dir):
    export_tiny_imagegan(weights_dir, "dcgan_cifar10", image_size=32)
    with pytest.raises(ValueError, match="Allowed: none: this model has no attribute directions"):
        inference.generate_images("dcgan_cifar10", 1, edits={"age": 1})


def test_cli_edits(steered, tmp_path, capsys):
    from models.__main__ import main
    out = tmp_path / "older.png"
    assert main(["generate", "--model", "dcgan_faces64", "-n", "2", "--edit", "age=2", "--edit", "male=-1",
                 "--out", str(out)]) == 0
    assert out.exists()
    assert main(["generate", "--model", "dcgan_faces64", "--edit", "age", "--out", str(out)]) == 2
    assert "--edit takes NAME=NUMBER" in capsys.readouterr().err
    assert main(["list"]) == 0 and "edits: age, male" in capsys.readouterr().out


def test_page_sliders_steer_the_face_and_reset(steered):
    from tests.test_app import run_page
    at = run_page("views/images.py")
    assert not at.exception and at.slider(key="img_edit_age").value == 0.0
    before = [i.value for i in at.image]
    at.slider(key="img_edit_age").set_value(2.5).run()
    assert not at.exception and not at.error
    captions = [c for img in at.image for c in img.captions]
    assert any("age +2.5" in c for c in captions) and any("from -3 to +3" in c for c in captions)
    assert [i.value for i in at.image] != before
    at.button(key="img_edit_reset").click().run()
    assert at.slider(key="img_edit_age").value == 0.0 and any("unedited" in c for img in at.image
                                                              for c in img.captions)


def test_a_strip_is_the_face_edited_to_each_value(steered):
    strip = inference.steer_strip("dcgan_faces64", 4, 2, "age", [-3, 0, 3], {"male": 1.0})
    for got, v in zip(strip, [-3, 0, 3]):
        one = inference.generate_images("dcgan_faces64", 3, seed=4, edits={"male": 1.0, "age": v})[2]
        assert np.abs(got.astype(int) - one.astype(int)).max() <= 1
