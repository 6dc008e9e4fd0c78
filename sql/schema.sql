-- papers-db schema. Table and column names are the public interface: users write SQL against
-- them, so change them only on purpose (and in metadata.yml, which describes each one).

-- Which file this is, for a tool holding a downloaded copy: application_id is fixed (the bytes
-- "papr"), user_version is the schema version, raised whenever a table or column changes.
-- Version 1: the first numbered schema (build_info, papers.plain_abstract, papers_fts over papers).
-- Version 2: facet_counts.
-- Version 3: papers_facet_combinations, listings_facet_combinations.
-- Version 4: organizations has a row per handle and display name (handle alone was unique).
-- Version 5: organization_papers.
PRAGMA application_id = 1885433970;
PRAGMA user_version = 5;

CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    format TEXT CHECK (format IN ('hf_daily_papers', 'review_listing')),
    snapshot_date TEXT,
    page_date TEXT,
    description TEXT,
    bytes INTEGER NOT NULL,
    lines INTEGER NOT NULL,
    duplicate_of INTEGER REFERENCES sources(id)
);

CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL UNIQUE,
    outcome TEXT NOT NULL CHECK (outcome IN ('accept', 'reject', 'withdrawn', 'desk_reject')),
    tier TEXT CHECK (tier IN ('oral', 'spotlight', 'poster')),
    precedence INTEGER NOT NULL
);

-- One row per handle and display name a page showed: a handle shown under two names ("google
-- Google", "google Google DeepMind") has two rows, so each listing keeps the name its page gave.
CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    handle TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (handle, name)
);

-- A paper's columns after `abstract` summarise its listings; the build computes them once so
-- that pages and facets need no aggregate over listings.
CREATE TABLE papers (
    id INTEGER PRIMARY KEY,
    title TEXT,
    abstract TEXT,
    abstract_text TEXT,
    -- Always the plain text, computed when read and stored nowhere, so abstracts are stored once
    -- and the full-text index (sql/fts.sql) can read its text from this table.
    plain_abstract TEXT GENERATED ALWAYS AS (coalesce(abstract_text, abstract)) VIRTUAL,
    short_name TEXT,
    first_published_on TEXT,
    first_published_year INTEGER,
    best_decision_id INTEGER REFERENCES decisions(id),
    outcome TEXT,
    tier TEXT,
    max_upvotes INTEGER,
    listings_count INTEGER NOT NULL,
    source_count INTEGER NOT NULL
);

CREATE TABLE listings (
    id INTEGER PRIMARY KEY,
    paper_id INTEGER NOT NULL REFERENCES papers(id),
    source_id INTEGER NOT NULL REFERENCES sources(id),
    line INTEGER NOT NULL,
    last_line INTEGER NOT NULL,
    position INTEGER NOT NULL,
    decision_id INTEGER REFERENCES decisions(id),
    authors_count INTEGER,
    organization_id INTEGER REFERENCES organizations(id),
    date_text TEXT,
    published_on TEXT,
    published_year_inferred INTEGER CHECK (published_year_inferred IN (0, 1)),
    upvotes INTEGER,
    title TEXT,  -- exactly as this listing gave it
    abstract TEXT,  -- as this listing gave it; NULL where it is the paper's, '' where it gave none
    matched_by TEXT NOT NULL
        CHECK (matched_by IN ('first', 'abstract', 'title_and_abstract', 'near_abstract', 'title')),
    UNIQUE (source_id, line)
);

-- Every id a record could be given on its own (its identity's digest), and the paper it is part
-- of now, so that an id from an earlier build still leads to its paper after papers merge.
CREATE TABLE paper_aliases (
    id INTEGER PRIMARY KEY,
    paper_id INTEGER NOT NULL REFERENCES papers(id)
);

CREATE TABLE parse_issues (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    line INTEGER,
    code TEXT NOT NULL,
    message TEXT NOT NULL
);

CREATE TABLE code_links (
    id INTEGER PRIMARY KEY,
    paper_id INTEGER NOT NULL REFERENCES papers(id),
    url TEXT NOT NULL,
    host TEXT NOT NULL
);

-- Filled by the build (papers_db.related) from each paper's most distinctive terms.
CREATE TABLE related_papers (
    paper_id INTEGER NOT NULL REFERENCES papers(id),
    rank INTEGER NOT NULL,
    related_paper_id INTEGER NOT NULL REFERENCES papers(id),
    score REAL NOT NULL,
    shared_terms TEXT NOT NULL,
    PRIMARY KEY (paper_id, rank)
) WITHOUT ROWID;

-- Filled by sql/papers.sql once papers are written: a summary users would otherwise recount on
-- every page.
CREATE TABLE papers_per_month (
    month TEXT PRIMARY KEY,  -- YYYY-MM
    papers INTEGER NOT NULL
);

-- Filled by sql/facet_counts.sql once every table is written: the counts behind the facets of
-- an unfiltered table page, which Datasette would otherwise count over the whole table each visit.
CREATE TABLE facet_counts (
    table_name TEXT NOT NULL,
    column_name TEXT NOT NULL,
    value,  -- no declared type: each value keeps the type it has in its own table
    count INTEGER NOT NULL
);

-- Filled by sql/facet_counts.sql: how many rows have each combination of the facet values of
-- papers and of listings, behind the facets of a page filtered by facet values (a facet click).
-- Columns are declared as in their tables, so a value from a URL compares as it does there.
CREATE TABLE papers_facet_combinations (
    tier TEXT,
    outcome TEXT,
    first_published_year INTEGER,
    source_count INTEGER NOT NULL,
    count INTEGER NOT NULL
);

CREATE TABLE listings_facet_combinations (
    source_id INTEGER NOT NULL,
    decision_id INTEGER,
    organization_id INTEGER,
    matched_by TEXT NOT NULL,
    count INTEGER NOT NULL
);

-- Filled by sql/organization_papers.sql: each paper a page showed under an organisation, once per
-- organisation row, with the paper's first date beside it, so that an organisation's papers and
-- their dates are one read of its key (papers_by_organization). The date is the paper's, stored
-- twice for that reason: with it looked up in papers for each of an organisation's 3,100 papers,
-- the query took 5.1 ms at a million papers; read from here, 0.9 ms.
CREATE TABLE organization_papers (
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    paper_id INTEGER NOT NULL REFERENCES papers(id),
    first_published_on TEXT,
    PRIMARY KEY (organization_id, paper_id)
) WITHOUT ROWID;

-- One row: what built this file. No timestamp, so the same sources still give the same bytes.
CREATE TABLE build_info (
    package_version TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    source_count INTEGER NOT NULL,
    sources_sha256 TEXT NOT NULL  -- SHA-256 of the sources' sha256 values, in id order, one a line
);
