-- Applied after the rows are loaded (building an index once is faster than keeping it up to
-- date row by row). Every foreign key is indexed, and so is every column a default page filters,
-- facets or sorts on.
CREATE INDEX papers_first_published_on ON papers(first_published_on);
CREATE INDEX papers_first_published_year ON papers(first_published_year);
CREATE INDEX papers_best_decision_id ON papers(best_decision_id);
CREATE INDEX papers_outcome ON papers(outcome, tier, title);  -- covers accepted_papers and per-tier counts
CREATE INDEX papers_tier ON papers(tier, title);  -- also serves papers_by_tier in title order
CREATE INDEX papers_max_upvotes ON papers(max_upvotes);
-- A paper's date without reading its row (papers_by_organization sorts thousands of papers by it).
CREATE INDEX papers_id_first_published_on ON papers(id, first_published_on);
CREATE INDEX papers_source_count ON papers(source_count);
CREATE INDEX papers_cross_listed ON papers(listings_count) WHERE source_count > 1;  -- cross_listed, most listed first
CREATE INDEX listings_paper_id ON listings(paper_id);
CREATE INDEX listings_decision_id ON listings(decision_id);
CREATE INDEX listings_organization_id ON listings(organization_id, paper_id);  -- papers_by_organization reads no listing row
CREATE INDEX listings_published_on ON listings(published_on);
CREATE INDEX listings_upvotes ON listings(upvotes);
CREATE INDEX listings_matched_by ON listings(matched_by);
CREATE INDEX paper_aliases_paper_id ON paper_aliases(paper_id);
CREATE INDEX parse_issues_source_id ON parse_issues(source_id, line);
CREATE INDEX sources_duplicate_of ON sources(duplicate_of);
CREATE INDEX listings_source_published_on ON listings(source_id, published_on);
CREATE INDEX code_links_paper_id ON code_links(paper_id);
CREATE INDEX code_links_host ON code_links(host);
CREATE INDEX papers_short_name ON papers(short_name);
CREATE INDEX related_papers_related_paper_id ON related_papers(related_paper_id);
