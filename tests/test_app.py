"""Streamlit AppTest: the home and digits pages, including a damaged weights file."""

import logging

import pytest
from streamlit.testing.v1 import AppTest

from models.weights import read_manifest
from tests.conftest import ROOT

APP = str(ROOT / "router.py")  # app.py makes the server; AppTest runs the router
TIMEOUT = 60


def run_logging_widget_policies(at, caplog):
    """Run ``at`` with Streamlit's widget-policy warnings in ``caplog`` (Streamlit's loggers do not propagate)."""
    policies = logging.getLogger("streamlit.elements.lib.policies")
    policies.addHandler(caplog.handler)
    try:
        return at.run()
    finally:
        policies.removeHandler(caplog.handler)


def run_page(page=None):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if page:
        at.switch_page(page)
    return at.run()


@pytest.mark.shipped
def test_home_explains_gans_and_shows_model_cards():
    at = run_page()
    assert not at.exception
    assert at.title[0].value == "GAN Studio"
    assert "How a GAN works" in [h.value for h in at.header]
    assert any("Discriminator" in e.proto.body for e in at.get("html"))
    assert at.image and "conditional DCGAN" in at.image[0].captions[0]
    headings = [h.value for h in at.subheader]
    assert {"Handwritten digits", "Super-resolution x4", "Sketch to photo", "Image GANs"} <= set(headings)
    digits = at.table[headings.index("Handwritten digits")].value
    assert list(digits.columns)[:4] == ["model", "data", "parameters", "training"]
    row = digits.set_index("model").loc["Conditional DCGAN (cdcgan)"]
    assert float(row["recognised ↑"].rstrip("%")) >= 98 and row["data"].startswith("MNIST")
    for table in at.table:  # no empty cells, no server paths
        text = table.value.to_string()
        assert "None" not in text and "nan" not in text and "../" not in text and "shared/data" not in text
    sr = at.table[headings.index("Super-resolution x4")].value.set_index("model")
    assert sr.loc["SRResNet x4 (faithful, PSNR-oriented) (srresnet)", "PSNR gain, clean ↑"].startswith("+1.3")


@pytest.mark.shipped
def test_digits_page_generates_and_reacts_to_widgets():
    at = run_page("views/digits.py")
    assert not at.exception and not at.error
    assert at.selectbox(key="variant").value == "cdcgan"
    assert "generated in" in at.image[0].captions[0]
    assert len(at.get("download_button")) == 2  # PNG grid and latent-walk GIF

    at.radio(key="mode").set_value("Single digit").run()
    at.selectbox(key="digit").set_value(3).run()
    assert not at.exception and "seed 0" in at.image[0].captions[0]

    at.button[0].click().run()  # "New seed"
    assert not at.exception and at.number_input(key="seed").value == at.session_state.seed

    at.selectbox(key="variant").set_value("dcgan").run()
    assert not at.exception and not at.error
    assert "All digits, one row each" not in at.radio(key="mode").options
    with pytest.raises(KeyError):
        at.selectbox(key="digit")  # no digit picker for an unconditional model

    at.selectbox(key="variant").set_value("cgan").run()
    at.radio(key="mode").set_value("All digits, one row each").run()
    assert not at.exception and not at.error


def test_damaged_weights_show_a_clear_error_and_other_parts_keep_working(shipped_copy):
    path = shipped_copy / "cdcgan.weights.h5"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped bit pattern: the file no longer matches its sha256
    path.write_bytes(bytes(data))
    at = run_page("views/digits.py")
    assert not at.exception
    message = at.error[0].value
    assert "cdcgan.weights.h5" in message and "damaged" in message and "git checkout" in message
    at.selectbox(key="variant").set_value("dcgan").run()
    assert not at.exception and not at.error and at.image
    home = run_page()
    assert not home.exception and home.table  # the home page still renders its model cards


def test_empty_weights_folder_offers_no_demo_and_says_so(weights_dir):
    at = run_page("views/digits.py")  # not offered without models: the router shows home instead
    assert not at.exception
    assert at.title[0].value == "GAN Studio"
    assert "No models are installed" in at.info[0].value
    assert "Unknown model 'cdcgan'" in at.error[0].value  # the home page's live sample, explained


def test_damaged_manifest_keeps_the_site_up(weights_dir):
    (weights_dir / "manifest.json").write_text("{broken")
    at = run_page()
    assert not at.exception
    assert "not a valid manifest" in at.error[0].value


def test_upscale_page_appears_with_an_sr_model_and_upscales_an_example(weights_dir):
    from tests.conftest import export_tiny_sr
    import ui
    assert [d["task"] for d in ui.available_demos()] == []  # no model: no demo in the menu
    at = run_page("views/upscale.py")
    assert not at.exception and at.title[0].value == "GAN Studio"  # the router shows home instead
    export_tiny_sr(weights_dir)
    assert [d["task"] for d in ui.available_demos()] == ["sr"]
    at = run_page("views/upscale.py")
    assert not at.exception and not at.error
    at.selectbox(key="sr_example").set_value("cat.png").run()
    at.radio(key="sr_scale").set_value(2).run()
    at.button[0].click().run()  # Upscale
    assert not at.exception and not at.error
    assert any("150x100 -> 300x200" in c.value for c in at.caption)  # the cat example, x2
    assert any(c.value.startswith("Left of the line: bicubic") for c in at.caption)
    compare = [e for e in at.get("html") if "gs-cmp" in e.proto.body]
    assert len(compare) == 1 and "data:image/png;base64," in compare[0].proto.body  # compared in the browser
    assert at.get("download_button")


def test_upscale_page_batch_makes_a_zip_and_names_bad_files(weights_dir):
    import io
    import zipfile

    from PIL import Image

    from tests.conftest import export_tiny_sr
    from tests.test_sr_training import photo
    export_tiny_sr(weights_dir, "realsr")
    export_tiny_sr(weights_dir, "srresnet")
    at = run_page("views/upscale.py")
    assert at.selectbox(key="sr_batch_model").value == "realsr"  # the real-world model first
    assert at.selectbox(key="sr_batch_model").format_func("realsr") == "Photo (real-world)"

    def png(seed):
        buf = io.BytesIO()
        Image.fromarray(photo(20, 30, seed)).save(buf, format="PNG")
        return buf.getvalue()
    uploads = [("a.png", png(1)), ("notes.png", b"not an image"), ("a.jpg", png(2))]
    # AppTest cannot upload files: give the page what the uploader would return
    from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec
    files = [UploadedFile(UploadedFileRec(f"id{i}", name, "image/png", data), None)
             for i, (name, data) in enumerate(uploads)]
    import streamlit as st
    original = st.file_uploader
    st.file_uploader = lambda label, *a, **k: files if k.get("accept_multiple_files") else original(label, *a, **k)
    try:
        at.run()
        at.button(key="sr_batch_go").click().run()
    finally:
        st.file_uploader = original
    assert not at.exception
    assert "not an image" in at.error[0].value and "notes.png" in at.error[0].value
    assert len(at.success) == 2
    rows, archive = at.session_state["sr_batch"]
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert sorted(z.namelist()) == ["a_x4-2.png", "a_x4.png"]
        assert Image.open(io.BytesIO(z.read("a_x4.png"))).size == (120, 80)


def with_uploads(at, files, multiple=True, key=None):
    """Run ``at`` with the page's uploader(s) returning ``files`` (AppTest cannot upload): the multiple-file
    uploader, or the one of widget ``key``."""
    import streamlit as st
    original = st.file_uploader

    def uploader(label, *a, **k):
        if (multiple and k.get("accept_multiple_files")) or (key and k.get("key") == key):
            return files
        return original(label, *a, **k)
    st.file_uploader = uploader
    try:
        return at.run()
    finally:
        st.file_uploader = original


def uploaded(name, data, i=0):
    from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec
    return UploadedFile(UploadedFileRec(f"id{i}", name, "image/png", data), None)


def test_batch_shows_visitors_file_names_literally_and_zips_them_under_safe_names(weights_dir):
    import io
    import zipfile

    from PIL import Image

    from tests.conftest import export_tiny_sr
    from tests.test_sr_training import photo
    export_tiny_sr(weights_dir, "realsr")
    buf = io.BytesIO()
    Image.fromarray(photo(20, 30, 1)).save(buf, format="PNG")
    names = ["![x](http://127.0.0.1:9/track).png", "..\\..\\Windows\\evil_x4.png", ".profile.png"]
    files = [uploaded(n, buf.getvalue(), i) for i, n in enumerate(names)]
    at = with_uploads(run_page("views/upscale.py"), files)
    at = with_uploads(at.button(key="sr_batch_go").click(), files)
    assert not at.exception and len(at.success) == 3
    assert all("](" not in m.value and "![" not in m.value for m in at.success)
    with zipfile.ZipFile(io.BytesIO(at.session_state["sr_batch"][1])) as z:
        assert sorted(z.namelist()) == ["evil_x4_x4.png", "profile_x4.png", "track)_x4.png"]


def test_a_phone_photo_over_the_limit_is_shrunk_in_one_click(weights_dir):
    import io

    import numpy as np
    from PIL import Image

    from tests.conftest import export_tiny_sr
    export_tiny_sr(weights_dir, "realsr")
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (1500, 2000, 3), np.uint8)).save(buf, "JPEG")
    file = uploaded("phone.jpg", buf.getvalue())
    at = run_page("views/upscale.py")
    at.radio(key="sr_source").set_value("Upload")
    at = with_uploads(at, file, multiple=False, key="sr_upload")
    assert not at.exception and "2000x1500 pixels" in at.error[0].value
    at = with_uploads(at.button(key=f"shrink_{file.file_id}").click(), file, multiple=False, key="sr_upload")
    at = with_uploads(at, file, multiple=False, key="sr_upload")  # the rerun the button asks for
    assert not at.exception and not at.error
    assert any("Input, 1182x886 pixels" in c for img in at.image for c in img.captions)


def test_evaluate_runs_on_a_button_once_per_photo_and_keeps_its_result(weights_dir, monkeypatch):
    """A 4-megapixel evaluation ran again on every rerun of the page (34 s for a click elsewhere): now only on
    its button, in the upscales' queue, and its numbers stay for the session."""
    import io

    from PIL import Image

    from models import inference
    from tests.conftest import export_tiny_sr
    from tests.test_sr_training import photo
    export_tiny_sr(weights_dir, "realsr")
    calls = []
    real = inference.evaluate_upscale
    monkeypatch.setattr(inference, "evaluate_upscale", lambda *a, **k: calls.append(1) or real(*a, **k))
    buf = io.BytesIO()
    Image.fromarray(photo(96, 128, 3)).save(buf, format="PNG")
    file = uploaded("big.png", buf.getvalue())
    at = with_uploads(run_page("views/upscale.py"), file, multiple=False, key="sr_eval_upload")
    assert not at.exception and calls == [] and at.button(key="sr_eval_go")
    at = with_uploads(at.button(key="sr_eval_go").click(), file, multiple=False, key="sr_eval_upload")
    assert not at.exception and not at.error and calls == [1]
    assert [m.label for m in at.metric] == ["PSNR, model", "PSNR, bicubic", "SSIM, model", "SSIM, bicubic"]
    at = with_uploads(at.radio(key="sr_scale").set_value(2), file, multiple=False, key="sr_eval_upload")
    assert calls == [1] and len(at.metric) == 4  # a rerun shows the kept numbers without measuring again
    assert not [b for b in at.button if b.key == "sr_eval_go"]  # nothing new to measure
    key, scores, crops = at.session_state["sr_eval"]
    assert set(crops) == {"bicubic", "sr", "hr"} and not any(hasattr(v, "shape") for v in scores.values())
    assert all(c.base is None for c in crops.values())  # copies: a view would keep its whole image alive


def test_a_link_to_the_digits_page_opens_it_without_a_widget_warning_and_keeps_the_digit(caplog):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("views/digits.py")
    at.query_params.update({"model": "cdcgan", "seed": "7", "digit": "3", "mode": "Grid", "n": "24", "frames": "6"})
    run_logging_widget_policies(at, caplog)
    assert not at.exception and not [r for r in caplog.records if "Session State API" in r.getMessage()]
    assert at.selectbox(key="digit").value == 3 and at.slider(key="n").value == 24 and at.slider(key="frames").value == 6
    assert at.query_params["n"] in ("24", ["24"])
    at.radio(key="mode").set_value("All digits, one row each").run()
    at.radio(key="mode").set_value("Grid").run()
    assert not at.exception and at.selectbox(key="digit").value == 3 and at.slider(key="n").value == 24


def photo_caption(at):
    """The caption of the sketch page's photo (an inline HTML figure, not a media file), or None."""
    import re
    for e in at.get("html"):
        if "gs-photo" in e.proto.body and "data:image/png;base64," in e.proto.body:
            return re.search(r"<figcaption[^>]*>(.*?)</figcaption>", e.proto.body).group(1)
    return None


def test_sketch_page_appears_with_a_pix2pix_model_and_paints_a_drawing(weights_dir):
    from tests.conftest import export_tiny_pix2pix
    export_tiny_pix2pix(weights_dir, "shoes")
    at = run_page("views/sketch.py")
    assert not at.exception and not at.error
    assert any("Draw a shoe" in i.value for i in at.info)  # an empty canvas: a hint, not an error
    assert at.caption[0].value.startswith("Draw a shoe: ")  # only the subjects it has models for
    # what the canvas sends at the end of a stroke: a version and the strokes (512 units a side)
    shoe = [{"t": "pen", "w": 6, "p": [[60, 300], [450, 300], [420, 180], [150, 120], [60, 300]]}]
    at.session_state["p2p_drawing_shoes"] = {"version": 1, "strokes": shoe, "example": None}
    at.run()
    assert not at.exception and not at.error
    assert photo_caption(at).endswith(" ms") and len(at.get("download_button")) == 2  # the photo, timed
    at.toggle(key="p2p_vary").set_value(True).run()
    at.number_input(key="p2p_seed").set_value(3).run()
    assert not at.exception and not at.error and photo_caption(at).endswith(" ms")
    at.radio(key="p2p_source").set_value("From a photo").run()
    assert not at.exception and any("Draw a shoe" in i.value for i in at.info)  # nothing uploaded yet
    at.radio(key="p2p_source").set_value("Draw").run()  # the drawing is still there
    assert not at.exception and photo_caption(at).endswith(" ms")
    at.button(key="p2p_random").click().run()  # an example, the strokes cleared
    state = at.session_state["p2p_drawing_shoes"]
    assert state["example"].startswith("shoes_") and state["strokes"] == [] and state["version"] == 2
    assert not at.exception and photo_caption(at).endswith(" ms")
    # a drawing the page cannot read (it comes from a browser): a message, a fresh canvas, no traceback
    at.session_state["p2p_drawing_shoes"] = {"version": 3, "strokes": [{"w": "x"}], "example": None}
    at.run()
    assert not at.exception and "Could not read the drawing" in at.error[0].value
    assert at.session_state["p2p_drawing_shoes"]["strokes"] == []

    export_tiny_pix2pix(weights_dir, "faces")  # both subjects: shoes first, then faces
    at = run_page("views/sketch.py")
    assert at.caption[0].value.startswith("Draw a shoe or a face: ")
    assert at.radio(key="p2p_domain").options == ["Shoes", "Faces"] and at.radio(key="p2p_domain").value == "shoes"

    # a model trained by a user under its own name (`--name handbags --pairs DIR --export`): a subject of its own
    export_tiny_pix2pix(weights_dir, "shoes", name="handbags")
    at = run_page("views/sketch.py")
    assert at.radio(key="p2p_domain").options == ["Shoes", "Faces", "Tiny handbags (test)"]
    at.radio(key="p2p_domain").set_value("handbags").run()
    at.session_state["p2p_drawing_handbags"] = {"version": 1, "strokes": shoe, "example": None}
    at.run()
    assert not at.exception and not at.error and photo_caption(at).startswith("Tiny handbags (test) - ")


@pytest.mark.shipped
def test_history_page_shows_every_recorded_model():
    at = run_page("views/history.py")
    assert not at.exception and not at.error
    assert at.title[0].value == "How they learned"
    names = at.selectbox(key="history_model").options
    assert len(names) >= 4
    assert at.code[0].value.startswith("python -m training.")
    at.selectbox(key="history_model").set_value("gan").run()
    assert not at.exception and "60,000 steps" in at.markdown[0].value
    assert not any("resumed with new settings" in c.value for c in at.caption)  # one command, one stage
    # a run resumed with new settings lists its commands in order
    at.selectbox(key="history_model").set_value("dcgan").run()
    assert not at.exception and [c.value for c in at.code] == [s["command"] for s in read_manifest()["dcgan"]["stages"]]
    assert "--steps 24000" in at.code[0].value and "--export" in at.code[-1].value
    assert any("resumed with new settings" in c.value for c in at.caption)  # why a curve may jump
    # a fine-tune lists every model of its lineage (from the manifest), oldest first, then its own command
    at.selectbox(key="history_model").set_value("pix2pix_shoes").run()
    lineage, model = [], read_manifest()["pix2pix_shoes"]
    while model:
        lineage.insert(0, model)
        model = model.get("init_model")
    assert not at.exception and len(lineage) >= 2 and "--init pix2pix_shoes" in at.code[-1].value
    assert [c.value for c in at.code] == [m["command"] for m in lineage]
    # the whole lineage, as everywhere else: every stage's steps and their minutes
    assert " + ".join(f"{m['steps']:,}" for m in lineage) + " steps" in at.markdown[0].value
    assert f"the {len(lineage)} stages below" in at.markdown[0].value
    assert any(c.value.startswith(f"Stage 1: the first `pix2pix_shoes` ({lineage[0]['steps']:,} steps")
               for c in at.caption)
    assert any(c.value.startswith(f"Stage {len(lineage)}: fine-tuned from it") for c in at.caption)
    # one small chart per quantity, each explained in plain words
    charts = at.get("arrow_line_chart") or at.get("vega_lite_chart")
    titles = [m.value for m in at.markdown if m.value.startswith("**")]
    assert len(charts) >= 4 and "**Discriminator loss** (`d_loss`)" in titles
    assert any("guessing" in c.value for c in at.caption)


@pytest.mark.shipped
def test_history_page_opens_for_every_model_in_the_manifest():
    """Every model with a training record, not a sample: eval.csv and log.csv are logged at different steps, and
    charting both against one step column crashed the page for every model that has both."""
    recorded = {name: e for name, e in read_manifest().items() if e.get("history")}
    at = run_page("views/history.py")
    assert len(at.selectbox(key="history_model").options) == len(recorded)
    for name, entry in recorded.items():
        at.selectbox(key="history_model").set_value(name).run()
        assert not at.exception and not at.error, name
        assert any(m.value == "**Retrain it**" for m in at.markdown), name
        assert at.code and at.code[-1].value.startswith("python -m training."), name
        charts = at.get("arrow_line_chart") or at.get("vega_lite_chart")
        assert len(charts) >= 3, name  # every logged quantity of both files
        if "eval" in entry["history"]:
            assert any(m.value.startswith("**Fréchet") or m.value.startswith("**Held-out PSNR**")
                       for m in at.markdown), name


def test_a_link_to_an_image_gan_opens_it_without_a_widget_warning(weights_dir, caplog):
    """``?model=`` sets the model through session state; a selectbox also given a default index then logs a
    warning with a stack on every such visit (the faces, the default, are not the first model)."""
    from tests.conftest import export_tiny_imagegan
    export_tiny_imagegan(weights_dir, "dcgan_faces64")
    export_tiny_imagegan(weights_dir, "dcgan_cifar10", image_size=32)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("views/images.py")
    at.query_params["model"] = "dcgan_faces64"
    run_logging_widget_policies(at, caplog)
    assert not at.exception and at.selectbox(key="img_model").value == "dcgan_faces64"
    assert not [r for r in caplog.records if "Session State API" in r.getMessage()]


def test_image_gan_page_generates_and_chains_the_face_upscaler(weights_dir):
    from tests.conftest import export_tiny_imagegan, export_tiny_sr
    export_tiny_imagegan(weights_dir, "dcgan_faces64")
    at = run_page("views/images.py")
    assert not at.exception and not at.error
    assert "generated in" in at.image[0].captions[0]
    assert not at.get("toggle")  # no face SRGAN installed: no chain
    export_tiny_sr(weights_dir, name="srgan_faces")
    export_tiny_imagegan(weights_dir, "dcgan_cifar10", image_size=32)  # listed before the faces; they still open
    at = run_page("views/images.py")
    assert at.selectbox(key="img_model").value == "dcgan_faces64"
    at.slider(key="img_n").set_value(24).run()
    at.toggle(key="img_upscale").set_value(True).run()
    assert not at.exception and not at.error
    caption = at.image[0].captions[0]
    assert "16 faces generated at 64x64" in caption and "upscaled to 256x256" in caption  # "How many" counts
    assert "(the first 16 of 24)" in caption
    at.number_input(key="img_closer").set_value(5).run()
    closer = [c for img in at.image for c in img.captions]
    assert "sample 5: its 64x64 pixels, enlarged" in closer and "face SRGAN to 256x256" in closer
    at.button(key="img_seed_new").click().run()
    seed = at.session_state.img_seed
    assert f"From seed {seed} (the one above)" in " ".join(c.value for c in at.caption)
    assert at.query_params["seed"] in (str(seed), [str(seed)])
    at.radio(key="img_mode").set_value("Single image").run()
    assert not at.exception


def test_image_gan_page_picks_a_class_by_name_or_a_row_per_class_and_links_keep_it(weights_dir):
    import numpy as np

    from models import inference
    from tests.conftest import export_tiny_imagegan
    export_tiny_imagegan(weights_dir, "sagan_cifar10", image_size=32, sagan=True, num_classes=10)
    at = run_page("views/images.py")
    assert not at.exception and at.selectbox(key="img_class").value == "one row per class"
    assert "rows: airplane, automobile" in at.image[0].captions[0] and "img_n" not in [w.key for w in at.slider]
    at.selectbox(key="img_class").set_value("horse").run()
    assert not at.exception and ", horse, seed 0" in at.image[0].captions[0]
    assert at.query_params["class"] in ("horse", ["horse"])
    assert "a horse all along" in " ".join(c.value for c in at.caption)
    # a fresh visit from the link opens on the same view: class, how many, sample, seed
    at.slider(key="img_n").set_value(8).run()
    at.number_input(key="img_closer").set_value(3).run()
    link = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert link["class"] == "horse" and link["n"] == "8" and link["sample"] == "3"
    again = AppTest.from_file(APP, default_timeout=TIMEOUT)
    again.switch_page("views/images.py")
    again.query_params.update(link)
    again.run()
    assert not again.exception and again.selectbox(key="img_class").value == "horse"
    assert again.slider(key="img_n").value == 8 and again.number_input(key="img_closer").value == 3
    horses = inference.generate_images("sagan_cifar10", 8, seed=0, label="horse")
    assert np.array_equal(horses, inference.generate_images("sagan_cifar10", 8, seed=0, label=7))


def test_credits_page_names_data_licences_and_papers(weights_dir):
    at = run_page("views/credits.py")
    assert not at.exception and at.title[0].value == "Credits and licences"
    text = " ".join(m.value for m in at.markdown)
    for needle in ("non-commercial research use", "MIT licence", "SqueezeNet", "Goodfellow", "Real-ESRGAN",
                   "CC0", "public domain", "QMUL"):
        assert needle in text, needle


@pytest.mark.shipped
def test_digits_walk_starts_at_the_seed_on_screen_and_keeps_the_chosen_digit():
    at = run_page("views/digits.py")
    assert "From seed 0" in " ".join(c.value for c in at.caption)
    at.button(key="seed_new").click().run()  # "New seed": a random seed
    seed = at.session_state.seed
    assert not at.exception and f"From seed {seed} (the one above)" in " ".join(c.value for c in at.caption)
    assert at.number_input(key="walk_to").value == (seed + 1) % 100_000
    assert at.selectbox(key="walk_digit").value == 0  # any digit above: the walk asks which
    at.selectbox(key="walk_digit").set_value(7).run()
    assert not at.exception and at.session_state.walk_digit == 7
    captions = [c for img in at.image for c in img.captions]
    assert any("animated" in c for c in captions) and any("frames, left to right" in c for c in captions)
    at.radio(key="mode").set_value("Single digit").run()
    at.selectbox(key="digit").set_value(4).run()
    assert at.session_state.walk_digit == 4  # follows the digit chosen above


@pytest.mark.shipped
def test_digits_state_round_trips_through_the_address():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("views/digits.py")
    at.query_params.update({"model": "cgan", "seed": "42", "mode": "Single digit", "digit": "7", "to": "50"})
    at.run()
    assert not at.exception
    assert at.selectbox(key="variant").value == "cgan" and at.number_input(key="seed").value == 42
    assert at.radio(key="mode").value == "Single digit" and at.selectbox(key="digit").value == 7
    assert at.number_input(key="walk_to").value == 50
    at.number_input(key="seed").set_value(43).run()
    assert at.query_params["seed"] in ("43", ["43"]) and at.query_params["model"] in ("cgan", ["cgan"])
    bad = AppTest.from_file(APP, default_timeout=TIMEOUT)
    bad.switch_page("views/digits.py")
    bad.query_params.update({"model": "nope", "seed": "-5", "digit": "x"})
    bad.run()
    assert not bad.exception and bad.selectbox(key="variant").value == "cdcgan"  # nonsense is ignored
    assert bad.number_input(key="seed").value == 0


def test_upscale_page_model_and_factor_round_trip_through_the_address(weights_dir):
    from tests.conftest import export_tiny_sr
    export_tiny_sr(weights_dir, "realsr")
    export_tiny_sr(weights_dir, "srresnet")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("views/upscale.py")
    at.query_params.update({"model": "srresnet", "scale": "2"})
    at.run()
    assert not at.exception and at.selectbox(key="sr_model").value == "srresnet" and at.radio(key="sr_scale").value == 2
    at.selectbox(key="sr_model").set_value("realsr").run()
    assert at.query_params["model"] in ("realsr", ["realsr"])
