"""A real browser (Debian's chromium via Playwright) against `streamlit run app.py` on a free port."""

import pytest

from tests.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.shipped]


def test_digits_page_in_a_real_browser(streamlit_server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(streamlit_server + "/digits")  # a deep link as the server's first request
    page.get_by_role("heading", name="Handwritten digits").wait_for(timeout=60_000)
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Home" in nav and "app" not in nav.split()  # routed by app.py's st.navigation
    grid = page.locator('[data-testid="stImage"] img').first
    grid.wait_for(timeout=60_000)
    caption = page.locator('[data-testid="stImageCaption"]').first
    assert "generated in" in caption.inner_text()
    before = grid.get_attribute("src")

    page.get_by_role("button", name="New seed").click()
    page.wait_for_function("src => document.querySelector('[data-testid=\"stImage\"] img').src !== src",
                           arg=before, timeout=30_000)
    width = grid.evaluate("img => img.naturalWidth")
    assert width > 500  # a 60-digit grid enlarged 3x
    page.screenshot(path=str(SCREENSHOTS / "digits.png"), full_page=True)
    assert not page.locator('[data-testid="stException"]').count()
    assert not errors


def test_home_page_in_a_real_browser(streamlit_server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(streamlit_server)
    page.get_by_role("heading", name="How a GAN works").wait_for(timeout=60_000)
    page.locator('[data-testid="stImage"] img').first.wait_for(timeout=60_000)
    page.locator('[data-testid="stDataFrame"]').wait_for(timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)
    assert not page.locator('[data-testid="stException"]').count()
