-- Copy the full-text index filled in its own file (attached as `fts`, sql/fts_index.sql) into
-- the database, whose papers_fts was just declared (sql/fts.sql) and is still empty. FTS5 keeps an
-- index in four tables of its own; copying them whole, row for row, gives the same index as
-- filling it here, in a fraction of the time (SQLite copies rows between tables of one shape
-- without decoding them).
DELETE FROM papers_fts_data;
DELETE FROM papers_fts_idx;
DELETE FROM papers_fts_docsize;
DELETE FROM papers_fts_config;
INSERT INTO papers_fts_data SELECT * FROM fts.papers_fts_data;
INSERT INTO papers_fts_idx SELECT * FROM fts.papers_fts_idx;
INSERT INTO papers_fts_docsize SELECT * FROM fts.papers_fts_docsize;
INSERT INTO papers_fts_config SELECT * FROM fts.papers_fts_config;
-- Their statistics, as one ANALYZE of the finished file gathers them: the build analysed the
-- tables written before, while its helpers worked (load.py, DatabaseWriter.finish).
ANALYZE main.papers_fts_data;
ANALYZE main.papers_fts_idx;
ANALYZE main.papers_fts_docsize;
ANALYZE main.papers_fts_config;
