"""Text from files is shown literally everywhere: the window, the command line, the PDF.

A file's metadata carrying HTML, Qt rich text, links, remote images, ANSI escapes and a very
long line must be shown as those characters, never obeyed: no markup, no link, nothing
fetched or loaded from a URL, no terminal colour change.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

from inkseal.library import works
from inkseal.library.importer import import_paths
from inkseal.reports.report import make_report
from tests.conftest import REPO
from tests.images import png_with_text

MARKUP = '<a href="http://evil.example/">click</a> <img src="http://evil.example/x.png"> <b>bold'
ANSI = "\x1b[31mred\x1b[0m \x1b]0;title\x07"
# The settings line is what the window and `show` quote from a generator's parameters.
PROMPT = (
    f"{MARKUP} {ANSI} a crane\nSteps: 20, Sampler: {MARKUP}, Model: {ANSI}, Seed: 5, "
    + "Extra: "
    + "long " * 40_000
)


def _hostile(lib, tmp_path: Path) -> int:
    path = png_with_text(tmp_path / "hostile.png", seed=9, parameters=PROMPT)
    (outcome,) = import_paths(lib, [path]).outcomes
    assert outcome.work_id is not None
    works.declare(lib, outcome.work_id, "human-made")
    return outcome.work_id


def test_the_inspector_shows_markup_as_text(qtbot, window, tmp_path: Path) -> None:
    work_id = _hostile(window.ctx.library, tmp_path)
    window.refresh()
    window.reveal_works([work_id])
    qtbot.waitUntil(lambda: window.inspector.work_ids == [work_id], timeout=5000)
    shown = window.inspector.details.toPlainText()
    assert '<a href="http://evil.example/">click</a>' in shown
    html = window.inspector.details.toHtml()
    assert 'href="http://evil.example/"' not in html  # a link would be an <a> element
    assert "<img" not in html.replace("&lt;img", "")  # no image element, so nothing loaded
    assert "\x1b" not in shown and "\\x1b[31mred" in shown


def test_the_command_line_writes_escapes_as_text(lib, tmp_path: Path) -> None:
    work_id = _hostile(lib, tmp_path)
    proc = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "show", str(work_id), "--library", str(lib.root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "\\x1b[31mred" in proc.stdout
    assert '<a href="http://evil.example/">click</a>' in proc.stdout
    longest = max(len(line) for line in proc.stdout.splitlines())
    assert longest < 20_000, "a prompt of 200,000 characters is cut for the terminal"


def test_the_pdf_prints_markup_as_text_and_links_nowhere(qapp, lib, tmp_path: Path) -> None:
    work_id = _hostile(lib, tmp_path)
    out = tmp_path / "report.pdf"
    make_report(lib, [work_id], out, sign=False)
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert '<a href="http://evil.example/">click</a>' in text
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            assert "evil.example" not in str(action.get("/URI", "")), "a link to the file's URL"
    assert len(reader.pages) < 30, "a 200,000-character prompt must not fill the report"
