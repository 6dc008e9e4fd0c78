-- Full-text search over titles and plain-text abstracts (LaTeX markup removed), with porter
-- stemming: "diffusion" also finds "diffuse". The index stores no text of its own: it reads
-- papers.title and papers.plain_abstract, so abstracts are stored once.
--
-- content="papers" in double quotes, with no spaces, is what Datasette's and sqlite-utils'
-- detect_fts look for: with it, plain `datasette papers.db` and `sqlite-utils search` find the
-- index (content='papers', or a view, is never detected).
--
-- The build declares the table twice: in the database, and in a file of its own where a helper
-- process fills the index (sql/fts_index.sql) while the build's own process writes papers and
-- indexes; sql/fts_copy.sql then copies the filled index into the database.

CREATE VIRTUAL TABLE papers_fts USING fts5(
    title, plain_abstract, content="papers", content_rowid="id", tokenize="porter"
);
