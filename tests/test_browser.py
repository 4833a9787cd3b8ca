"""The pages in a real browser: headless Chromium (Selenium + Debian's chromium-driver) at
1366 × 1000 px against the app under gunicorn on 127.0.0.1, with the packaged 1988 dataset.
One server and one browser for the module.

- A user's walk: home → search "Nouri" → Hamid Noury's page (who said what about him) →
  the query editor → a saved query → rows.
- Every entity page of the dataset: no console error, the network drawn (never an empty
  box), nothing wider than the window.
- Every saved query's form at 1366 px: the results table fits; a name field suggests from
  search and takes the chosen entity's id.

Screenshots go to test-artifacts/ (git-ignored); the ones docs/pages.md shows are copies in
docs/screenshots/.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.server, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
WIDTH = 1366
BASE = "https://w3id.org/justicegraph/"
# One page of each kind for docs/pages.md, and where on the page to look.
SHOTS = {"hamid-noury": [("entity-person", None), ("entity-network", "network")],
         "mehri-hajinejad": [("entity-person-said", "said")],
         "evin-prison": [("entity-prison", "held-here")], "massacre-1988": [("entity-event", None)],
         "inn-live-report": [("entity-source", None)]}


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
                 "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
                 f"--window-size={WIDTH},1000"):
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


def problems(driver) -> list[str]:
    """Console errors (uncaught exceptions, failed loads, CSP refusals) since the last call."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" or "Content Security Policy" in e["message"] or "Refused to" in e["message"]]


def too_wide(driver) -> int:
    """How many pixels the page is wider than the window (0: it fits)."""
    return driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")


def get_json(server, path: str):
    with urllib.request.urlopen(server.url + path, timeout=30) as response:
        return json.load(response)


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

    # what others said about him, each statement with its speaker, as the JSON twin lists them
    data = get_json(server, "/id/hamid-noury.json")
    speakers = {s["cite"]["speaker"]["label"] for g in data["said_about"] for s in g["items"]
                if s["cite"]["voice"] == "testimony"}
    assert speakers, "the dataset has testimony about Hamid Noury"
    said_about = browser.find_element(By.ID, "said-about").text
    for speaker in speakers:
        assert speaker in said_about
    assert "Hamid Nouri" in browser.find_element(By.ID, "names").text
    nodes = wait_for(browser, lambda d: d.execute_script(
        "return window.justicegraphNetwork && window.justicegraphNetwork.nodes().length"))
    assert nodes == len(data["network"]["nodes"])

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
    assert problems(browser) == []


def entity_ids(server) -> list[str]:
    query = """SELECT DISTINCT ?s WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l
      FILTER(STRSTARTS(STR(?s), "https://w3id.org/justicegraph/id/")) } ORDER BY ?s"""
    request = urllib.request.Request(server.url + "/sparql", data=urllib.parse.urlencode({"query": query}).encode(),
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        rows = json.load(response)["results"]["bindings"]
    return [r["s"]["value"][len(BASE + "id/"):] for r in rows]


def test_every_entity_page_draws_its_network_without_a_console_error(server, browser):
    from selenium.webdriver.common.by import By

    ids = entity_ids(server)
    assert len(ids) >= 186  # people, organisations, places, events, documents, the source (docs/dataset.md)
    problems(browser)  # what earlier tests left in the log
    failures = {}
    for record_id in ids:
        browser.get(f"{server.url}/id/{record_id}")
        drawn = browser.execute_script(
            "var cy = window.justicegraphNetwork, box = document.getElementById('cy');"
            "return cy ? [cy.nodes().length, cy.edges().length, box.querySelector('canvas') ? 1 : 0,"
            "             cy.nodes().filter(function (n) { return n.renderedBoundingBox().w > 0; }).length] : null")
        found = []
        if not drawn or drawn[0] < 2 or drawn[2] != 1 or drawn[3] < 2:
            found.append(f"network not drawn: {drawn}")
        if too_wide(browser) > 0:
            found.append(f"{too_wide(browser)} px wider than the window")
        found += problems(browser)
        if found:
            failures[record_id] = found
        for name, section in SHOTS.get(record_id, ()):
            if section:
                browser.execute_script("arguments[0].scrollIntoView()", browser.find_element(By.ID, section))
            shot(browser, name)
    assert not failures, failures


def test_every_saved_query_form_fits_the_window(server, browser):
    queries = get_json(server, "/api/queries")["queries"]
    problems(browser)
    failures = {}
    for query in queries:
        browser.get(f"{server.url}/queries/{query['name']}")
        found = problems(browser)
        if too_wide(browser) > 0:
            found.append(f"{too_wide(browser)} px wider than the window")
        if found:
            failures[query["name"]] = found
        if query["name"] == "cq02-people-in-prison":
            shot(browser, "saved-query-form")
    assert not failures, failures


def test_a_name_field_suggests_from_search_and_takes_the_id(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{server.url}/queries/cq02-people-in-prison")
    field = browser.find_element(By.NAME, "prison")
    field.clear()
    field.send_keys("Evin")
    suggestions = wait_for(browser, lambda d: [a for a in d.find_elements(By.CSS_SELECTOR, ".field ul.suggestions li a")
                                               if a.is_displayed()])
    assert suggestions[0].text.startswith("Evin Prison")
    shot(browser, "saved-query-suggestions")
    # a blur that a focus follows at once (WebDriver's clear() does this) leaves the list
    # shown: the hide after a blur is for a click elsewhere, not for the field taking focus back
    browser.execute_script("arguments[0].blur(); arguments[0].focus();", field)
    browser.execute_script("return new Promise(function (done) { setTimeout(done, 400); });")
    assert suggestions[0].is_displayed()
    suggestions[0].click()
    assert field.get_attribute("value") == "evin-prison"
    assert browser.current_url.endswith("/queries/cq02-people-in-prison")  # the form stayed
    field.submit()
    wait_for(browser, lambda d: "prison=evin-prison" in d.current_url)
    rows = browser.find_elements(By.CSS_SELECTOR, "table.results tbody tr")
    assert rows and "Abulfazl Mahzoon" in browser.find_element(By.CSS_SELECTOR, "table.results").text
    # a name typed without choosing a suggestion works too, and says what it was read as
    browser.get(f"{server.url}/queries/cq02-people-in-prison?prison=Evin%20Prison")
    assert "read as Evin Prison" in browser.find_element(By.CSS_SELECTOR, "p.resolved").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.results tbody tr")) == len(rows)
    browser.get(f"{server.url}/queries/cq02-people-in-prison?prison=nowhere")
    assert "no entity has the id or name 'nowhere'" in browser.find_element(By.CSS_SELECTOR, "p.error").text
    assert [p for p in problems(browser) if "400" not in p] == []  # the 400 itself is logged
