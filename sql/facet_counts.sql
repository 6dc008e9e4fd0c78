-- Facet counts of whole tables, counted once here. Datasette counts a table page's facets over
-- every row on each visit: at a million papers that was 100 ms of the 117 ms the papers page
-- took (source_count 52 ms, first_published_year 30 ms). The plugin answers the facets
-- metadata.yml names as `precounted` from these rows while nothing filters the page, and counts
-- live, as Datasette does, once something does. One row per value of each such column, NULL
-- included (Datasette's facets leave NULL out; its count is here for SQL users).
INSERT INTO facet_counts (table_name, column_name, value, count)
SELECT 'papers', 'tier', tier, count(*) FROM papers GROUP BY tier
UNION ALL SELECT 'papers', 'outcome', outcome, count(*) FROM papers GROUP BY outcome
UNION ALL SELECT 'papers', 'first_published_year', first_published_year, count(*) FROM papers GROUP BY first_published_year
UNION ALL SELECT 'papers', 'source_count', source_count, count(*) FROM papers GROUP BY source_count
UNION ALL SELECT 'listings', 'source_id', source_id, count(*) FROM listings GROUP BY source_id
UNION ALL SELECT 'listings', 'decision_id', decision_id, count(*) FROM listings GROUP BY decision_id
UNION ALL SELECT 'listings', 'organization_id', organization_id, count(*) FROM listings GROUP BY organization_id
UNION ALL SELECT 'listings', 'matched_by', matched_by, count(*) FROM listings GROUP BY matched_by
UNION ALL SELECT 'parse_issues', 'code', code, count(*) FROM parse_issues GROUP BY code
UNION ALL SELECT 'parse_issues', 'source_id', source_id, count(*) FROM parse_issues GROUP BY source_id
UNION ALL SELECT 'code_links', 'host', host, count(*) FROM code_links GROUP BY host
-- The order Datasette shows them in: most frequent first, then by value.
ORDER BY 1, 2, 4 DESC, 3;

-- One value's count at a seek: source_summary reads records and parse issues per source here,
-- by the value as text, which DuckDB can compare too (sql/views.sql). SQLite uses an index on an
-- expression only where a query writes it the same way, `AS TEXT` in capitals included.
CREATE INDEX facet_counts_value ON facet_counts(table_name, column_name, CAST(value AS TEXT));

-- Every combination of papers' and listings' facet values, with its rows: a page filtered by
-- facet values takes its facets from here (the plugin sums the matching combinations). At a
-- million papers counting them live took up to 105 ms a page even from indexes (`?source_count=1`,
-- 870,000 papers); here there are a few hundred combinations of papers and a few thousand of
-- listings.
INSERT INTO papers_facet_combinations (tier, outcome, first_published_year, source_count, count)
SELECT tier, outcome, first_published_year, source_count, count(*) FROM papers
GROUP BY tier, outcome, first_published_year, source_count
ORDER BY tier, outcome, first_published_year, source_count;
INSERT INTO listings_facet_combinations (source_id, decision_id, organization_id, matched_by, count)
SELECT source_id, decision_id, organization_id, matched_by, count(*) FROM listings
GROUP BY source_id, decision_id, organization_id, matched_by
ORDER BY source_id, decision_id, organization_id, matched_by;
