"""papers-db: turn raw listings of machine-learning papers into one normalised SQLite database.

    from papers_db import build_database
    report = build_database(["sources"], "dist/papers.db")
    print(report.papers, report.sha256)

Data flows one way, one module a step: `sources` (find files, manifest, format) -> `readers`
(text in, records out) -> `normalise` (paper identity, decisions) -> `enrich` and `related`
(`derive` does a file's per-record keys and enrichment, in the reading processes) ->
`load` (the only writer of SQLite, applying `sql/`) -> `metadata` and `serve` (Datasette).
`pipeline.build_database` runs them in order; `cli` is the `papers-db` command over it.
"""

from __future__ import annotations

# typing.TYPE_CHECKING's value, without importing typing: 3 ms of the command's start, before
# its signal handlers are set (command.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .errors import PapersDbError
    from .export import export_files
    from .pipeline import BuildReport, FileSummary, Progress, build_database, check_sources

__all__ = ["BuildReport", "FileSummary", "PapersDbError", "Progress", "__version__", "build_database", "check_sources",
           "export_files"]


def __getattr__(name: str):
    """The library's names, imported from their modules when first asked for. Importing the
    package alone, as the command does as it starts and Datasette as it loads the plugin,
    imported the whole build (0.2 s), and Ctrl-C meanwhile ended in a traceback."""
    if name == "__version__":  # the installed release, as `papers-db --version` names it
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("papers-db")
        except PackageNotFoundError:  # imported from a folder, not installed: hasattr() says False
            raise AttributeError("papers_db.__version__: papers-db is not installed (pip install -e .)") from None
    if name == "PapersDbError":
        from .errors import PapersDbError

        return PapersDbError
    if name == "export_files":
        from .export import export_files

        return export_files
    if name in __all__:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'papers_db' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The library's names, for a notebook's completion, with the module's own dunders: dir()
    listed only `TYPE_CHECKING` and `annotations`, as the others are imported when first asked for."""
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})
