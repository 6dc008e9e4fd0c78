"""Pages rendered in Jinja's plain mode (papers_db/plugin: rendering_in_plain_jinja; issue 18):
each page must be the bytes Datasette's own async rendering writes, but for the time its footer
states.

The reference is a second server on the same file, alike in everything but its render_template,
which is Datasette's own."""

import asyncio

import pytest
from datasette import hookimpl
from datasette.plugins import pm
from test_query_pages import assert_a_message_is_shown_once, assert_the_same_page
from test_serve import datasette_instance

import papers_db.plugin

# Every kind of page Datasette renders from a template, with arguments of every kind.
PAGES = [
    "/",
    "/papers",
    "/papers?sql=select+id,+title+from+papers+limit+3",
    "/papers?sql=select+nothing",  # 400: the error on the query page
    "/papers/papers",
    "/papers/papers?tier=poster&first_published_year=2024",
    "/papers/papers?tier=%3Cscript%3E&tier=oral",
    "/papers/papers?_search=diffusion&_sort=title",
    "/papers/papers?_facet=tier&_facet=outcome&_sort_desc=max_upvotes",
    "/papers/papers?_col=title&_col=tier&_size=5",
    "/papers/papers?title__contains=model&_where=source_count+>+1",
    "/papers/listings?_labels=on&_size=3",
    "/papers/listings?decision_id=1",
    "/papers/decisions",
    "/papers/paper_overview",
    "/papers/trending",
    "/papers/trending_on?snapshot_date=2025-10-30",
    "/papers/papers_by_tier?tier=spotlight&_hide_sql=1",
    "/-/metadata",
    "/-/plugins",
]


def rendering_pair(database, **options):
    """(this plugin's server, one whose pages Datasette's own render_template renders), both made
    by datasette_instance(database, **options)."""
    ours, theirs = datasette_instance(database, **options), datasette_instance(database, **options)
    for server in (ours, theirs):
        asyncio.run(server.invoke_startup())
    assert hasattr(ours.render_template, "datasettes")
    del theirs.render_template  # the method of Datasette's class again
    return ours, theirs


@pytest.fixture(scope="module")
def pair(built_db):
    return rendering_pair(built_db)


def rendered_in_plain_jinja(server, monkeypatch):
    """The names of the templates `server` renders in plain Jinja from now on."""
    plain_template = server.render_template.plain_environment().template_class
    names, render = [], plain_template.render

    def spy(template, *args, **kwargs):
        names.append(template.name)
        return render(template, *args, **kwargs)
    monkeypatch.setattr(plain_template, "render", spy)
    return names


def a_paper_id(pair):
    return asyncio.run(pair[0].get_database("papers").execute("select min(id) from papers")).single_value()


@pytest.mark.parametrize("path", PAGES)
def test_a_page_is_the_bytes_datasettes_rendering_writes(pair, path, monkeypatch):
    rendered = rendered_in_plain_jinja(pair[0], monkeypatch)
    assert_the_same_page(pair, path)
    assert rendered, "rendered in async Jinja: not what this test is for"


def test_a_papers_page_with_its_listings_and_related_papers_is_datasettes(pair, monkeypatch):
    rendered = rendered_in_plain_jinja(pair[0], monkeypatch)
    page = assert_the_same_page(pair, f"/papers/papers/{a_paper_id(pair)}")
    assert "row-papers-papers.html" in rendered and page.status_code == 200


def test_a_message_for_the_visitor_is_shown_once(pair):
    assert_a_message_is_shown_once(pair, "/papers/papers", "Saved")


@pytest.mark.parametrize("settings", [
    ["--setting", "base_url", "/prefix/"],
    ["--setting", "truncate_cells_html", "5"],
    ["--setting", "allow_facet", "off"],
], ids=["base_url", "truncate_cells_html", "allow_facet"])
def test_a_page_follows_datasettes_settings(built_db, settings):
    servers = rendering_pair(built_db, extra_args=settings)
    prefix = "/prefix" if "base_url" in settings else ""
    for path in ("/papers/papers?tier=poster", "/papers", "/papers/trending_on?snapshot_date=2025-10-30"):
        assert_the_same_page(servers, prefix + path)


class MenuThatWaits:
    """A plugin whose menu links wait for something, as a lookup elsewhere would."""

    @hookimpl
    def menu_links(self):
        async def later():
            await asyncio.sleep(0)
            return [{"href": "/waited", "label": "Waited"}]
        return later


def test_a_page_whose_hook_waits_is_rendered_as_datasette_renders_it(pair, monkeypatch):
    plugin = MenuThatWaits()
    pm.register(plugin, name="menu-that-waits")
    try:
        rendered = rendered_in_plain_jinja(pair[0], monkeypatch)
        page = assert_the_same_page(pair, "/papers/papers?tier=poster")
    finally:
        pm.unregister(plugin)
    assert 'href="/waited"' in page.text
    assert rendered == ["table.html"]  # tried, then rendered in async Jinja when the menu waited


class TemplateFiller:
    """Another plugin that puts something to await in every template."""

    @hookimpl
    def extra_template_vars(self):
        async def later():
            return "from the other plugin"
        return {"later": later}


def test_another_plugin_filling_templates_leaves_them_to_async_jinja(pair, monkeypatch):
    plugin = TemplateFiller()
    pm.register(plugin, name="template-filler")
    try:
        assert not papers_db.plugin.only_this_plugin_fills_templates()
        rendered = rendered_in_plain_jinja(pair[0], monkeypatch)
        assert_the_same_page(pair, "/papers/papers?tier=poster")
    finally:
        pm.unregister(plugin)
    assert rendered == []
    assert papers_db.plugin.only_this_plugin_fills_templates()


class MenuThatWaitsAsItCloses:
    """A plugin whose menu links wait, and wait again as they finish (an `async with` would)."""

    @hookimpl
    def menu_links(self):
        async def later():
            try:
                await asyncio.sleep(0)
                return [{"href": "/closed", "label": "Closed"}]
            finally:
                await asyncio.sleep(0)
        return later


def test_a_hook_that_waits_as_it_closes_is_rendered_as_datasette_renders_it(pair):
    plugin = MenuThatWaitsAsItCloses()
    pm.register(plugin, name="menu-that-waits-as-it-closes")
    try:
        page = assert_the_same_page(pair, "/papers/papers?tier=poster")
    finally:
        pm.unregister(plugin)
    assert page.status_code == 200 and 'href="/closed"' in page.text


def test_something_to_await_added_to_templates_after_startup_leaves_them_to_async_jinja(pair, monkeypatch):
    async def count_papers():
        return 319
    for server in pair:
        monkeypatch.setitem(server.jinja_env.globals, "count_papers", count_papers)
    rendered = rendered_in_plain_jinja(pair[0], monkeypatch)
    assert_the_same_page(pair, "/papers/papers?tier=poster")
    assert rendered == []


def test_a_loader_replaced_after_startup_is_the_one_pages_are_rendered_from(pair, monkeypatch):
    import jinja2

    assert_the_same_page(pair, "/papers/papers?tier=poster")  # rendered once from the loader of the start
    for server in pair:
        loader = jinja2.ChoiceLoader([jinja2.DictLoader({"_footer.html": "A footer of another plugin"}), server.jinja_env.loader])
        monkeypatch.setattr(server.jinja_env, "loader", loader)
    rendered = rendered_in_plain_jinja(pair[0], monkeypatch)
    page = assert_the_same_page(pair, "/papers/papers?tier=poster")
    assert "A footer of another plugin" in page.text and rendered == ["table.html"]


def test_a_template_of_another_environment_or_through_a_prefix_is_rendered_as_given(pair):
    import jinja2
    from datasette.views.table import Row

    others = jinja2.Environment(loader=jinja2.DictLoader({"table.html": "<p>{{ greeting }}</p>"}), enable_async=True)
    given = [others.get_template("table.html"), pair[0].jinja_env.get_template("default:_table.html")]
    context = {"greeting": "another environment's page",
               "display_columns": [{"name": "a", "sortable": False, "type": "INTEGER", "notnull": 0, "is_pk": False}],
               "display_rows": [Row([{"column": "a", "value": "1", "raw": 1, "value_type": "int"}])]}
    ours, theirs = [[asyncio.run(server.render_template(template, context, view_name="table")) for template in given]
                    for server in pair]
    assert ours == theirs and ours[0] == "<p>another environment's page</p>"
    # Datasette's own _table.html, not the plugin's of the same name (which writes <tr>\n<td ...).
    assert '<tr>\n                \n                    <td class="col-a type-int">1</td>' in ours[1]


def test_a_page_of_a_file_that_may_change_is_left_to_async_jinja(built_db, monkeypatch):
    servers = rendering_pair(built_db, mutable=True)
    rendered = rendered_in_plain_jinja(servers[0], monkeypatch)
    assert_the_same_page(servers, "/papers/decisions/1")
    assert rendered == []
