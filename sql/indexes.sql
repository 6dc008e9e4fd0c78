-- Applied after the rows are loaded (building an index once is faster than keeping it up to
-- date row by row). Every foreign key is indexed, and so is every column a default page filters,
-- facets or sorts on.
-- A sorted page lists ties by primary key (the plugin's from_the_first_row, as Datasette's next
-- pages do), so a sort reads its rows in order only from an index of the column alone, in that
-- direction: (c) gives c, then rowid; (c DESC) gives c descending, then rowid ascending. Hence
-- two indexes for dates and upvotes. Without the DESC one on dates, each page of the papers
-- page (newest first) sorted a date's rows again: 0.47 s for 50 rows at 100,500 papers (32,000
-- undated papers are one date), past the time limit at 1,000 a page. Without the ASC one on
-- upvotes, least upvoted first sorted every row: 0.51 s at 300,000 papers.
CREATE INDEX papers_first_published_on ON papers(first_published_on);
CREATE INDEX papers_first_published_on_desc ON papers(first_published_on DESC);
CREATE INDEX papers_best_decision_id ON papers(best_decision_id);
-- Covers accepted_papers in tier order, papers_by_tier in title order and per-tier counts; the
-- other facet columns let a facet page count from it alone when SQLite picks it (tier facet of
-- `?outcome=accept&first_published_year=2022` at a million papers: 479 ms reading rows, 8 ms without).
CREATE INDEX papers_outcome ON papers(outcome, tier, title, first_published_year, source_count);
CREATE INDEX papers_max_upvotes ON papers(max_upvotes);
CREATE INDEX papers_max_upvotes_desc ON papers(max_upvotes DESC);  -- most upvoted first
CREATE INDEX papers_cross_listed ON papers(listings_count) WHERE source_count > 1;  -- cross_listed, most listed first
CREATE INDEX listings_paper_id ON listings(paper_id);
CREATE INDEX listings_organization_id ON listings(organization_id, paper_id);  -- organization_papers.sql reads no listing row
CREATE INDEX listings_published_on ON listings(published_on);
CREATE INDEX listings_published_on_desc ON listings(published_on DESC);
CREATE INDEX listings_upvotes ON listings(upvotes);
CREATE INDEX listings_upvotes_desc ON listings(upvotes DESC);  -- most upvoted first
CREATE INDEX paper_aliases_paper_id ON paper_aliases(paper_id);
CREATE INDEX parse_issues_source_id ON parse_issues(source_id, line);
CREATE INDEX sources_duplicate_of ON sources(duplicate_of);
CREATE INDEX listings_source_published_on ON listings(source_id, published_on);
CREATE INDEX code_links_paper_id ON code_links(paper_id);
CREATE INDEX code_links_host ON code_links(host);
CREATE INDEX papers_short_name ON papers(short_name);
CREATE INDEX related_papers_related_paper_id ON related_papers(related_paper_id);

-- Facet browsing: each facet column of papers and listings (metadata.yml) leads an index that
-- holds the table's default sort (newest first, ties by id), then its other facet columns. A page filtered by facet
-- values then reads its 50 rows in order from the index, and counts its rows and every facet
-- from the index alone, never from the table's rows. At a million papers, without these, a click
-- on a facet value cost 0.1-1.6 s for the rows and up to 1.4 s a facet, past the time limits
-- (`?source_count=4` 1.6 s, `?tier=poster&source_count=1` 6.3 s of SQL in all); with them
-- 139 ms at most, for the 870,000 papers with one source. They index every row: partial ones
-- (tier and outcome are empty for nine papers in ten) led SQLite to sort accepted_papers'
-- 97,000 rows instead of reading them in order from papers_outcome.
CREATE INDEX papers_facet_tier ON papers(tier, first_published_on DESC, id, outcome, first_published_year, source_count);
CREATE INDEX papers_facet_outcome ON papers(outcome, first_published_on DESC, id, tier, first_published_year, source_count);
CREATE INDEX papers_facet_first_published_year ON papers(first_published_year, first_published_on DESC, id, tier, outcome, source_count);
CREATE INDEX papers_facet_source_count ON papers(source_count, first_published_on DESC, id, tier, outcome, first_published_year);
CREATE INDEX listings_facet_source_id ON listings(source_id, id, decision_id, organization_id, matched_by);
CREATE INDEX listings_facet_decision_id ON listings(decision_id, id, source_id, organization_id, matched_by);
CREATE INDEX listings_facet_organization_id ON listings(organization_id, id, source_id, decision_id, matched_by);
CREATE INDEX listings_facet_matched_by ON listings(matched_by, id, source_id, decision_id, organization_id);
