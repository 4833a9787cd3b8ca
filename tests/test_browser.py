"""The pages in a real browser: headless Chromium (Selenium + Debian's chromium-driver)
against the app under gunicorn on 127.0.0.1, with the packaged 1988 dataset.

Walks what a user does: home page → search "Nouri" → Hamid Noury's page (the testimonies
about him and their speakers) → the query editor → run a saved query → rows. Screenshots go
to test-artifacts/ (git-ignored); copies for docs/pages.md are in docs/screenshots/.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.server, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from servers import running_server
    from stores import served

    from justicegraph.loaders import load
    from justicegraph.resources import dataset_dir

    path, env = served(tmp_path_factory.mktemp("browser") / "store", lambda s: load(s, [dataset_dir("1988")]))
    with running_server(path, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        pytest.skip("chromium and chromium-driver are not installed (scripts/system-deps.sh installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="jg-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    from selenium.webdriver.chrome.service import Service

    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shot(driver, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def wait_for(driver, condition, timeout: float = 20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def csp_violations(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser")
            if "Content Security Policy" in e["message"] or "Refused to" in e["message"]]


def test_a_user_finds_a_person_and_runs_a_saved_query(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(server.url + "/")
    assert "justicegraph" in browser.title
    assert browser.find_element(By.CSS_SELECTOR, "table.counts").text.count("\n") > 3
    shot(browser, "home")

    box = browser.find_element(By.ID, "home-search")
    box.send_keys("Nouri")
    suggestion = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "ul.suggestions li a"))
    assert "Hamid Noury" in suggestion[0].text
    shot(browser, "search-suggestions")
    box.send_keys(Keys.ENTER)
    wait_for(browser, lambda d: "/search" in d.current_url)
    link = browser.find_element(By.CSS_SELECTOR, 'ol.hits a[href="/id/hamid-noury"]')
    link.click()
    wait_for(browser, lambda d: d.current_url.endswith("/id/hamid-noury"))

    # the testimonies about him, each with its speaker, as the page's JSON twin lists them
    with urllib.request.urlopen(server.url + "/id/hamid-noury.json", timeout=10) as response:
        data = json.load(response)
    speakers = {item["attribution"]["speaker"]["label"] for group in data["mentions"] for item in group["items"]
                if item["attribution"]["kind"] == "Testimony"}
    assert speakers, "the dataset has testimony about Hamid Noury"
    mentions = browser.find_element(By.ID, "mentions").text
    for speaker in speakers:
        assert f"stated by {speaker}" in mentions
    assert "Hamid Nouri" in browser.find_element(By.ID, "names").text
    nodes = wait_for(browser, lambda d: d.execute_script(
        "return window.justicegraphNetwork && window.justicegraphNetwork.nodes().length"))
    assert nodes == len(data["network"]["nodes"])
    browser.execute_script("document.getElementById('mentions').scrollIntoView()")
    shot(browser, "entity-hamid-noury")
    browser.execute_script("document.getElementById('network').scrollIntoView()")
    shot(browser, "entity-network")

    browser.get(server.url + "/query")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".yasqe .CodeMirror"))
    example = browser.find_element(By.CSS_SELECTOR, 'button.example[data-name="cq03-testimony-about-person"]')
    example.click()
    editor_text = browser.execute_script("return window.justicegraphYasgui.getTab().getQuery()")
    assert "VALUES (?name)" in editor_text
    browser.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    rows = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".yasr table tbody tr"), timeout=30)
    browser.execute_script("document.querySelector('.yasr').scrollIntoView()")
    shot(browser, "query-editor")
    assert len(rows) >= len(speakers), browser.find_element(By.CSS_SELECTOR, ".yasr").text[:2000]
    assert any(speaker in browser.find_element(By.CSS_SELECTOR, ".yasr").text for speaker in speakers) or \
        "hamid-noury" in browser.find_element(By.CSS_SELECTOR, ".yasr").text
    assert csp_violations(browser) == []
