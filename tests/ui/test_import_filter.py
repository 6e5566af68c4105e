"""The import dialogs offer every format the importer reads."""

from __future__ import annotations

from writer_app.storage.importer import SUPPORTED
from writer_app.ui.file_ops import IMPORT_FILTER


def test_the_import_dialog_offers_every_supported_format():
    assert [s for s in SUPPORTED if f"*{s}" not in IMPORT_FILTER] == []
    assert "*.scrivx" in IMPORT_FILTER and "nwProject.nwx" in IMPORT_FILTER  # choosing a project's own file
