-- Full-text search over titles and plain-text abstracts (LaTeX markup removed), with porter
-- stemming: "diffusion" also finds "diffuse". The index stores no text of its own; it reads
-- it from paper_search_text, so abstracts are stored once.

CREATE VIEW paper_search_text AS
SELECT id, title, coalesce(abstract_text, abstract) AS abstract
FROM papers;

CREATE VIRTUAL TABLE papers_fts USING fts5(
    title, abstract, content = 'paper_search_text', content_rowid = 'id', tokenize = 'porter'
);

INSERT INTO papers_fts (papers_fts) VALUES ('rebuild');
