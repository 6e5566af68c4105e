"""The manuscript library: one SQLite database per profile (see ``Library``)."""

from writer_app.storage.library import Library
from writer_app.storage.models import (
    Adapter,
    BibleEntry,
    Node,
    Project,
    ProjectSummary,
    Revision,
    SaveResult,
    SearchHit,
    Summary,
)

__all__ = [
    "Adapter",
    "BibleEntry",
    "Library",
    "Node",
    "Project",
    "ProjectSummary",
    "Revision",
    "SaveResult",
    "SearchHit",
    "Summary",
]
