-- Each organisation's papers with their first date (schema.sql says why), in key order. Run after
-- indexes.sql: the pairs are read from listings_organization_id, never from listing rows.
INSERT INTO organization_papers (organization_id, paper_id, first_published_on)
SELECT DISTINCT listings.organization_id, listings.paper_id, papers.first_published_on
FROM listings
JOIN papers ON papers.id = listings.paper_id
WHERE listings.organization_id IS NOT NULL
ORDER BY listings.organization_id, listings.paper_id;
