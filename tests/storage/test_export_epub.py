"""The .epub export, checked the way epubcheck checks a package (without Java) and read as a reader reads it."""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest
from ebooklib import epub
from lxml import etree

from tests.storage.export_books import expected_paragraphs, import_corpus, small_book
from writer_app.storage.exporter import export_document, export_project

NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container", "opf": "http://www.idpf.org/2007/opf",
      "dc": "http://purl.org/dc/elements/1.1/", "x": "http://www.w3.org/1999/xhtml",
      "ops": "http://www.idpf.org/2007/ops", "ncx": "http://www.daisy.org/z3986/2005/ncx/"}


class Package:
    """An exported epub opened as epubcheck opens it: the zip, the container, the OPF."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        container = etree.fromstring(self.zip.read("META-INF/container.xml"))
        self.opf_path = container.find("c:rootfiles/c:rootfile", NS).get("full-path")
        self.opf = etree.fromstring(self.zip.read(self.opf_path))
        self.base = posixpath.dirname(self.opf_path)
        self.manifest = {item.get("id"): item for item in self.opf.find("opf:manifest", NS)}

    def path(self, href: str, relative_to: str | None = None) -> str:
        folder = posixpath.dirname(relative_to) if relative_to else self.base
        return posixpath.normpath(posixpath.join(folder, unquote(href)))

    def xml(self, name: str):
        return etree.fromstring(self.zip.read(name))  # strict XML: an XHTML error fails here

    def spine(self) -> list[str]:
        return [self.path(self.manifest[ref.get("idref")].get("href"))
                for ref in self.opf.find("opf:spine", NS)]

    def nav_path(self) -> str:
        return self.path(next(i for i in self.manifest.values() if "nav" in (i.get("properties") or "").split())
                         .get("href"))

    def nav_tree(self, ol=None, name=None) -> list[tuple[str, str, list]]:
        """(title, target file#id, children) from the navigation document's toc."""
        name = name or self.nav_path()
        if ol is None:
            ol = self.xml(name).find(".//x:nav[@ops:type='toc']/x:ol", NS)
        out = []
        for li in ol.findall("x:li", NS):
            link = li.find("x:a", NS)
            inner = li.find("x:ol", NS)
            out.append((link.text, self.path(link.get("href"), name),
                        self.nav_tree(inner, name) if inner is not None else []))
        return out

    def ncx_tree(self, parent=None, name=None) -> list[tuple[str, str, list]]:
        if parent is None:
            toc = self.opf.find("opf:spine", NS).get("toc")
            name = self.path(self.manifest[toc].get("href"))
            parent = self.xml(name).find("ncx:navMap", NS)
        return [(point.find("ncx:navLabel/ncx:text", NS).text,
                 self.path(point.find("ncx:content", NS).get("src"), name),
                 self.ncx_tree(point, name)) for point in parent.findall("ncx:navPoint", NS)]

    def sections(self) -> list[tuple[str, str, list[str], list[str]]]:
        """(heading, file#id, paragraph texts, scene-break texts) for every heading in spine order."""
        out = []
        for name in self.spine():
            body = self.xml(name).find("x:body", NS)
            for element in body:
                tag = etree.QName(element).localname
                if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                    out.append((element.text, f"{name}#{element.get('id')}", [], []))
                elif tag == "p":
                    text = "".join(element.itertext())
                    out[-1][3 if element.get("class") == "scene-break" else 2].append(text)
        return out


def _titles(tree) -> list[str]:
    return [t for title, _, children in tree for t in (title, *_titles(children))]


def _flat(tree) -> list[tuple[str, str]]:
    return [item for title, target, children in tree for item in ((title, target), *_flat(children))]


def check_package(package: Package) -> None:
    """What epubcheck would reject first, at the level a test can see without Java."""
    first = package.zip.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED and not first.extra
    assert package.zip.read("mimetype") == b"application/epub+zip"
    assert package.zip.testzip() is None
    names = set(package.zip.namelist())
    assert package.opf_path in names
    for item in package.manifest.values():
        assert package.path(item.get("href")) in names, item.get("href")
    spine = package.opf.find("opf:spine", NS)
    assert spine.get("toc") in package.manifest
    for ref in spine:
        assert ref.get("idref") in package.manifest
    identifier_id = package.opf.get("unique-identifier")
    assert package.opf.find(f"opf:metadata/dc:identifier[@id='{identifier_id}']", NS).text.startswith("urn:uuid:")
    for name in names:
        if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
            package.xml(name)
    # Every link in the contents leads to a file in the package and to an element with that id.
    for _, target in _flat(package.nav_tree()) + _flat(package.ncx_tree()):
        name, fragment = urldefrag(target)
        assert name in names and name in package.spine()
        if fragment:
            assert package.xml(name).find(f".//*[@id='{fragment}']") is not None, target


def test_pride_and_prejudice_as_an_epub(lib, tmp_path):
    project = import_corpus(lib, tmp_path, "pride-and-prejudice.txt")
    package = Package(export_project(lib, project.id, "epub", tmp_path / "pp.epub"))
    check_package(package)
    nodes = lib.nodes(project.id)
    assert len(package.spine()) == 61  # one file per chapter
    assert _titles(package.nav_tree()) == _titles(package.ncx_tree()) == [n.title for n in nodes]
    sections = package.sections()
    assert [s[0] for s in sections] == [n.title for n in nodes]
    for node, (_, _, texts, _) in zip(nodes, sections, strict=True):
        assert texts == expected_paragraphs(lib, node.id), node.title
    chapter_one = package.xml(package.spine()[0])
    assert "You" in [e.text for e in chapter_one.iter(f"{{{NS['x']}}}em")]

    metadata = package.opf.find("opf:metadata", NS)
    assert metadata.find("dc:title", NS).text == "Pride and Prejudice"
    assert metadata.find("dc:creator", NS).text == "Jane Austen"
    assert metadata.find("dc:language", NS).text == "en"
    css = next(i for i in package.manifest.values() if i.get("media-type") == "text/css")
    stylesheet = package.zip.read(package.path(css.get("href"))).decode()
    assert "text-indent" in stylesheet and "p.scene-break { text-align: center" in stylesheet

    # An e-reader (ebooklib standing in for one) opens it and finds the same chapters.
    book = epub.read_epub(str(tmp_path / "pp.epub"), {"ignore_ncx": False})
    assert book.get_metadata("DC", "title")[0][0] == "Pride and Prejudice"
    assert len([i for i in book.spine]) == 61


def test_parts_nest_in_the_contents_and_everything_typed_is_escaped(lib, tmp_path):
    sample = small_book(lib)
    out = export_project(lib, sample.project.id, "epub", tmp_path / "storm.epub")
    package = Package(out)
    check_package(package)
    # One file per part or chapter; scenes are sections of their chapter's file.
    assert len(package.spine()) == len(sample.chapter_titles) == 4
    nav = package.nav_tree()
    shape = [(title, [(t, [c for c, _, _ in kids]) for t, _, kids in children]) for title, _, children in nav]
    assert shape == [("Part One", [("Chapter One", []), ("Chapter Two", ["Scene A", "Scene B"])]),
                     (sample.titles[-1], [])]
    assert package.ncx_tree() == nav
    sections = package.sections()
    assert [s[0] for s in sections] == sample.titles
    for node_id, (_, _, texts, _) in zip(sample.node_ids, sections, strict=True):
        assert texts == expected_paragraphs(lib, node_id)
    assert sections[1][3] == ["#"] and sections[4][3] == ["#"]  # the scene breaks, centred by the stylesheet
    assert sections[1][2][1] == "An indented line with  two spaces, & <angle> \"quotes\" and a tab\there."
    metadata = package.opf.find("opf:metadata", NS)
    assert metadata.find("dc:title", NS).text == "The Storm & the <Calm>"
    assert metadata.find("dc:creator", NS).text == "Ada Q. Lovelace Jr."
    # The same project exported again is the same book to a reader: the identifier does not change.
    again = Package(export_project(lib, sample.project.id, "epub", tmp_path / "again.epub"))
    identifier = ".//dc:identifier"
    assert again.opf.find(identifier, NS).text == package.opf.find(identifier, NS).text


def test_a_chinese_epub_says_it_is_chinese(lib, tmp_path):
    project = import_corpus(lib, tmp_path, "hongloumeng-ch1-10.txt", project_title="红楼梦")
    package = Package(export_project(lib, project.id, "epub", tmp_path / "hlm.epub"))
    check_package(package)
    nodes = lib.nodes(project.id)
    assert _titles(package.nav_tree()) == [n.title for n in nodes]
    assert package.opf.find(".//dc:language", NS).text == "zh"
    first = package.xml(package.spine()[1])
    assert first.get("lang") == "zh" and first.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh"
    for node, (_, _, texts, _) in zip(nodes, package.sections(), strict=True):
        assert texts == expected_paragraphs(lib, node.id)


@pytest.mark.parametrize("which", [2, 0])  # a chapter with its scenes; a part with its chapters
def test_one_document_exports_alone(lib, tmp_path, which):
    sample = small_book(lib)
    package = Package(export_document(lib, sample.node_ids[which], "epub", tmp_path / "one.epub"))
    check_package(package)
    titles = _titles(package.nav_tree())
    start = sample.titles.index(titles[0])
    assert titles == sample.titles[start:start + len(titles)] and titles[0] == sample.titles[which]
    assert package.opf.find(".//dc:title", NS).text == sample.titles[which]


def test_an_empty_project_is_a_valid_package_with_a_title_page(lib, tmp_path):
    project = lib.create_project("Nothing Yet")
    package = Package(export_project(lib, project.id, "epub", tmp_path / "empty.epub"))
    check_package(package)
    assert len(package.spine()) == 1 and [t for t, _, _ in package.nav_tree()] == ["Nothing Yet"]
    assert [s[0] for s in package.sections()] == ["Nothing Yet"]
