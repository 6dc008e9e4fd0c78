-- Place every listing in its paper, once every file is read. papers_db.resolve decided which
-- records are one paper; staging.merged holds each record identity (node) that joined a paper
-- founded by another, with the rule that joined it. A node not in it founds its own paper.
--
-- The listing that gives a paper its title and abstract (both from that one listing, never a
-- mixture): one with a title before one without, then the longest abstract (whitespace
-- folded; a revision usually adds to it), then the earliest listing.

CREATE TABLE staging.placed (
    listing_id INTEGER PRIMARY KEY,
    paper_id INTEGER NOT NULL,
    matched_by TEXT NOT NULL,
    choice INTEGER NOT NULL
);

INSERT INTO staging.placed (listing_id, paper_id, matched_by, choice)
SELECT
    id,
    paper_id,
    matched_by,
    row_number() OVER (PARTITION BY paper_id ORDER BY has_title DESC, abstract_length DESC, id)
FROM (
    SELECT
        listings.id,
        coalesce(merged.paper_id, listings.node) AS paper_id,
        listings.has_title,
        listings.abstract_length,
        -- How this listing joined its paper: a record's first listing by its node's rule (or
        -- founding the paper), and every later listing of that record by its same abstract (or
        -- title): a listing under another title repeating a merged record's abstract said
        -- "title_and_abstract", as if its title were the paper's. Where the record joined by a
        -- title only some of its listings have, resolution said which listing (listing_rules).
        CASE
            WHEN listing_rules.matched_by IS NOT NULL THEN listing_rules.matched_by
            WHEN listings.founds AND merged.matched_by IS NOT NULL THEN merged.matched_by
            WHEN listings.founds THEN 'first'
            WHEN listings.abstract_length IS NULL THEN 'title'  -- the same title, no abstract
            ELSE 'abstract'
        END AS matched_by
    FROM staging.listings
    LEFT JOIN staging.merged ON merged.node = listings.node
    LEFT JOIN staging.listing_rules ON listing_rules.listing_id = listings.id
)
ORDER BY id;

CREATE TABLE staging.chosen (paper_id INTEGER PRIMARY KEY, listing_id INTEGER NOT NULL);

INSERT INTO staging.chosen (paper_id, listing_id)
SELECT paper_id, listing_id FROM staging.placed WHERE choice = 1 ORDER BY paper_id;

-- A view, not a copy: the text stays where it was staged.
CREATE VIEW staging.paper_texts AS
SELECT chosen.paper_id AS id, listings.title, listings.abstract, listings.abstract_text, listings.short_name,
    listings.code_links
FROM chosen JOIN listings ON listings.id = chosen.listing_id;
