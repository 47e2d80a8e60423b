"""The manifest's schema: bad entries are left out with a reason, paths stay in the weights folder, a file that
is no manifest is one clear error, and what visitors see names no server path."""

import json
import logging

import pytest

from models import inference, manifest
from models.weights import WeightsError, load_model, read_manifest
from tests.conftest import export_tiny_sr


def write_raw(folder, models):
    (folder / "manifest.json").write_text(json.dumps({"format": 1, "models": models}))


@pytest.mark.parametrize("bad,reason", [
    ("a string", "must be an object"),
    (["a", "list"], "must be an object"),
    (None, "must be an object"),
    ({"file": "x.weights.h5", "sha256": "0" * 64}, "'builder' is missing"),
    ({"builder": "sr_generator", "sha256": "0" * 64}, "'file' is missing"),
    ({"builder": "sr_generator", "file": "x.h5", "sha256": "abc"}, "64 lowercase hex"),
    ({"builder": "sr_generator", "file": "../../../etc/passwd", "sha256": "0" * 64}, "outside the weights folder"),
    ({"builder": "sr_generator", "file": "/etc/passwd", "sha256": "0" * 64}, "outside the weights folder"),
    ({"builder": "sr_generator", "file": "x.h5", "sha256": "0" * 64, "history": {"log": "../../secret.csv"}},
     "outside the weights folder"),
    ({"builder": "sr_generator", "file": "x.h5", "sha256": "0" * 64, "args": [1, 2]}, "'args' must be an object"),
])
def test_a_bad_entry_is_left_out_with_its_reason_and_the_rest_still_serve(weights_dir, bad, reason, caplog):
    export_tiny_sr(weights_dir)
    models = json.loads((weights_dir / "manifest.json").read_text())["models"]
    write_raw(weights_dir, {**models, "bad": bad})
    with caplog.at_level(logging.WARNING, logger="gan_studio"):
        assert list(read_manifest()) == ["tiny_sr"]
    assert "'bad' left out: " in caplog.text and reason in caplog.text
    assert inference.upscale(inference.decode_image(_png())[0], "tiny_sr").shape == (32, 32, 3)
    with pytest.raises(ValueError, match="Unknown model 'bad'"):
        inference.model_info("bad")


def _png():
    import io

    import numpy as np
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), 120, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("text", ['{"format": 1, "models": null}', '{"format": 1, "models": []}',
                                  '{"format": 1, "models": "x"}', '[1, 2]', "not json", '{"format": 1}'])
def test_a_file_that_is_no_manifest_is_one_clear_error(weights_dir, text):
    (weights_dir / "manifest.json").write_text(text)
    with pytest.raises(WeightsError, match="weights/manifest.json is not a valid manifest .*restore it"):
        read_manifest()


def test_unknown_builder_or_arguments_are_clear_errors_not_tracebacks(weights_dir):
    entry = export_tiny_sr(weights_dir)
    manifest.write_entry(weights_dir, "odd", {**entry, "builder": "no_such_builder"})
    manifest.write_entry(weights_dir, "odd_args", {**entry, "args": {"num_feat": 8, "colour": "red"}})
    with pytest.raises(WeightsError, match="unknown builder 'no_such_builder'"):
        load_model("odd")
    with pytest.raises(WeightsError, match="do not fit sr_generator"):
        load_model("odd_args")


def test_writer_refuses_what_the_reader_would_leave_out(weights_dir):
    with pytest.raises(ValueError, match="outside the weights folder"):
        manifest.write_entry(weights_dir, "evil", {"builder": "sr_generator", "file": "../x.h5", "sha256": "0" * 64})
    assert not (weights_dir / "manifest.json").exists()


def test_messages_name_files_relative_to_the_app_never_absolute(weights_dir):
    entry = export_tiny_sr(weights_dir)
    (weights_dir / entry["file"]).unlink()
    with pytest.raises(WeightsError) as exc:
        load_model("tiny_sr")
    assert "tiny_sr.weights.h5" in str(exc.value) and str(weights_dir) not in str(exc.value)


def test_training_column_counts_the_lineage_and_says_each_batch_size():
    from models.cards import training
    entry = {"steps": 2000, "batch_size": 8, "train_time_s": 1200,
             "init_model": {"steps": 15000, "batch_size": 16, "train_time_s": 6000}}
    assert training(entry) == "15,000 x 16 + 2,000 x 8 steps, 120 min"
    assert training({**entry, "batch_size": 16}) == "15,000 + 2,000 steps x 16, 120 min"
    assert training({"steps": 500, "batch_size": 4, "train_time_s": 60}) == "500 steps x 4, 1 min"
    # a fine-tune of a fine-tune: the whole chain
    nested = {**entry, "init_model": {**entry["init_model"], "init_model": {"steps": 1000, "batch_size": 16,
                                                                              "train_time_s": 600}}}
    assert training(nested) == "1,000 x 16 + 15,000 x 16 + 2,000 x 8 steps, 130 min"
