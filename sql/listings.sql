-- Write every listing once, in id order, in the paper sql/placing.sql placed it in: what it
-- said, with its abstract only where it differs from its paper's (NULL where the same, '' where
-- the listing gave none but its paper has one).

INSERT INTO listings (
    id, paper_id, source_id, line, last_line, position, decision_id, authors_count, organization_id, date_text,
    published_on, published_year_inferred, upvotes, title, abstract, matched_by
)
SELECT
    listings.id,
    placed.paper_id,
    listings.source_id,
    listings.line,
    listings.last_line,
    listings.position,
    listings.decision_id,
    listings.authors_count,
    listings.organization_id,
    listings.date_text,
    listings.published_on,
    listings.published_year_inferred,
    listings.upvotes,
    listings.title,
    CASE
        WHEN listings.id = chosen.listing_id THEN NULL
        WHEN listings.abstract IS NULL THEN CASE WHEN shown.abstract IS NULL THEN NULL ELSE '' END
        WHEN listings.abstract = shown.abstract THEN NULL
        ELSE listings.abstract
    END,
    placed.matched_by
FROM staging.listings
JOIN staging.placed ON placed.listing_id = listings.id
JOIN staging.chosen ON chosen.paper_id = placed.paper_id
JOIN staging.listings AS shown ON shown.id = chosen.listing_id
ORDER BY listings.id;

-- Every id a record would have had as a paper on its own, and the paper it is part of.
INSERT INTO paper_aliases (id, paper_id)
SELECT listings.node, placed.paper_id
FROM staging.listings JOIN staging.placed ON placed.listing_id = listings.id
WHERE listings.founds
ORDER BY listings.node;
