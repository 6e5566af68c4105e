"""Manuscript file formats other than Markdown and plain text (docx, epub, odt)."""
