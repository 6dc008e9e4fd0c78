-- The enrichment (abstract_text, short_name, code_links: papers_db.enrich) was computed for each
-- record where its file was read, in the reading processes for a large corpus; the paper takes its
-- chosen listing's.
--
-- Fill `papers` once, in id order, from the staged text of each paper and what its listings say
-- together. Computing the summaries here, after every listing is loaded, means a paper's row is
-- written once rather than updated as each listing of it arrives.

INSERT INTO papers (
    id, title, abstract, abstract_text, short_name, first_published_on, first_published_year, best_decision_id, outcome,
    tier, max_upvotes, listings_count, source_count
)
SELECT
    texts.id,
    texts.title,
    texts.abstract,
    texts.abstract_text,
    texts.short_name,
    summary.first_published_on,
    CAST(substr(summary.first_published_on, 1, 4) AS INTEGER),
    best.decision_id,
    decisions.outcome,
    decisions.tier,
    summary.max_upvotes,
    coalesce(summary.listings_count, 0),
    coalesce(summary.source_count, 0)
FROM staging.paper_texts AS texts
LEFT JOIN (
    SELECT
        paper_id,
        min(published_on) AS first_published_on,
        max(upvotes) AS max_upvotes,
        count(*) AS listings_count,
        count(DISTINCT source_id) AS source_count
    FROM listings
    GROUP BY paper_id
) AS summary ON summary.paper_id = texts.id
LEFT JOIN (
    -- The decision that says most about the paper: lowest precedence, then label.
    SELECT paper_id, decision_id
    FROM (
        SELECT
            listings.paper_id,
            decisions.id AS decision_id,
            row_number() OVER (
                PARTITION BY listings.paper_id ORDER BY decisions.precedence, decisions.label
            ) AS preference
        FROM listings
        JOIN decisions ON decisions.id = listings.decision_id
    )
    WHERE preference = 1
) AS best ON best.paper_id = texts.id
LEFT JOIN decisions ON decisions.id = best.decision_id
ORDER BY texts.id;

-- One row per code link (GitHub, GitLab, Hugging Face) found in an abstract.
INSERT INTO code_links (paper_id, url, host)
SELECT texts.id, json_extract(link.value, '$[0]'), json_extract(link.value, '$[1]')
FROM staging.paper_texts AS texts, json_each(texts.code_links) AS link
ORDER BY texts.id, link.key;

-- Papers per month, counted once here: as a view, every page of it counted all papers again
-- (0.5 s at a million papers, past the time limit under load).
INSERT INTO papers_per_month (month, papers)
SELECT substr(first_published_on, 1, 7) AS month, count(*)
FROM papers
WHERE first_published_on IS NOT NULL
GROUP BY month
ORDER BY month;
