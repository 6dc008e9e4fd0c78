"""papers-db: turn raw listings of machine-learning papers into one normalised SQLite database.

    from papers_db import build_database
    report = build_database(["sources"], "dist/papers.db")
    print(report.papers, report.sha256)

Data flows one way, one module a step: `sources` (find files, manifest, format) -> `readers`
(text in, records out) -> `normalise` (paper identity, decisions) -> `enrich` and `related` ->
`load` (the only writer of SQLite, applying `sql/`) -> `metadata` and `serve` (Datasette).
`pipeline.build_database` runs them in order; `cli` is the `papers-db` command over it.
"""

from .errors import PapersDbError
from .pipeline import BuildReport, FileSummary, Progress, build_database, check_sources

__all__ = ["BuildReport", "FileSummary", "PapersDbError", "Progress", "build_database", "check_sources"]
