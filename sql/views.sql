-- Views for the common questions. Each is described, column by column, in metadata.yml.

-- The decision that says most about a paper: accepted before rejected, oral before spotlight
-- before poster. A paper listed with several decisions shows its best one.
CREATE VIEW paper_best_decision AS
SELECT paper_id, decision_id
FROM (
    SELECT
        listings.paper_id,
        decisions.id AS decision_id,
        row_number() OVER (
            PARTITION BY listings.paper_id
            ORDER BY
                CASE decisions.outcome WHEN 'accept' THEN 0 WHEN 'reject' THEN 1
                    WHEN 'desk_reject' THEN 2 ELSE 3 END,
                CASE decisions.tier WHEN 'oral' THEN 0 WHEN 'spotlight' THEN 1
                    WHEN 'poster' THEN 2 ELSE 3 END,
                decisions.label
        ) AS preference
    FROM listings
    JOIN decisions ON decisions.id = listings.decision_id
)
WHERE preference = 1;

CREATE VIEW paper_overview AS
SELECT
    papers.id,
    papers.title,
    min(listings.published_on) AS first_published_on,
    decisions.label AS decision,
    decisions.outcome,
    decisions.tier,
    max(listings.upvotes) AS max_upvotes,
    count(*) AS listings,
    group_concat(DISTINCT sources.file_name) AS sources
FROM papers
JOIN listings ON listings.paper_id = papers.id
JOIN sources ON sources.id = listings.source_id
LEFT JOIN paper_best_decision AS best ON best.paper_id = papers.id
LEFT JOIN decisions ON decisions.id = best.decision_id
GROUP BY papers.id;

CREATE VIEW accepted_papers AS
SELECT
    papers.id AS paper_id,
    papers.title,
    decisions.tier,
    decisions.label AS decision,
    sources.file_name AS source,
    listings.line
FROM listings
JOIN decisions ON decisions.id = listings.decision_id
JOIN papers ON papers.id = listings.paper_id
JOIN sources ON sources.id = listings.source_id
WHERE decisions.outcome = 'accept';

CREATE VIEW papers_per_month AS
SELECT substr(first_published_on, 1, 7) AS month, count(*) AS papers
FROM (
    SELECT paper_id, min(published_on) AS first_published_on
    FROM listings
    WHERE published_on IS NOT NULL
    GROUP BY paper_id
)
GROUP BY month
ORDER BY month;

CREATE VIEW trending AS
SELECT
    sources.snapshot_date,
    listings.upvotes,
    papers.title,
    listings.paper_id,
    listings.published_on,
    sources.file_name AS source,
    listings.line
FROM listings
JOIN papers ON papers.id = listings.paper_id
JOIN sources ON sources.id = listings.source_id
WHERE listings.upvotes IS NOT NULL
ORDER BY listings.upvotes DESC, sources.snapshot_date DESC;

CREATE VIEW cross_listed AS
SELECT
    papers.id AS paper_id,
    papers.title,
    count(*) AS listings,
    count(DISTINCT listings.source_id) AS source_count,
    group_concat(DISTINCT sources.file_name) AS sources
FROM papers
JOIN listings ON listings.paper_id = papers.id
JOIN sources ON sources.id = listings.source_id
GROUP BY papers.id
HAVING count(DISTINCT listings.source_id) > 1;

CREATE VIEW source_summary AS
SELECT
    sources.id AS source_id,
    sources.file_name,
    sources.format,
    sources.snapshot_date,
    (SELECT count(*) FROM listings WHERE listings.source_id = sources.id) AS records,
    (SELECT count(*) FROM parse_issues WHERE parse_issues.source_id = sources.id) AS parse_issues,
    (SELECT min(published_on) FROM listings WHERE listings.source_id = sources.id) AS first_published_on,
    (SELECT max(published_on) FROM listings WHERE listings.source_id = sources.id) AS last_published_on
FROM sources;
