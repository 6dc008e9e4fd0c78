"""A person's path through the served site, in headless Chromium driven by Playwright.

Needs Debian's chromium (`apt-get install chromium`; `.ci/run` installs it). Without it these
tests are skipped with that reason, unless PAPERS_DB_REQUIRE_BROWSER is set, as CI sets it: then
a missing browser fails the run. Screenshots are saved in tests/artifacts/.
"""

import os
import re
from pathlib import Path

import pytest
from conftest import PROJECT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT / "tests" / "artifacts"
LAUNCH_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
REQUIRED = bool(os.environ.get("PAPERS_DB_REQUIRE_BROWSER"))


def missing_browser():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install chromium)"
    return None


pytestmark = pytest.mark.skipif(
    missing_browser() is not None and not REQUIRED, reason=str(missing_browser())
)


@pytest.fixture(scope="module")
def page(server):
    problem = missing_browser()
    if problem:
        pytest.fail(f"PAPERS_DB_REQUIRE_BROWSER is set but {problem}", pytrace=False)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_FLAGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900}, base_url=server)
        page = context.new_page()
        yield page
        browser.close()


def screenshot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_front_page_leads_to_search_papers_and_charts(page):
    page.goto("/")
    assert page.locator("h1").first.inner_text() == "papers-db"
    for link in ("Search titles and abstracts", "every paper", "papers per month", "accepted papers per tier"):
        assert page.get_by_role("link", name=link).is_visible(), link
    screenshot(page, "front-page")


def test_search_shows_ranked_highlighted_results_and_opens_a_paper(page):
    page.goto("/")
    page.get_by_role("link", name="Search titles and abstracts").click()
    page.fill("input[name=q]", "diffusion models")
    page.locator("input[type=submit], button[type=submit]").first.click()
    page.wait_for_load_state()
    marks = page.locator("ol.search-results mark")
    assert marks.count() > 0
    # Porter stemming: "models" also matches "model" and "modeling".
    assert all(text.lower().startswith(("diffus", "model")) for text in marks.all_inner_texts())
    screenshot(page, "search-results")

    first = page.locator("ol.search-results .result-title a").first
    title = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert re.search(r"/papers/papers/\d+$", page.url)
    assert page.locator("h1").inner_text() == title
    listings = page.locator("#paper-listings tbody tr")
    assert listings.count() >= 1
    assert re.search(r"\d{3}_[0-9a-f]+\.txt", listings.first.inner_text())
    screenshot(page, "paper-page")


def test_facet_click_narrows_papers_to_a_tier(page):
    page.goto("/papers/papers")
    page.locator("#facet-tier").get_by_role("link", name="spotlight", exact=True).click()
    page.wait_for_load_state()
    assert "tier=spotlight" in page.url
    assert page.locator("table.rows-and-columns tbody tr").count() == 4
    screenshot(page, "facet-spotlight")


@pytest.mark.parametrize("link", ["papers per month", "accepted papers per tier"])
def test_chart_renders_in_one_click_from_the_front_page(page, link):
    page.goto("/")
    page.get_by_role("link", name=link).click()
    chart = page.locator(".vega-embed canvas, .vega-embed svg").first
    chart.wait_for(state="visible", timeout=20_000)
    screenshot(page, "chart-" + link.replace(" ", "-"))
    box = chart.bounding_box()
    assert box["width"] > 100 and box["height"] > 100


def test_search_page_title_names_the_page_and_the_words(page):
    page.goto("/papers/search?q=diffusion")
    assert page.title() == "Search: diffusion – papers-db"
    page.goto("/papers/search")
    assert page.title() == "Search – papers-db"


def test_table_rows_come_first_and_column_descriptions_are_one_click_away(page):
    import yaml
    from conftest import PROJECT

    described = yaml.safe_load((PROJECT / "metadata.yml").read_text())["databases"]["papers"]["tables"]["papers"]["columns"]
    page.goto("/papers/papers")
    # Folded, the descriptions leave the rows right below the facets: at 1200x900 the table
    # starts at about 880 px, against about 1,510 px with the fourteen descriptions unfolded.
    assert page.locator("table.rows-and-columns").bounding_box()["y"] < 1000
    description = page.get_by_text(described["listings_count"], exact=True)
    assert not description.is_visible()
    page.get_by_text("Column descriptions", exact=True).click()
    assert description.is_visible()
    screenshot(page, "papers-column-descriptions")
