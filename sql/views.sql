-- Views for the common questions. Each is described, column by column, in metadata.yml.
-- They stay thin: per-paper aggregates are columns of `papers`, computed by the build. A label
-- from another table (a decision, a listing's paper or source) is a scalar subquery, not a join:
-- Datasette counts a view's rows with count(*) on every page, and SQLite (3.40) keeps every join
-- of an aggregate query, even an unused LEFT JOIN, while it never runs an unused subquery.
-- Counting `trending` at a million papers took 3.8 s with joins and 34 ms without.

CREATE VIEW paper_overview AS
SELECT
    papers.id,
    papers.title,
    papers.first_published_on,
    (SELECT label FROM decisions WHERE decisions.id = papers.best_decision_id) AS decision,
    papers.outcome,
    papers.tier,
    papers.max_upvotes,
    papers.listings_count AS listings,
    (
        SELECT json_group_array(file_name) FROM (
            SELECT DISTINCT sources.file_name
            FROM listings JOIN sources ON sources.id = listings.source_id
            WHERE listings.paper_id = papers.id
            ORDER BY sources.file_name
        )
    ) AS sources
FROM papers;

-- One row per accepted paper, by its best decision. The listing that gave the decision is looked
-- up only for the rows shown, so counting and paging use the papers_outcome index alone.
CREATE VIEW accepted_papers AS
SELECT
    papers.id AS paper_id,
    papers.title,
    papers.tier,
    (SELECT label FROM decisions WHERE decisions.id = papers.best_decision_id) AS decision,
    (
        SELECT sources.file_name FROM listings JOIN sources ON sources.id = listings.source_id
        WHERE listings.paper_id = papers.id AND listings.decision_id = papers.best_decision_id
        ORDER BY listings.id LIMIT 1
    ) AS source,
    (
        SELECT listings.line FROM listings
        WHERE listings.paper_id = papers.id AND listings.decision_id = papers.best_decision_id
        ORDER BY listings.id LIMIT 1
    ) AS line
FROM papers
WHERE papers.outcome = 'accept';

CREATE VIEW trending AS
SELECT
    (SELECT snapshot_date FROM sources WHERE sources.id = listings.source_id) AS snapshot_date,
    listings.upvotes,
    (SELECT title FROM papers WHERE papers.id = listings.paper_id) AS title,
    listings.paper_id,
    listings.published_on,
    (SELECT file_name FROM sources WHERE sources.id = listings.source_id) AS source,
    listings.line
FROM listings
WHERE listings.upvotes IS NOT NULL;  -- Datasette shows it by upvotes (metadata.yml); add ORDER BY in SQL

-- Reads papers alone rather than joining paper_overview: with that join, counting the rows for
-- each page looked up every cross-listed paper twice (0.5 s at a million papers, against 5 ms).
CREATE VIEW cross_listed AS
SELECT
    papers.id AS paper_id,
    papers.title,
    papers.listings_count AS listings,
    papers.source_count,
    (
        SELECT json_group_array(file_name) FROM (
            SELECT DISTINCT sources.file_name
            FROM listings JOIN sources ON sources.id = listings.source_id
            WHERE listings.paper_id = papers.id
            ORDER BY sources.file_name
        )
    ) AS sources
FROM papers
WHERE papers.source_count > 1;

-- Records and parse issues per source come from facet_counts (listings and parse_issues by
-- source_id, counted at build time): counting them for each page's 50 sources read 120,000 index
-- entries at a million papers (4 ms). A source with no row there is counted, which finds none.
-- The value and the id are compared as text: facet_counts.value has no declared type, which
-- DuckDB reads as BLOB and cannot compare with an integer ("Unimplemented type for cast (BIGINT
-- -> BLOB)"), while it compares text. The index facet_counts_value (sql/facet_counts.sql) holds
-- CAST(value AS TEXT), and SQLite seeks it only for that expression as written there: keep both
-- the same, `AS TEXT` in capitals included.
CREATE VIEW source_summary AS
SELECT
    sources.id AS source_id,
    sources.file_name,
    sources.format,
    sources.snapshot_date,
    coalesce(
        (SELECT count FROM facet_counts WHERE table_name = 'listings' AND column_name = 'source_id'
            AND CAST(value AS TEXT) = CAST(sources.id AS TEXT)),
        (SELECT count(*) FROM listings WHERE listings.source_id = sources.id)
    ) AS records,
    coalesce(
        (SELECT count FROM facet_counts WHERE table_name = 'parse_issues' AND column_name = 'source_id'
            AND CAST(value AS TEXT) = CAST(sources.id AS TEXT)),
        (SELECT count(*) FROM parse_issues WHERE parse_issues.source_id = sources.id)
    ) AS parse_issues,
    (SELECT min(published_on) FROM listings WHERE listings.source_id = sources.id) AS first_published_on,
    (SELECT max(published_on) FROM listings WHERE listings.source_id = sources.id) AS last_published_on
FROM sources;
