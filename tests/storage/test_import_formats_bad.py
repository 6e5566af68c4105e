"""Bad docx/odt/epub/rtf files and broken projects: one clear line each, nothing imported."""

from __future__ import annotations

import shutil
import zipfile

import pytest

from tests.storage.format_files import (
    BinderItem,
    NwItem,
    pride,
    write_docx,
    write_epub,
    write_novelwriter,
    write_odt,
    write_scrivener,
)
from writer_app.cli import main
from writer_app.errors import UserError
from writer_app.storage.formats import common
from writer_app.storage.importer import plan_import


def _refused(path, pattern: str) -> str:
    with pytest.raises(UserError, match=pattern) as caught:
        plan_import(path)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300
    return message


def _rezip(source, target, drop: str = "", replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None):
    """A copy of the zip ``source`` without ``drop``, with members replaced or added."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename == drop:
                continue
            new.writestr(info, (replace or {}).get(info.filename, old.read(info.filename)))
        for name, data in (add or {}).items():
            new.writestr(name, data)
    return target


@pytest.fixture(scope="module")
def chapters():
    return pride(2)


@pytest.fixture
def docx_file(tmp_path, chapters):
    return write_docx(tmp_path / "good.docx", chapters, title="T")


@pytest.fixture
def odt_file(tmp_path, chapters):
    return write_odt(tmp_path / "good.odt", chapters, title="T")


@pytest.fixture
def epub_file(tmp_path, chapters):
    return write_epub(tmp_path / "good.epub", chapters, title="T")


@pytest.mark.parametrize("suffix, what", [(".docx", r"Word \(\.docx\)"), (".odt", r"OpenDocument \(\.odt\)"),
                                          (".epub", "EPUB")])
def test_a_file_that_is_not_a_zip_is_refused(tmp_path, suffix, what):
    fake = tmp_path / f"novel{suffix}"
    fake.write_text("<html><body><p>Really a web page.</p></body></html>", encoding="utf-8")
    _refused(fake, rf"novel{suffix} is not a {what} file \(it is not a zip archive")


@pytest.mark.parametrize("kind", ["docx_file", "odt_file", "epub_file"])
def test_a_truncated_file_is_refused(tmp_path, request, kind):
    good = request.getfixturevalue(kind)
    cut = tmp_path / f"cut{good.suffix}"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    _refused(cut, r"cut\.\w+ is not a .* file \(it is not a zip archive, or the end of the file is missing\)")


@pytest.mark.parametrize("kind, part", [("docx_file", "word/document.xml"), ("odt_file", "content.xml")])
def test_a_zip_missing_its_main_part_is_refused(tmp_path, request, kind, part):
    good = request.getfixturevalue(kind)
    broken = _rezip(good, tmp_path / f"broken{good.suffix}", drop=part)
    _refused(broken, rf"broken\.\w+ is not a complete .* file: it has no {part}")


@pytest.mark.parametrize("kind, part", [("docx_file", "word/document.xml"), ("odt_file", "content.xml")])
def test_a_main_part_that_is_not_xml_is_refused(tmp_path, request, kind, part):
    good = request.getfixturevalue(kind)
    broken = _rezip(good, tmp_path / f"broken{good.suffix}", replace={part: b"<w:document><w:body><w:p>"})
    _refused(broken, r"broken\.\w+ is damaged: its document text is not readable XML")


def test_damaged_compressed_data_is_refused(tmp_path, docx_file):
    data = bytearray(docx_file.read_bytes())
    with zipfile.ZipFile(docx_file) as archive:
        info = archive.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for offset in range(start + 20, start + min(info.compress_size, 400)):
        data[offset] ^= 0x5A
    broken = tmp_path / "flipped.docx"
    broken.write_bytes(bytes(data))
    _refused(broken, r"flipped\.docx is (damaged|damaged: its document text)")


def test_a_zip_bomb_stops_at_the_unpacked_cap(tmp_path, docx_file, monkeypatch):
    monkeypatch.setattr(common, "MAX_UNPACKED_BYTES", 2 * 2**20)
    padding = b" " * (3 * 2**20)  # compresses to a few kB
    with zipfile.ZipFile(docx_file) as archive:
        document = archive.read("word/document.xml")
    bomb = _rezip(docx_file, tmp_path / "bomb.docx",
                  replace={"word/document.xml": document.replace(b"<w:body>", b"<w:body>" + padding, 1)})
    assert bomb.stat().st_size < 200_000
    _refused(bomb, r"bomb\.docx would unpack to \d MB, more than the 2 MB writer-app reads from one file")


def test_an_epub_without_a_spine_is_refused(tmp_path):
    fake = tmp_path / "page.epub"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("META-INF/container.xml", '<?xml version="1.0"?><container version="1.0" '
                         'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile '
                         'full-path="content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
        archive.writestr("content.opf", '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" '
                         'version="3.0"><metadata/><manifest><item id="p" href="page.html" '
                         'media-type="application/xhtml+xml"/></manifest></package>')
        archive.writestr("page.html", "<html><body><p>Hello.</p></body></html>")
    _refused(fake, r"page\.epub has no reading order \(its package has no spine\)")


def test_a_zip_of_html_without_a_package_is_refused(tmp_path):
    fake = tmp_path / "site.epub"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("index.html", "<html><body><p>Hello.</p></body></html>")
    _refused(fake, r"site\.epub is not an EPUB book: it has no META-INF/container\.xml")


def test_an_epub_missing_a_chapter_file_is_refused(tmp_path, epub_file):
    broken = _rezip(epub_file, tmp_path / "holes.epub", drop="EPUB/text/chapter002.xhtml")
    _refused(broken, r"holes\.epub is not a complete EPUB book: 1 document of its reading order is missing "
                     r"\(text/chapter002\.xhtml\)")


ENCRYPTION = ('<?xml version="1.0"?><encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
              'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod '
              'Algorithm="{algorithm}"/><enc:CipherData><enc:CipherReference URI="{uri}"/></enc:CipherData>'
              "</enc:EncryptedData></encryption>")


def test_an_encrypted_epub_is_refused_as_drm(tmp_path, epub_file):
    locked = _rezip(epub_file, tmp_path / "locked.epub", add={"META-INF/encryption.xml": ENCRYPTION.format(
        algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc", uri="EPUB/text/chapter001.xhtml")})
    _refused(locked, r"locked\.epub is protected by DRM")
    adobe = _rezip(epub_file, tmp_path / "adobe.epub", add={"META-INF/rights.xml": "<rights/>"})
    _refused(adobe, r"adobe\.epub is protected by DRM")


def test_an_epub_with_only_obfuscated_fonts_imports(tmp_path, epub_file, chapters):
    fonts = _rezip(epub_file, tmp_path / "fonts.epub", add={"META-INF/encryption.xml": ENCRYPTION.format(
        algorithm="http://www.idpf.org/2008/embedding", uri="EPUB/fonts/serif.otf")})
    assert [s.title for s in plan_import(fonts).sections] == [c.title for c in chapters]


def test_empty_documents_say_so(tmp_path):
    import docx

    docx.Document().save(tmp_path / "blank.docx")
    _refused(tmp_path / "blank.docx", r"blank\.docx is empty; there is nothing to import")
    (tmp_path / "zero.odt").write_bytes(b"")
    _refused(tmp_path / "zero.odt", r"zero\.odt is empty")
    (tmp_path / "blank.rtf").write_text("{\\rtf1\\ansi{\\fonttbl{\\f0 Times;}}\\pard\\par}", encoding="ascii")
    _refused(tmp_path / "blank.rtf", r"blank\.rtf is empty")
    write_epub(tmp_path / "blank.epub", [], title="Nothing")
    _refused(tmp_path / "blank.epub", r"blank\.epub is empty")


def test_a_text_file_named_rtf_is_refused(tmp_path):
    (tmp_path / "notes.rtf").write_text("Just words.", encoding="utf-8")
    _refused(tmp_path / "notes.rtf", r"notes\.rtf is not an RTF document")


def test_the_cli_refuses_a_corrupt_docx_in_one_line_and_creates_no_library(tmp_path, docx_file, capsys):
    broken = _rezip(docx_file, tmp_path / "broken.docx", drop="word/document.xml")
    profile = tmp_path / "profile"
    assert main(["--data-dir", str(profile), "import", str(broken)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "broken.docx is not a complete Word (.docx) file" in err[0]
    assert not (profile / "library.sqlite3").exists()


def test_broken_scrivener_projects(tmp_path):
    no_binder = tmp_path / "Empty.scriv"
    no_binder.mkdir()
    _refused(no_binder, r"Empty\.scriv is not a complete Scrivener project: it has no \.scrivx binder file")
    garbled = write_scrivener(tmp_path / "G.scriv", [BinderItem("Draft", "DraftFolder", children=[
        BinderItem("One", paragraphs=["Text."])])])
    (garbled / "G.scrivx").write_text("<ScrivenerProject><Binder>", encoding="utf-8")
    _refused(garbled, r"G\.scriv is damaged: its binder \(\.scrivx\) is not readable XML")
    draftless = write_scrivener(tmp_path / "N.scriv", [BinderItem("Research", "ResearchFolder", children=[
        BinderItem("One", paragraphs=["Text."])])])
    _refused(draftless, r"N\.scriv has no Draft \(Manuscript\) folder")
    empty = write_scrivener(tmp_path / "E.scriv", [BinderItem("Draft", "DraftFolder", children=[
        BinderItem("One", paragraphs=[]), BinderItem("Two", paragraphs=[])])])
    _refused(empty, r"E\.scriv is empty: its Draft holds no text")


def test_a_scrivener_binder_cannot_point_outside_the_project(tmp_path):
    outside = tmp_path / "secret.rtf"
    outside.write_text("{\\rtf1 secret\\par}", encoding="ascii")
    project = write_scrivener(tmp_path / "X.scriv", [BinderItem("Draft", "DraftFolder", children=[
        BinderItem("One", paragraphs=["Kept."]), BinderItem("Evil", uuid="../../../secret")])])
    scrivx = project / "X.scrivx"
    scrivx.write_text(scrivx.read_text(encoding="utf-8"), encoding="utf-8")
    plan = plan_import(project)
    assert [(s.title, s.text) for s in plan.sections] == [("One", "Kept."), ("Evil", "")]


def test_broken_novelwriter_projects(tmp_path):
    project = write_novelwriter(tmp_path / "nw", [NwItem("Novel", "ROOT", children=[NwItem("One", text="## One\n\nHi.\n")])],
                                "T", "A")
    (project / "nwProject.nwx").write_text("<novelWriterXML><content>", encoding="utf-8")
    _refused(project, r"nw is damaged: its nwProject\.nwx is not readable XML")
    notes_only = write_novelwriter(tmp_path / "nw2", [NwItem("Plot", "ROOT", "PLOT", children=[
        NwItem("Idea", klass="PLOT", layout="NOTE", text="An idea.\n")])], "T", "A")
    _refused(notes_only, r"nw2 has no Novel folder in its project")
    empty = write_novelwriter(tmp_path / "nw3", [NwItem("Novel", "ROOT", children=[NwItem("One", text="")])], "T", "A")
    _refused(empty, r"nw3 is empty: its novel holds no text")


def test_a_project_copied_without_its_files_is_named_in_the_notes(tmp_path):
    project = write_novelwriter(tmp_path / "nw", [NwItem("Novel", "ROOT", children=[
        NwItem("One", text="## One\n\nHi.\n"), NwItem("Two", text=None)])], "T", "A")
    plan = plan_import(project)
    assert any("1 document had no file in content/" in note and "“Two”" in note for note in plan.notes)
    shutil.rmtree(project / "content")
    _refused(project, r"nw is empty")


def test_formatting_nested_thousands_deep_is_read_or_refused_never_a_traceback(tmp_path, odt_file):
    with zipfile.ZipFile(odt_file) as archive:
        content = archive.read("content.xml").decode("utf-8")
    start = content.index("<office:text>") + len("<office:text>")
    end = content.index("</office:text>")
    nested = "<text:p>" + "<text:span>" * 1900 + "deep" + "</text:span>" * 1900 + "</text:p>"
    deep = _rezip(odt_file, tmp_path / "deep.odt",
                  replace={"content.xml": (content[:start] + nested + content[end:]).encode("utf-8")})
    try:
        plan = plan_import(deep)
    except UserError as exc:
        assert "nested too deeply" in str(exc) or "not readable XML" in str(exc)
    else:
        assert plan.sections[0].text == "deep"


def test_an_epub_whose_package_names_a_missing_contents_file_is_refused(tmp_path, epub_file):
    broken = _rezip(epub_file, tmp_path / "no-ncx.epub", drop="EPUB/toc.ncx")
    with zipfile.ZipFile(broken) as archive:
        opf = archive.read("EPUB/content.opf").replace(b'href="toc.ncx"', b'href="gone.ncx"')
        nav_free = opf.replace(b' properties="nav"', b"")
    broken = _rezip(broken, tmp_path / "no-ncx2.epub", replace={"EPUB/content.opf": nav_free})
    _refused(broken, r"no-ncx2\.epub is a damaged EPUB book \(")
