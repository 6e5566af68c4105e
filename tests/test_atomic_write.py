"""A failed write leaves the previous file intact and no temporary behind."""

from __future__ import annotations

import pytest

from writer_app.atomic_write import atomic_write


def test_new_contents_replace_the_old(tmp_path):
    target = tmp_path / "settings.json"
    target.write_text("old", encoding="utf-8")
    with atomic_write(target) as handle:
        handle.write("new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_an_error_part_way_keeps_the_old_file(tmp_path):
    target = tmp_path / "export.md"
    target.write_text("the author's chapter", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write("half a chap")
            raise RuntimeError("disk gone")
    assert target.read_text(encoding="utf-8") == "the author's chapter"
    assert [p.name for p in tmp_path.iterdir()] == ["export.md"]


def test_bytes_mode(tmp_path):
    target = tmp_path / "data.bin"
    with atomic_write(target, "wb") as handle:
        handle.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
