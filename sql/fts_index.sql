-- Fill the full-text index (sql/fts.sql) in a file of its own, from the staged text each paper
-- takes (staging.paper_texts, sql/listings.sql), before `papers` exists: a helper process does
-- this on a second core while the build's own process writes papers and their indexes. The text
-- is exactly what papers.title and papers.plain_abstract will hold (sql/papers.sql takes both
-- from the same view), which an external-content index must match; inserting each paper's text
-- with its id indexes it as FTS5's 'rebuild' would read it from `papers`.
--
-- FTS5 gathers terms in memory and writes a segment whenever 1 MB of them is held; the segments
-- are merged as they pile up. Holding 16 MB before writing fills fewer, larger segments; more
-- was slower (why was not measured). With `optimize` below, 16 MB took 6.98 s of CPU at 100,000
-- papers against 7.41 for 64 MB (means of 7 and 9 runs in turns; 1 MB, FTS5's default, took
-- 9.4 s against 64 MB's 6.8 in an earlier session) and 62.2-66.5 s at 1,005,000 against
-- 68.7-70.3, the helper holding 49-50 MB there against 122-123. The setting is stored in the file
-- (papers_fts_config) but only matters to writes, which an immutable file never sees.
INSERT INTO papers_fts (papers_fts, rank) VALUES ('hashsize', 16777216);
-- Merge once, at the end, not as segments pile up: FTS5 merges every 4 segments of a level into
-- the next (automerge) and then `optimize` merges what is left, so each term's entries were
-- rewritten several times. At 1,005,000 papers, with a 64 MB hash, the fill wrote 28 segments;
-- with FTS5's merging it took 99.7 s and left 8, without it 68.4 s, and `optimize` then took
-- 19.3 and 17.1 s with Python's SQLite in an earlier session (the same index but for the one
-- segment's number). With 16 MB it writes 121 (100,000 papers: 13). crisismerge is FTS5's
-- largest (1999): it merges a level that reaches that many segments, which a fill of ten times
-- as many papers would not be expected to (about 1,210 at this rate).
INSERT INTO papers_fts (papers_fts, rank) VALUES ('automerge', 0);
INSERT INTO papers_fts (papers_fts, rank) VALUES ('crisismerge', 1999);
INSERT INTO papers_fts (rowid, title, plain_abstract)
SELECT id, title, coalesce(abstract_text, abstract) FROM staging.paper_texts ORDER BY id;
-- Merge the segments into one: at 1,005,000 papers the fill leaves 121, and every search opens
-- each of its words in each segment. In one segment the search query took 0.87 ms instead of
-- 1.24 for a rare word and 3.19 instead of 4.17 for two words (28 segments). Merging 121 took
-- 12.9-13.8 s at 1,005,000 papers (28: 11.9-13.1 s, both with APSW's SQLite), in this helper
-- process. At 100,000 papers 16 MB and 64 MB gave the same merged index but for its segment's
-- number (48,088 blocks).
INSERT INTO papers_fts (papers_fts) VALUES ('optimize');
-- Back to FTS5's defaults, so that a user who writes to the index in a downloaded copy does not
-- hold 16 MB per write and has segments merged as they pile up.
INSERT INTO papers_fts (papers_fts, rank) VALUES ('hashsize', 1048576);
INSERT INTO papers_fts (papers_fts, rank) VALUES ('automerge', 4);
INSERT INTO papers_fts (papers_fts, rank) VALUES ('crisismerge', 16);
