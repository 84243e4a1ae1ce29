"""PDF reports read back with pypdf: fields, CJK text, escaping, the embedded manifest."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from inkseal.library import works
from inkseal.library.evidence import attach_files
from inkseal.library.importer import import_paths
from inkseal.reports.manifest import MANIFEST_NAME, ReportOptions
from inkseal.reports.report import make_report, read_manifest
from tests.images import gradient, kra_file, png_with_text, save

HOSTILE = '<img src="file:///etc/passwd">'


@pytest.fixture
def sample(qapp, lib, tmp_path: Path) -> dict[str, int]:
    cjk = save(gradient((600, 400), seed=3), tmp_path / "墨竹 Ink bamboo.png", "PNG")
    hostile = save(gradient((300, 200), seed=40), tmp_path / "plain.png", "PNG")
    ai = png_with_text(
        tmp_path / "gen.png", seed=7, parameters="a crane, ink\nSteps: 20, Sampler: Euler, Seed: 5"
    )
    a, b, c = (o.work_id for o in import_paths(lib, [cjk, hostile, ai]).outcomes)
    works.rename(lib, b, HOSTILE)
    works.edit_fields(
        lib, a, {"creator": "李白", "medium": "ink on paper", "creation_date": "2024"}
    )
    works.declare(
        lib, a, "ai-assisted", [works.AIUseInput("Stable Diffusion XL", "background", "sky only")]
    )
    works.declare(lib, b, "human-made")
    works.declare(lib, c, "human-made")  # contradicted by its generator parameters
    attach_files(lib, a, [kra_file(tmp_path / "layers.kra")], "source")
    return {"cjk": a, "hostile": b, "ai": c}


def _text(pdf: bytes) -> str:
    """The pages' text with runs of white space as one space (pypdf spaces words by their
    positions)."""
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


def test_certificate_has_every_field_and_the_manifest(lib, sample, tmp_path: Path) -> None:
    out = tmp_path / "out" / "cert.pdf"
    result = make_report(lib, [sample["cjk"]], out, sign=False)
    pdf = out.read_bytes()
    reader = PdfReader(io.BytesIO(pdf))
    text = _text(pdf)
    for expected in (
        "墨竹 Ink bamboo",  # CJK extracted intact
        "李白",
        "ink on paper",
        "2024",
        "Made with AI assistance",
        "compositeWithTrainedAlgorithmicMedia",
        "Stable Diffusion XL",
        "background",
        "sky only",
        "layers.kra",
        "Source (layered file)",
        "How to check this report",
        "sha256sum",
        result.report_id,
        "Inkseal 0.1.0",
        "This PDF is not signed",
        "Declarations over time",
        "Integrity when this report was made",
    ):
        assert expected in text, expected
    detail = works.get_work(lib, sample["cjk"])
    for f in detail.files:
        assert f.info.sha256 in text
    meta = reader.metadata
    assert meta is not None and meta.title == "Provenance certificate: 墨竹 Ink bamboo"
    assert meta.author == "李白" and meta.creator == "Inkseal 0.1.0"
    assert b"xmpmeta" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()

    manifest = json.loads(reader.attachments[MANIFEST_NAME][0])
    assert manifest == read_manifest(pdf) == result.manifest
    (w,) = manifest["works"]
    assert w["title"] == detail.title and w["class"] == "ai-assisted"
    assert [f["sha256"] for f in w["files"]] == [f.info.sha256 for f in detail.files]
    # The manifest holds the history up to the report; the export itself comes after it.
    assert [h["hash"] for h in w["history"]] == [e.hash for e in detail.history[:-1]]
    assert manifest["integrity"]["files_ok"] and manifest["integrity"]["history_chain"]["ok"]
    exported = detail.history[-1]
    assert exported.kind == "work.exported"
    assert exported.payload["report_id"] == result.report_id


def test_markup_prints_literally_and_disagreement_is_said(lib, sample, tmp_path: Path) -> None:
    out = tmp_path / "p.pdf"
    make_report(
        lib,
        [sample["cjk"], sample["hostile"], sample["ai"]],
        out,
        sign=False,
        options=ReportOptions(kind="portfolio", paper="Letter"),
    )
    pdf = out.read_bytes()
    text = _text(pdf)
    assert HOSTILE in text
    assert "The declaration and the files disagree" in text
    assert "Portfolio provenance report" in text and "needs review" in text
    assert "No generative AI declared" in text
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert round(float(page.mediabox.width)) == 612  # Letter
    # The renderer's document loads nothing but the pictures it was handed.
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QTextDocument

    from inkseal.reports.render import _SafeDocument

    doc = _SafeDocument()
    kind = int(QTextDocument.ResourceType.ImageResource.value)
    assert not doc.loadResource(kind, QUrl("file:///etc/passwd"))
    assert not doc.loadResource(kind, QUrl("https://example.com/x.png"))


def test_compact_portfolio_and_bad_input(lib, sample, tmp_path: Path) -> None:
    from inkseal.library.errors import InvalidInput

    out = tmp_path / "c.pdf"
    make_report(
        lib,
        list(sample.values()),
        out,
        sign=False,
        options=ReportOptions(kind="portfolio", compact=True),
    )
    assert len(PdfReader(out).pages) < 8
    with pytest.raises(InvalidInput):
        make_report(lib, [], tmp_path / "x.pdf", sign=False)
    with pytest.raises(InvalidInput, match="one work"):
        make_report(
            lib, list(sample.values()), tmp_path / "x.pdf", sign=False, options=ReportOptions()
        )
    assert not (tmp_path / "x.pdf").exists()


def test_export_from_the_window_in_the_background(qtbot, tmp_path: Path) -> None:
    from inkseal.library.library import open_library
    from inkseal.ui.context import AppContext
    from inkseal.ui.main_window import MainWindow
    from inkseal.ui.report_dialog import ReportDialog

    ctx = AppContext(open_library(tmp_path / "lib"))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    try:
        paths = [save(gradient(seed=s * 9), tmp_path / f"w{s}.png", "PNG") for s in (1, 2)]
        with qtbot.waitSignal(window.import_finished, timeout=20000):
            window.start_import([str(p) for p in paths])
        window.grid.selectAll()
        dialog = ReportDialog(ctx.library, [w.title for w in window.selected_works()], "Ada")
        assert dialog.kind.currentData() == "portfolio"  # several works: no certificate
        dialog.path.setText(str(tmp_path / "out" / "folio"))
        dialog.sign.setChecked(False)
        dialog.kind.setCurrentIndex(dialog.kind.findData("compact"))
        dialog._accept()
        choice = dialog.choice
        assert choice is not None and choice.path.endswith("folio.pdf")
        assert (choice.kind, choice.compact, choice.sign) == ("portfolio", True, False)
        with qtbot.waitSignal(window.report_finished, timeout=30000) as blocker:
            window.start_report([w.id for w in window.selected_works()], choice)
        result = blocker.args[0]
        assert result.path.exists() and not result.signed
        assert "not signed" in window.last_report_box.text()
        assert len(read_manifest(result.path.read_bytes())["works"]) == 2
        window.last_report_box.close()
    finally:
        window.close()
        ctx.shutdown()


def test_prompts_can_be_left_out(lib, sample, tmp_path: Path) -> None:
    out = tmp_path / "np.pdf"
    make_report(lib, [sample["ai"]], out, sign=False, options=ReportOptions(include_prompts=False))
    pdf = out.read_bytes()
    assert "a crane, ink" not in _text(pdf)
    signals = [s for f in read_manifest(pdf)["works"][0]["files"] for s in f["signals"]]
    assert signals and all(s["prompt"] is None for s in signals)
    with_prompts = tmp_path / "p.pdf"
    make_report(lib, [sample["ai"]], with_prompts, sign=False)
    assert "a crane, ink" in _text(with_prompts.read_bytes())


def test_preferences_make_the_signing_identity(qtbot, lib, tmp_path: Path, monkeypatch) -> None:
    from inkseal.library.identity import load_identity
    from inkseal.ui.preferences import Preferences, PreferencesDialog
    from inkseal.ui.report_dialog import IdentityDialog

    dialog = PreferencesDialog(Preferences(creator="Ada"), str(lib.root))
    qtbot.addWidget(dialog)
    row = dialog.identity
    assert "No signing identity" in row.label.text()
    made = IdentityDialog(lib.root, "Ada", dialog)
    made.email.setText("ada@example.org")
    made.passphrase.setText("secret")
    made._create()
    row.refresh()
    info = load_identity(lib.root)
    assert info is not None and info.encrypted and info.email == "ada@example.org"
    assert "Signs as Ada (self-made)" in row.label.text()
    assert row.export_button.isVisibleTo(dialog) and not row.create_button.isVisibleTo(dialog)


def test_export_copies_and_training_from_the_window(qtbot, tmp_path: Path) -> None:
    from inkseal.library.identity import create_identity
    from inkseal.library.library import open_library
    from inkseal.ui.context import AppContext
    from inkseal.ui.main_window import MainWindow
    from inkseal.ui.report_dialog import ExportCopiesDialog

    ctx = AppContext(open_library(tmp_path / "lib"))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    try:
        path = save(gradient(seed=3), tmp_path / "w.png", "PNG")
        with qtbot.waitSignal(window.import_finished, timeout=20000):
            window.start_import([str(path)])
        window.grid.setCurrentIndex(window.model.index(0))
        insp = window.inspector
        insp.training.setCurrentIndex(insp.training.findData(True))
        insp.training.activated.emit(insp.training.currentIndex())
        wid = window.selected_works()[0].id
        assert works.get_work(ctx.library, wid).do_not_train is True
        assert window.undo_stack.undoText() == "AI training: not allowed"
        window.undo_stack.undo()
        assert works.get_work(ctx.library, wid).do_not_train is None
        window.undo_stack.redo()

        create_identity(ctx.library.root, "Ada")
        dialog = ExportCopiesDialog(ctx.library, 1, "Ada")
        dialog.folder.setText(str(tmp_path / "copies"))
        dialog._accept()
        assert dialog.choice is not None and dialog.choice.c2pa
        with qtbot.waitSignal(window.export_finished, timeout=30000) as blocker:
            window.start_export_copies([wid], dialog.choice)
        (refused,) = blocker.args[0]
        assert refused.status == "failed" and "declare how the work was made" in refused.reason
        assert "1 failed" in window.last_export_box.text()
        window.last_export_box.close()
        works.declare(ctx.library, wid, "human-made")
        with qtbot.waitSignal(window.export_finished, timeout=30000) as blocker:
            window.start_export_copies([wid], dialog.choice)
        (o,) = blocker.args[0]
        assert o.status == "written", o.reason
        assert o.signed and Path(o.target).exists()
        assert "Exported 1 copy" in window.last_export_box.text()
        window.last_export_box.close()
    finally:
        window.close()
        ctx.shutdown()


def test_export_catalogue_from_the_window(qtbot, window, tmp_path: Path) -> None:
    path = save(gradient(seed=3), tmp_path / "w.png", "PNG")
    with qtbot.waitSignal(window.import_finished, timeout=20000):
        window.start_import([str(path)])
    assert window.export_catalogue(tmp_path / "cat")  # the suffix is added
    doc = json.loads((tmp_path / "cat.json").read_text(encoding="utf-8"))
    assert doc["format"] == "inkseal-catalogue/1" and len(doc["works"]) == 1
    assert "1 work(s) written" in window.statusBar().currentMessage()
