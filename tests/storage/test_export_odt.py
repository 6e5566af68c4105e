"""The .odt export, read back with odfpy as LibreOffice would show it."""

from __future__ import annotations

from odf import teletype
from odf.namespaces import DCNS, FONS, STYLENS, TEXTNS
from odf.opendocument import load
from odf.text import Span

from tests.storage.export_books import expected_paragraphs, import_corpus, small_book
from writer_app.storage.exporter import export_document, export_project
from writer_app.storage.formats.odt_out import BODY_STYLE, SCENE_BREAK_STYLE


class Odt:
    def __init__(self, path) -> None:
        self.doc = load(str(path))
        self.styles = {}
        for container in (self.doc.styles, self.doc.automaticstyles):
            for style in container.childNodes:
                if style.qname == (STYLENS, "style"):
                    self.styles[style.getAttrNS(STYLENS, "name")] = style

    def prop(self, style_name: str, kind: str, namespace: str, attribute: str) -> str | None:
        """A style's property, looked up through its parents as LibreOffice does."""
        while style_name:
            style = self.styles.get(style_name)
            if style is None:
                return None
            for child in style.childNodes:
                if child.qname == (STYLENS, kind) and child.getAttrNS(namespace, attribute) is not None:
                    return child.getAttrNS(namespace, attribute)
            style_name = style.getAttrNS(STYLENS, "parent-style-name")
        return None

    def sections(self) -> list[dict]:
        """Every heading with its level, style, and the paragraphs and scene breaks under it."""
        out: list[dict] = []
        for element in self.doc.text.childNodes:
            if element.qname == (TEXTNS, "h"):
                out.append({"title": teletype.extractText(element), "paragraphs": [], "breaks": [],
                            "level": int(element.getAttrNS(TEXTNS, "outline-level")),
                            "style": element.getAttrNS(TEXTNS, "style-name"), "elements": []})
            elif element.qname == (TEXTNS, "p"):
                style = element.getAttrNS(TEXTNS, "style-name")
                key = "breaks" if style == SCENE_BREAK_STYLE else "paragraphs"
                out[-1][key].append(teletype.extractText(element))
                out[-1]["elements"].append(element)
        return out

    def styled_spans(self, paragraph) -> set[tuple[str, bool, bool]]:
        spans = set()
        for span in paragraph.getElementsByType(Span):
            name = span.getAttrNS(TEXTNS, "style-name")
            spans.add((teletype.extractText(span), self.prop(name, "text-properties", FONS, "font-style") == "italic",
                       self.prop(name, "text-properties", FONS, "font-weight") == "bold"))
        return spans

    def breaks_before(self, section: dict) -> bool:
        return self.prop(section["style"], "paragraph-properties", FONS, "break-before") == "page"

    def meta(self, tag: str) -> str | None:
        found = [e for e in self.doc.meta.childNodes if e.qname == (DCNS, tag)]
        return teletype.extractText(found[0]) if found else None


def test_pride_and_prejudice_as_an_odt(lib, tmp_path):
    project = import_corpus(lib, tmp_path, "pride-and-prejudice.txt")
    odt = Odt(export_project(lib, project.id, "odt", tmp_path / "pp.odt"))
    nodes = lib.nodes(project.id)
    sections = odt.sections()
    assert [s["title"] for s in sections] == [n.title for n in nodes]
    assert {s["level"] for s in sections} == {1, 2}  # chapters, and scenes at the "* * *" breaks
    chapters = [s for s in sections if s["level"] == 1]
    assert [s["title"] for s in chapters] == [f"Chapter {i}" for i in range(1, 62)]
    assert all(odt.prop(s["style"], "paragraph-properties", FONS, "text-align") == "center" for s in sections)
    for node, section in zip(nodes, sections, strict=True):
        assert section["paragraphs"] == expected_paragraphs(lib, node.id), node.title
    assert [odt.breaks_before(s) for s in chapters] == [False] + [True] * 60
    assert not any(odt.breaks_before(s) for s in sections if s["level"] == 2)
    assert ("You", True, False) in odt.styled_spans(sections[0]["elements"][7])
    assert odt.prop(BODY_STYLE, "paragraph-properties", FONS, "text-indent") == "0.5in"
    assert odt.prop(BODY_STYLE, "paragraph-properties", FONS, "line-height") == "200%"
    assert odt.prop(BODY_STYLE, "text-properties", STYLENS, "font-family-asian") == "SimSun"
    assert (odt.meta("title"), odt.meta("creator"), odt.meta("language")) == ("Pride and Prejudice",
                                                                              "Jane Austen", "en")


def test_parts_scenes_styles_and_scene_breaks(lib, tmp_path):
    sample = small_book(lib)
    odt = Odt(export_project(lib, sample.project.id, "odt", tmp_path / "storm.odt"))
    sections = odt.sections()
    assert [s["title"] for s in sections] == sample.titles
    assert [s["level"] for s in sections] == [1, 2, 2, 3, 3, 1]
    assert [s["title"] for s in sections if odt.breaks_before(s)] == sample.chapter_titles[1:]
    for node_id, section in zip(sample.node_ids, sections, strict=True):
        assert section["paragraphs"] == expected_paragraphs(lib, node_id)
    one = sections[1]
    assert one["breaks"] == ["#"] and sections[4]["breaks"] == ["#"]
    assert odt.prop(SCENE_BREAK_STYLE, "paragraph-properties", FONS, "text-align") == "center"
    spans = odt.styled_spans(one["elements"][0])
    assert ("dark", True, False) in spans and ("stormy", False, True) in spans
    assert ("both at once", True, True) in odt.styled_spans(sections[4]["elements"][-1])
    assert one["paragraphs"][1] == "An indented line with  two spaces, & <angle> \"quotes\" and a tab\there."
    assert odt.meta("title") == "The Storm & the <Calm>"


def test_a_chinese_odt(lib, tmp_path):
    project = import_corpus(lib, tmp_path, "hongloumeng-ch1-10.txt", project_title="红楼梦")
    odt = Odt(export_project(lib, project.id, "odt", tmp_path / "hlm.odt"))
    nodes = lib.nodes(project.id)
    sections = odt.sections()
    assert [s["title"] for s in sections] == [n.title for n in nodes]
    for node, section in zip(nodes, sections, strict=True):
        assert section["paragraphs"] == expected_paragraphs(lib, node.id)
    assert odt.prop(BODY_STYLE, "text-properties", STYLENS, "language-asian") == "zh"
    assert odt.prop(BODY_STYLE, "paragraph-properties", FONS, "text-indent") == "24pt"  # two characters
    assert odt.meta("language") == "zh"


def test_one_document_exports_alone(lib, tmp_path):
    sample = small_book(lib)
    odt = Odt(export_document(lib, sample.node_ids[2], "odt", tmp_path / "two.odt"))
    assert [(s["title"], s["level"]) for s in odt.sections()] == [("Chapter Two", 1), ("Scene A", 2),
                                                                  ("Scene B", 2)]
    assert odt.meta("title") == "Chapter Two"
