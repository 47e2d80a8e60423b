"""A real browser (Debian's chromium via Playwright) against the app started as `make run` starts it
(`streamlit run app.py`) on a free port."""

import time

import pytest
from playwright.sync_api import expect

from tests.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.shipped]


def open_page(browser, url, heading, height=1200):
    """A 1400-px-wide page at ``url``, once its ``heading`` is shown."""
    page = browser.new_page(viewport={"width": 1400, "height": height})
    page.goto(url)
    page.get_by_role("heading", name=heading).wait_for(timeout=60_000)
    return page


def test_digits_page_in_a_real_browser(streamlit_server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(streamlit_server + "/digits")  # a deep link as the server's first request
    page.get_by_role("heading", name="Handwritten digits").wait_for(timeout=60_000)
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Home" in nav and "app" not in nav.split()  # routed by router.py's st.navigation
    page.wait_for_function("() => document.title === 'Handwritten digits · GAN Studio'", timeout=30_000)
    icons = page.locator("link[rel*=icon]").evaluate_all("links => links.map(l => l.href)")
    assert icons and all(h.startswith(streamlit_server) for h in icons), icons  # served by the app itself
    grid = page.locator('[data-testid="stImage"] img').first
    grid.wait_for(timeout=60_000)
    # the grid's caption; the walk's animated strip has one too, and may be on screen first (seen once in CI)
    page.locator('[data-testid="stImageCaption"]', has_text="generated in").first.wait_for(timeout=30_000)
    before = grid.get_attribute("src")

    page.get_by_role("button", name="New seed").click()
    page.wait_for_function("src => { const i = document.querySelector('[data-testid=\"stImage\"] img');"
                           " return i.src !== src && i.complete && i.naturalWidth > 0; }",  # the new grid, loaded
                           arg=before, timeout=30_000)
    width = grid.evaluate("img => img.naturalWidth")
    assert width > 500  # a 60-digit grid enlarged 3x
    page.screenshot(path=str(SCREENSHOTS / "digits.png"), full_page=True)
    # app.py's server warmed up the first page's model as it started (plain `streamlit run app.py`)
    assert "warm-up: cdcgan ready" in (SCREENSHOTS / "streamlit.log").read_text()
    assert not page.locator('[data-testid="stException"]').count()
    assert not errors


def test_home_page_in_a_real_browser(streamlit_server, browser):
    page = open_page(browser, streamlit_server, "How a GAN works", height=1000)
    page.locator('[data-testid="stImage"] img').first.wait_for(timeout=60_000)
    page.locator('[data-testid="stTable"]').first.wait_for(timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)
    assert not page.locator('[data-testid="stException"]').count()
    assert page.locator("dl.gs-card").count() and not page.locator("dl.gs-card").first.is_visible()
    # on a phone each model of a card is a list of its own, every measure in view; the tables are hidden
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto(streamlit_server)
    lists = phone.locator("dl.gs-card")
    from models import cards, inference
    entries = {m["name"]: m for m in inference.list_models()}
    # one per model; the cards arrive one by one (on a loaded machine the first shows well before the last)
    expect(lists).to_have_count(sum(len(cards.card_rows(task, entries)) for task in cards.TASKS), timeout=60_000)
    assert not any(t.is_visible() for t in phone.locator('[data-testid="stTable"]').all())
    for i in range(lists.count()):
        lists.nth(i).scroll_into_view_if_needed()
        for cell in lists.nth(i).locator("dd span").all():
            box = cell.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (i, cell.inner_text(), box)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(SCREENSHOTS / "home_phone.png"), full_page=False)


def test_history_page_opens_every_model_by_its_link(streamlit_server, browser):
    """Every model in the manifest with a training record, each from its own link: charts, command, no error."""
    from models.weights import read_manifest
    recorded = [name for name, e in read_manifest().items() if e.get("history")]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for name in recorded:
        page.goto(f"{streamlit_server}/history?model={name}")
        page.get_by_role("heading", name="How they learned").wait_for(timeout=60_000)
        page.get_by_text("Retrain it").wait_for(timeout=30_000)
        page.locator('[data-testid="stCode"]').first.wait_for(timeout=30_000)
        assert f"({name})" in page.locator('[data-testid="stMarkdown"]', has_text="of training in all").first.inner_text()
        assert page.locator('[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"]').count() >= 3, name
        assert not page.locator('[data-testid="stException"]').count(), name
    page.screenshot(path=str(SCREENSHOTS / "history.png"), full_page=True)
    assert not errors


def test_addresses_with_more_after_the_page_open_the_page(streamlit_server, browser):
    """``/digits/extra`` served the page with its scripts resolved below it: a blank white page. A trailing slash
    or an extra segment leads to the page itself, its query kept."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    for address, heading, url in [("/digits/", "Handwritten digits", "/digits"),
                                  ("/digits/extra", "Handwritten digits", "/digits"),
                                  ("/upscale/?model=srgan", "Super-resolution (x2, x3, x4)", "/upscale?model=srgan"),
                                  ("/history/a/b?model=gan", "How they learned", "/history?model=gan")]:
        page.goto(streamlit_server + address)
        page.get_by_role("heading", name=heading).wait_for(timeout=60_000)
        assert page.url.startswith(streamlit_server + url), (address, page.url)
        assert not page.locator('[data-testid="stException"]').count()


def test_every_page_with_the_shipped_models_for_the_readme(streamlit_server, browser):
    """Each page as a first-time visitor sees it, with the shipped models, in a 1280x900 window: no error, and a
    screenshot in screenshots/readme/ (`make screenshots` copies them to docs/screenshots/ for the README)."""
    shots = SCREENSHOTS / "readme"
    shots.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def shoot(name):
        page.wait_for_timeout(800)
        assert not page.locator('[data-testid="stException"]').count(), name
        page.screenshot(path=str(shots / f"{name}.png"))

    page.goto(streamlit_server)
    page.locator('[data-testid="stImage"] img').first.wait_for(timeout=60_000)
    shoot("home")
    page.goto(streamlit_server + "/digits")
    page.locator('[data-testid="stImageCaption"]', has_text="generated in").first.wait_for(timeout=60_000)
    shoot("digits")
    page.goto(streamlit_server + "/upscale")
    page.get_by_role("button", name="Upscale", exact=True).click()
    page.locator(".gs-cmp-view").wait_for(timeout=120_000)
    page.locator(".gs-cmp-view").scroll_into_view_if_needed()
    shoot("upscale")
    page.goto(streamlit_server + "/sketch")
    page.get_by_role("button", name="Start from Example 1").click()
    page.locator(".gs-photo img").wait_for(timeout=60_000)
    shoot("sketch")
    page.goto(streamlit_server + "/images")
    page.locator('[data-testid="stImageCaption"]', has_text="generated in").first.wait_for(timeout=60_000)
    shoot("images")
    page.goto(streamlit_server + "/history?model=dcgan_faces64")
    page.locator('[data-testid="stImage"] img').first.wait_for(timeout=60_000)
    shoot("history")
    assert not errors


def app_with(tmp_path_factory, log_name, *exports):
    """The app (as `make run` starts it) serving only the tiny models that ``exports`` write, each called with
    the weights folder: a page's mechanics, quality being tested on shipped models elsewhere."""
    import os

    from benchmarks import live
    weights = tmp_path_factory.mktemp("weights")
    for export in exports:
        export(weights)
    return live.streamlit_app(SCREENSHOTS / log_name, {**os.environ, "GAN_STUDIO_WEIGHTS": str(weights)})


@pytest.fixture(scope="module")
def sr_server(tmp_path_factory):
    """The app with a tiny SR model."""
    from tests.conftest import export_tiny_sr
    with app_with(tmp_path_factory, "streamlit_sr.log", lambda w: export_tiny_sr(w, name="srresnet")) as (url, _):
        yield url


def test_upscale_page_uploads_compares_and_downloads(sr_server, browser, tmp_path):
    import io
    import zipfile

    import numpy as np
    from PIL import Image

    from tests.test_sr_training import photo
    upload = tmp_path / "small.png"
    Image.fromarray(photo(40, 60)).save(upload)
    page = open_page(browser, sr_server + "/upscale", "Super-resolution (x2, x3, x4)")
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.locator('[data-testid="stRadio"]').get_by_text("Upload", exact=True).click()
    uploader = page.locator('[data-testid="stFileUploader"]', has_text="A small photo").locator("input[type=file]")
    uploader.wait_for(state="attached", timeout=30_000)
    uploader.set_input_files(str(upload))
    page.locator('[data-testid="stImageCaption"]', has_text="Input, 60x40 pixels").wait_for(timeout=30_000)
    page.get_by_role("button", name="Upscale", exact=True).click()
    page.locator('[data-testid="stCaptionContainer"]', has_text="240x160").wait_for(timeout=60_000)

    # the comparison runs in the browser: dragging the line moves the divider, zoom scales both pictures
    view = page.locator(".gs-cmp-view")
    view.wait_for(timeout=30_000)
    box = view.bounding_box()
    pos = lambda: page.locator(".gs-cmp").evaluate("e => e.style.getPropertyValue('--pos')")  # noqa: E731
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    assert abs(float(pos().rstrip("%")) - 25) < 2
    page.locator(".gs-cmp-range").fill("80")
    assert pos() == "80%"
    page.locator(".gs-cmp").get_by_role("button", name="2x").click()
    transform = page.locator(".gs-cmp-stage").first.evaluate("e => e.style.transform")
    assert "scale(2)" in transform
    sizes = page.locator(".gs-cmp-stage img").evaluate_all("imgs => imgs.map(i => [i.naturalWidth, i.naturalHeight])")
    assert sizes == [[240, 160], [240, 160]]  # both sides whole, lossless PNG

    with page.expect_download() as download:
        page.get_by_role("button", name="Download PNG").click()
    result = Image.open(io.BytesIO(open(download.value.path(), "rb").read()))
    assert result.size == (240, 160)
    page.screenshot(path=str(SCREENSHOTS / "upscale.png"), full_page=True)

    # several files at once: each gets its line, the good ones come back in one ZIP
    page.get_by_role("tab", name="Several files").click()
    other = tmp_path / "other.png"
    Image.fromarray(photo(20, 24, 5)).save(other)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"no image here")
    markdown = tmp_path / "![x](x).png"  # a name that is Markdown: shown as it is, no image fetched
    markdown.write_bytes(other.read_bytes())
    multi = page.locator('[data-testid="stFileUploader"]', has_text="Up to 10").locator("input[type=file]")
    multi.set_input_files([str(upload), str(junk), str(other), str(markdown)])
    page.get_by_role("button", name="Upscale all").click()
    page.get_by_role("button", name="Download ZIP (3 PNG files)").wait_for(timeout=60_000)
    assert page.locator('[data-testid="stAlertContentError"]', has_text="junk.png").count() == 1
    assert page.locator('[data-testid="stAlertContentSuccess"]', has_text="![x](x).png").count() == 1
    assert not page.locator('[data-testid="stAlertContentSuccess"] img').count()
    assert not page.locator('[data-testid="stFileUploaderFile"]').count()  # done with: the uploader is emptied
    with page.expect_download() as download:
        page.get_by_role("button", name="Download ZIP (3 PNG files)").click()
    with zipfile.ZipFile(download.value.path()) as z:
        assert sorted(z.namelist()) == ["__x_(x)_x4.png", "other_x4.png", "small_x4.png"]
    page.screenshot(path=str(SCREENSHOTS / "upscale_batch.png"), full_page=True)
    page.get_by_role("tab", name="Upscale", exact=True).click()
    assert not errors

    bad = tmp_path / "notes.png"
    bad.write_bytes(b"this is not an image at all")
    uploader.set_input_files(str(bad))
    page.locator('[data-testid="stAlertContentError"]:visible', has_text="not an image").wait_for(timeout=30_000)
    assert not page.locator('[data-testid="stException"]').count()
    assert np.asarray(result).ndim == 3


@pytest.fixture(scope="module")
def sketch_server(tmp_path_factory):
    """The app with tiny random pix2pix models for both subjects (the canvas and the page's mechanics)."""
    from tests.conftest import export_tiny_pix2pix
    with app_with(tmp_path_factory, "streamlit_sketch.log", lambda w: export_tiny_pix2pix(w, "shoes"),
                  lambda w: export_tiny_pix2pix(w, "faces")) as (url, _):
        yield url


SHOE = [((60, 250), (320, 250)), ((60, 250), (90, 120)), ((90, 120), (200, 160)), ((200, 160), (320, 250))]


def canvas_strokes(page, segments, touch=None):
    """Draw ``segments`` (pairs of points in a 400 x 400 square scaled to the canvas) with the mouse, or with a
    finger through ``touch`` (a CDP session: real touch events, which the browser turns into pointer events)."""
    canvas = the_canvas(page)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    s = box["width"] / 400
    for (ax, ay), (bx, by) in segments:
        points = [(box["x"] + (ax + (bx - ax) * t / 10) * s, box["y"] + (ay + (by - ay) * t / 10) * s)
                  for t in range(11)]
        if touch is None:
            page.mouse.move(*points[0])
            page.mouse.down()
            for x, y in points[1:]:
                page.mouse.move(x, y)
            page.mouse.up()
        else:
            touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [dict(zip("xy", points[0]))]})
            for x, y in points[1:]:
                touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
            touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def the_canvas(page):
    """The drawing canvas, once the page shows one (a rerun may show the old one beside the new for a moment)."""
    import time
    canvas = page.locator("canvas.gs-canvas")
    deadline = time.monotonic() + 30
    while canvas.count() != 1 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    canvas.wait_for(timeout=30_000)
    return canvas


def ink_on_canvas(page):
    """The share of dark pixels on the drawing canvas."""
    return the_canvas(page).evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
        " for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++; return n / (d.length / 4); }")


def photo_shown(page):
    """Wait for the photo: its timed caption, and the picture itself loaded (not a broken image)."""
    page.locator(".gs-photo figcaption", has_text=" ms").wait_for(timeout=60_000)
    page.locator(".gs-photo img").evaluate("i => i.decode()")  # rejects (fails the test) for a broken image
    assert page.locator(".gs-photo img").evaluate("i => i.complete && i.naturalWidth > 0")


IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'  # the app has finished its script run


def photo_settled(page, unlike=None, timeout=60):
    """Wait until the app is idle and the photo (unlike ``unlike``, a former ``src``) stays the same for a second
    (strokes and Undo rerun the app, which replaces the photo's element); returns its ``src``."""
    import time
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        idle = page.locator(IDLE).count() > 0
        src = page.locator(".gs-photo img").get_attribute("src")
        if idle and src == last and src != unlike:
            return src
        last = src
        page.wait_for_timeout(1000)
    raise AssertionError("the photo did not settle" + (" on a new picture" if unlike else ""))


def nothing_clipped(page, width):
    """Every part of the drawing area (toolbar, canvas, thumbnails, the photo and its buttons) lies within the
    viewport's width."""
    boxes = page.locator(".gs-tools button, canvas.gs-canvas, .gs-examples button, "
                         ".gs-photo img, [data-testid='stDownloadButton'] button").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; })")
    assert boxes and all(0 <= left and right <= width + 0.5 for left, right in boxes), boxes
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_sketch_page_draws_with_mouse_and_undoes_redoes_clears(sketch_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(sketch_server + "/sketch")
    page.locator('[data-testid="stAlertContentInfo"]', has_text="Draw a shoe").wait_for(timeout=60_000)
    page.locator("canvas.gs-canvas").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Undo the last stroke").is_disabled()  # visible, labelled, idle
    canvas_strokes(page, SHOE)
    photo_shown(page)
    photo_settled(page)  # the last stroke's photo: its element no longer replaced while it is measured
    assert ink_on_canvas(page) > 0.003
    nothing_clipped(page, 1280)
    canvas_box = page.locator("canvas.gs-canvas").bounding_box()
    photo_box = page.locator(".gs-photo img").bounding_box()
    assert photo_box["x"] > canvas_box["x"] + canvas_box["width"] - 1  # beside the canvas ...
    assert abs(photo_box["width"] - canvas_box["width"]) < 0.1 * canvas_box["width"]  # ... and as large
    page.screenshot(path=str(SCREENSHOTS / "sketch.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the photo").click()
    assert open(download.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"

    drawn = ink_on_canvas(page)
    page.get_by_role("button", name="Undo the last stroke").click()
    assert ink_on_canvas(page) < drawn
    page.get_by_role("button", name="Redo").click()
    assert ink_on_canvas(page) == drawn
    # switching the subject and back keeps the drawing (and the faces canvas starts blank)
    page.get_by_text("Faces", exact=True).click()
    page.locator('[data-testid="stAlertContentInfo"]', has_text="Draw a face").wait_for(timeout=30_000)
    assert ink_on_canvas(page) == 0
    page.get_by_text("Shoes", exact=True).click()
    photo_shown(page)
    assert ink_on_canvas(page) == drawn
    # to another page and back: the drawing is still there
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Home").click()
    page.get_by_role("heading", name="How a GAN works").wait_for(timeout=30_000)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Sketch to photo").click()
    photo_shown(page)
    assert ink_on_canvas(page) == drawn
    page.get_by_role("button", name="Clear the drawing").click()
    page.locator('[data-testid="stAlertContentInfo"]', has_text="Draw a shoe").wait_for(timeout=30_000)
    assert ink_on_canvas(page) == 0
    page.get_by_role("button", name="Start from Example 1").click()  # a thumbnail: an example under the pen
    photo_shown(page)
    example = ink_on_canvas(page)
    assert example > 0.003
    # an example replaces the drawing, and one Undo brings the drawing back; Clear always leaves a blank canvas
    page.get_by_role("button", name="Undo the last stroke").click()  # back to the blank canvas before it
    page.locator('[data-testid="stAlertContentInfo"]', has_text="Draw a shoe").wait_for(timeout=30_000)
    assert ink_on_canvas(page) == 0
    page.get_by_role("button", name="Redo").click()
    assert ink_on_canvas(page) == example
    canvas_strokes(page, SHOE[:1])  # a stroke on the example
    photo_shown(page)
    on_example = ink_on_canvas(page)
    page.get_by_role("button", name="Start from Example 2").click()
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Undo the last stroke").click()
    assert ink_on_canvas(page) == on_example  # example 1 and the stroke on it
    page.get_by_role("button", name="Random example").click()  # from the server: a step Undo takes back too
    deadline = time.monotonic() + 30
    while ink_on_canvas(page) == on_example and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert ink_on_canvas(page) != on_example
    page.get_by_role("button", name="Undo the last stroke").click()
    assert ink_on_canvas(page) == on_example
    page.get_by_role("button", name="Clear the drawing").click()
    page.locator('[data-testid="stAlertContentInfo"]', has_text="Draw a shoe").wait_for(timeout=30_000)
    assert ink_on_canvas(page) == 0 and page.get_by_role("button", name="Clear the drawing").is_disabled()
    assert not page.locator('[data-testid="stException"]').count() and not errors


def test_sketch_page_draws_by_touch_on_a_phone(sketch_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(sketch_server + "/sketch")
    page.locator("canvas.gs-canvas").wait_for(timeout=60_000)
    canvas_strokes(page, SHOE, touch=context.new_cdp_session(page))
    photo_shown(page)
    four = photo_settled(page)
    nothing_clipped(page, 390)
    canvas_box = page.locator("canvas.gs-canvas").bounding_box()
    photo_box = page.locator(".gs-photo img").bounding_box()
    assert canvas_box["width"] > 330  # the whole width of the phone
    assert photo_box["y"] > canvas_box["y"] + canvas_box["height"]  # the photo under the canvas
    assert photo_box["y"] - (canvas_box["y"] + canvas_box["height"]) < 250  # directly: only the thumbnails between
    # drawing, the visitor sees the canvas; the photo under it is then off screen, and its small copy floats in
    # the corner, in view, until the photo itself is
    page.locator("canvas.gs-canvas").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -200)")
    page.wait_for_timeout(500)
    photo_now = page.locator(".gs-photo img").first.bounding_box()
    peek = page.locator(".gs-photo-peek")
    assert photo_now["y"] > 844 and peek.is_visible()
    peek_box = peek.bounding_box()
    assert peek_box["y"] + peek_box["height"] <= 844 and peek_box["x"] + peek_box["width"] <= 390
    assert peek.evaluate("p => p.complete && p.naturalWidth > 0 && p.src === document.querySelector('.gs-photo img').src")
    peek.tap()  # to the photo; the copy goes
    page.wait_for_timeout(1500)
    assert not peek.is_visible() and page.locator(".gs-photo img").first.bounding_box()["y"] < 844
    page.get_by_role("button", name="Undo the last stroke").tap()
    assert ink_on_canvas(page) > 0  # three strokes of four left
    photo_settled(page, unlike=four)  # the rerun replaced the photo (and its element): scroll to the new one
    page.locator(".gs-photo img").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "sketch_phone.png"))
    assert not page.locator('[data-testid="stException"]').count()
    context.close()


@pytest.fixture(scope="module")
def faces_server(tmp_path_factory):
    """The app with a tiny random face DCGAN and a tiny face SR model (the generate-then-upscale chain)."""
    import numpy as np

    from models import manifest
    from tests.conftest import export_tiny_imagegan, export_tiny_sr

    def steerable(w):  # random unit directions: the page's mechanics (the real ones are fitted by training)
        entry = export_tiny_imagegan(w, "dcgan_faces64")
        rng = np.random.default_rng(0)
        entry["edits"] = {k: {"direction": (v / np.linalg.norm(v)).tolist(), "scale": 1.5, "range": [-3, 3]}
                          for k, v in (("age", rng.standard_normal(8)), ("male", rng.standard_normal(8)))}
        manifest.write_entry(w, "dcgan_faces64", entry)
    with app_with(tmp_path_factory, "streamlit_faces.log", steerable,
                  lambda w: export_tiny_sr(w, name="srgan_faces")) as (url, _):
        yield url


def test_image_gan_page_chains_faces_into_the_face_srgan(faces_server, browser):
    page = open_page(browser, faces_server + "/images", "Image GANs")
    page.locator('[data-testid="stImageCaption"]', has_text="generated in").wait_for(timeout=60_000)
    page.get_by_text("Upscale to 256 (face SRGAN)").click()
    caption = page.locator('[data-testid="stImageCaption"]', has_text="upscaled to 256x256")
    caption.wait_for(timeout=60_000)
    assert "16 faces generated at 64x64" in caption.inner_text()  # "How many" (16) is respected
    # the chain's picture: the 16 faces at 256x256, four a row (no longer eight squeezed into one strip)
    chained = page.locator('[data-testid="stImage"]', has=caption).locator("img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chained.element_handle(),
                           timeout=30_000)
    width, height = chained.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert (width, height) == (4 * 258 + 2, 4 * 258 + 2), (width, height)
    closer = page.locator('[data-testid="stImageCaption"]', has_text="face SRGAN to 256x256").first
    closer.wait_for(timeout=30_000)  # a closer look at one face: pixels | bicubic | SRGAN
    page.screenshot(path=str(SCREENSHOTS / "image_gan_chain.png"), full_page=True)
    assert not page.locator('[data-testid="stException"]').count()
    assert not page.locator('[data-testid="stAlertContentError"]').count()


def test_moving_an_edit_slider_changes_the_face(faces_server, browser):
    page = open_page(browser, faces_server + "/images", "Image GANs")
    caption = page.locator('[data-testid="stImageCaption"]', has_text="Seed 0, sample 1: unedited")
    caption.wait_for(timeout=60_000)
    face = page.locator('[data-testid="stImage"]', has=caption).locator("img")
    before = face.get_attribute("src")
    slider = page.get_by_role("slider", name="Age: younger (-) or older (+)")
    slider.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")  # 0.5 a step
    moved = page.locator('[data-testid="stImageCaption"]', has_text="Seed 0, sample 1: age +2")
    moved.wait_for(timeout=30_000)
    after = page.locator('[data-testid="stImage"]', has=moved).locator("img").get_attribute("src")
    assert after != before
    page.screenshot(path=str(SCREENSHOTS / "image_gan_steer.png"), full_page=True)
    page.get_by_role("button", name="Reset").click()
    page.locator('[data-testid="stImageCaption"]', has_text="Seed 0, sample 1: unedited").wait_for(timeout=30_000)
    assert not page.locator('[data-testid="stException"]').count()


def test_on_a_phone_the_steered_face_stays_in_view_as_its_slider_moves(faces_server, browser):
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    page = browser.new_page(**phone)
    page.goto(faces_server + "/images")
    slider = page.get_by_role("slider", name="Age: younger (-) or older (+)")
    slider.wait_for(timeout=60_000)
    slider.scroll_into_view_if_needed()
    slider.focus()
    for _ in range(2):
        page.keyboard.press("ArrowRight")
    moved = page.locator('[data-testid="stImageCaption"]', has_text="Seed 0, sample 1: age +1")
    moved.wait_for(timeout=30_000)
    face = page.locator('[data-testid="stImage"]', has=moved).locator("img").bounding_box()
    handle = slider.bounding_box()
    assert face["y"] + face["height"] > 0 and face["y"] < 844, face  # meets the viewport, no scrolling
    assert 0 <= handle["y"] < 844 and face["y"] < handle["y"]  # right above the slider that moves it
    page.screenshot(path=str(SCREENSHOTS / "phone_steer.png"))


def test_on_a_phone_results_land_where_the_visitor_looks(streamlit_server, sr_server, browser, tmp_path):
    """390x844: the digits grid is on the first screen, and after Upscale the result is scrolled into view."""
    from PIL import Image

    from tests.test_sr_training import photo
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    page = browser.new_page(**phone)
    page.goto(streamlit_server + "/digits")
    grid = page.locator('[data-testid="stImage"] img').first
    grid.wait_for(timeout=60_000)
    page.locator(IDLE).wait_for(state="attached", timeout=60_000)  # measured once the run has laid the page out
    box = grid.bounding_box()
    assert box["y"] + box["height"] / 2 < 844, box  # its middle on the first screen
    page.screenshot(path=str(SCREENSHOTS / "phone_digits.png"))
    # "New seed" sits under the grid: after a tap the new grid is in view again
    before = grid.get_attribute("src")
    page.get_by_role("button", name="New seed").scroll_into_view_if_needed()
    page.get_by_role("button", name="New seed").tap()
    page.wait_for_function("src => { const i = document.querySelector('[data-testid=\"stImage\"] img');"
                           " return i && i.src !== src && i.complete; }", arg=before, timeout=30_000)
    page.wait_for_timeout(1500)  # the smooth scroll
    box = page.locator('[data-testid="stImage"] img').first.bounding_box()
    assert box["y"] < 844 and box["y"] + box["height"] > 0, box  # meets the viewport without scrolling

    page = browser.new_page(**phone)
    page.goto(sr_server + "/upscale")
    page.get_by_role("heading", name="Super-resolution (x2, x3, x4)").wait_for(timeout=60_000)
    page.locator('[data-testid="stRadio"]').get_by_text("Upload", exact=True).click()
    upload = tmp_path / "p.png"
    Image.fromarray(photo(40, 60)).save(upload)
    page.locator('[data-testid="stFileUploader"]', has_text="A small photo").locator("input[type=file]").set_input_files(
        str(upload))
    page.locator('[data-testid="stImageCaption"]', has_text="Input, 60x40 pixels").wait_for(timeout=30_000)
    page.get_by_role("button", name="Upscale", exact=True).click()
    view = page.locator(".gs-cmp-view")
    view.wait_for(timeout=60_000)
    inside = lambda b: 0 <= b["y"] and b["y"] + b["height"] <= 844 and 0 <= b["x"] and b["x"] + b["width"] <= 390  # noqa: E731
    deadline = time.monotonic() + 10  # the smooth scroll starts once the result is laid out (slower under load)
    while not inside(view.bounding_box()) and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    box = view.bounding_box()
    assert inside(box), box
    page.screenshot(path=str(SCREENSHOTS / "phone_upscale.png"))
