"""File > Export Report…: the options of a provenance report, and the signing identity.

The dialog only gathers choices; the main window runs the export in the background.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inkseal.library import identity
from inkseal.library.errors import InksealError
from inkseal.library.library import Library


@dataclass(frozen=True)
class ReportChoice:
    path: str
    kind: str
    paper: str
    compact: bool
    thumbnails: bool
    prompts: bool
    sign: bool
    passphrase: str | None


def signing_passphrase(parent: QWidget, lib: Library, otherwise: str) -> tuple[bool, str | None]:
    """(go on, passphrase): asks for the key's passphrase when it has one; says what to do
    when there is no identity yet."""
    info = identity.load_identity(lib.root)
    if info is None:
        QMessageBox.information(
            parent, "Inkseal", f"Create your signing identity first, or {otherwise}."
        )
        return False, None
    if not info.encrypted:
        return True, None
    from PySide6.QtWidgets import QInputDialog

    text, ok = QInputDialog.getText(
        parent, "Sign", "Passphrase of your signing key:", QLineEdit.EchoMode.Password
    )
    return ok, text if ok else None


def _safe_name(title: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in " -_." else "_" for ch in title).strip(" .")
    return (keep or "report")[:80]


class IdentityDialog(QDialog):
    """Create the artist's signing identity: name, optional email, optional passphrase."""

    def __init__(self, root: Path, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root = root
        self.setWindowTitle("Create your signing identity")
        form = QFormLayout(self)
        explain = QLabel(
            "Inkseal makes a certificate and key for you, kept in this library's folder. It "
            "signs your reports. A self-made certificate proves that the same key signed every "
            "report; it does not prove who you are. Export it and give it to those who should "
            "recognise your reports."
        )
        explain.setWordWrap(True)
        form.addRow(explain)
        self.name = QLineEdit(name)
        self.email = QLineEdit()
        self.email.setPlaceholderText("optional")
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("optional; asked when you sign")
        form.addRow("Name", self.name)
        form.addRow("Email", self.email)
        form.addRow("Passphrase", self.passphrase)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._create)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.info: identity.IdentityInfo | None = None

    def _create(self) -> None:
        try:
            self.info = identity.create_identity(
                self.root,
                self.name.text(),
                self.email.text().strip() or None,
                self.passphrase.text() or None,
            )
        except InksealError as exc:
            QMessageBox.warning(self, "Inkseal", str(exc))
            return
        self.accept()


class IdentityRow(QWidget):
    """Who signs: the identity's name and kind, with Create… or Export Certificate…."""

    def __init__(self, root: Path, default_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root = root
        self.default_name = default_name
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.create_button = QPushButton("Create Identity…")
        self.create_button.setToolTip("Make the certificate and key that sign your reports")
        self.create_button.clicked.connect(self._create)
        self.import_button = QPushButton("Import PKCS#12…")
        self.import_button.setToolTip("Use a certificate and key issued by a real authority")
        self.import_button.clicked.connect(self._import)
        self.export_button = QPushButton("Export Certificate…")
        self.export_button.setToolTip("Save your public certificate so others can trust it")
        self.export_button.clicked.connect(self._export)
        row.addWidget(self.label, 1)
        row.addWidget(self.create_button)
        row.addWidget(self.import_button)
        row.addWidget(self.export_button)
        self.refresh()

    def refresh(self) -> None:
        try:
            info = identity.load_identity(self.root)
        except InksealError as exc:
            self.label.setText(f"The signing identity cannot be read: {exc}")
            info = None
        else:
            if info is None:
                self.label.setText("No signing identity yet.")
            else:
                kind = "self-made" if info.self_made else "issued by " + info.issuer
                self.label.setText(f"Signs as {info.name} ({kind}).")
        self.create_button.setVisible(info is None)
        self.import_button.setVisible(info is None)
        self.export_button.setVisible(info is not None)

    def _create(self) -> None:
        dialog = IdentityDialog(self.root, self.default_name, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.refresh()

    def _import(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        path, _ = QFileDialog.getOpenFileName(
            self, "Import a PKCS#12 file", str(Path.home()), "PKCS#12 (*.p12 *.pfx)"
        )
        if not path:
            return
        password, ok = QInputDialog.getText(
            self, "Import", "Password of the file:", QLineEdit.EchoMode.Password
        )
        if not ok:
            return
        try:
            identity.import_pkcs12(self.root, Path(path).read_bytes(), password or None)
        except (OSError, InksealError) as exc:
            QMessageBox.warning(self, "Inkseal", str(exc))
        self.refresh()

    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export certificate", str(Path.home() / "inkseal-certificate.pem"),
            "Certificates (*.pem)",
        )  # fmt: skip
        if path:
            try:
                Path(path).write_bytes(identity.export_certificate(self.root))
            except (OSError, InksealError) as exc:
                QMessageBox.warning(self, "Inkseal", str(exc))


class ReportDialog(QDialog):
    def __init__(
        self, lib: Library, titles: list[str], creator: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.lib = lib
        self.creator = creator
        self.setWindowTitle("Export provenance report")
        layout = QVBoxLayout(self)
        n = len(titles)
        what = f"“{titles[0]}”" if n == 1 else f"{n} works"
        layout.addWidget(QLabel(f"A PDF report of {what}, to send to clients, juries or sites."))
        form = QFormLayout()
        self.kind = QComboBox()
        if n == 1:
            self.kind.addItem("Certificate of one work", "certificate")
        self.kind.addItem("Portfolio: a full certificate per work", "portfolio")
        self.kind.addItem("Portfolio: a short section per work", "compact")
        form.addRow("Report", self.kind)
        self.paper = QComboBox()
        self.paper.addItem("A4", "A4")
        self.paper.addItem("Letter", "Letter")
        form.addRow("Paper", self.paper)
        self.thumbnails = QCheckBox("Pictures of the process files")
        self.thumbnails.setChecked(True)
        self.prompts = QCheckBox("Generator prompts found in the files")
        self.prompts.setChecked(True)
        self.sign = QCheckBox("Sign the report")
        self.sign.setChecked(True)
        self.identity = IdentityRow(lib.root, creator)
        form.addRow("Include", self.thumbnails)
        form.addRow("", self.prompts)
        form.addRow("Signature", self.sign)
        form.addRow("", self.identity)
        self.path = QLineEdit(
            str(Path.home() / f"{_safe_name(titles[0] if n == 1 else 'Portfolio')}.pdf")
        )
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow("Save as", row)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.choice: ReportChoice | None = None

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save report", self.path.text(), "PDF (*.pdf)")
        if path:
            self.path.setText(path if path.lower().endswith(".pdf") else path + ".pdf")

    def _accept(self) -> None:
        path = self.path.text().strip()
        if not path:
            return
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        if Path(path).exists():
            answer = QMessageBox.question(self, "Inkseal", f"{path} exists. Replace it?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        passphrase = None
        sign = self.sign.isChecked()
        if sign:
            ok, passphrase = signing_passphrase(self, self.lib, "leave the report unsigned")
            if not ok:
                return
        kind = self.kind.currentData()
        self.choice = ReportChoice(
            path=path,
            kind="portfolio" if kind == "compact" else kind,
            paper=self.paper.currentData(),
            compact=kind == "compact",
            thumbnails=self.thumbnails.isChecked(),
            prompts=self.prompts.isChecked(),
            sign=sign,
            passphrase=passphrase,
        )
        self.accept()


@dataclass(frozen=True)
class CopiesChoice:
    folder: str
    fmt: str
    c2pa: bool
    xmp: bool
    passphrase: str | None


class ExportCopiesDialog(QDialog):
    """File > Export Copies…: where, in which format, with Content Credentials and XMP."""

    def __init__(self, lib: Library, n: int, creator: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lib = lib
        self.setWindowTitle("Export copies")
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                f"Copies of the {n} selected work(s). The files in your library stay as they "
                "are; existing files are not replaced."
            )
        )
        form = QFormLayout()
        self.folder = QLineEdit(str(Path.home() / "Inkseal export"))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form.addRow("Folder", row)
        self.fmt = QComboBox()
        for label, value in (("As imported", "original"), ("JPEG", "jpeg"), ("PNG", "png")):
            self.fmt.addItem(label, value)
        form.addRow("Format", self.fmt)
        self.c2pa = QCheckBox("Content Credentials (C2PA), signed by you")
        self.c2pa.setChecked(True)
        self.c2pa.setToolTip(
            "Records how each work was made, as you declared it, and which AI tools did what; "
            "sites and apps that read Content Credentials show it"
        )
        self.xmp = QCheckBox("XMP sidecar beside each copy (IPTC source type, AI fields)")
        form.addRow("Include", self.c2pa)
        form.addRow("", self.xmp)
        self.identity = IdentityRow(lib.root, creator)
        form.addRow("Signing", self.identity)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.choice: CopiesChoice | None = None

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export copies to", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _accept(self) -> None:
        folder = self.folder.text().strip()
        if not folder:
            return
        passphrase = None
        if self.c2pa.isChecked():
            ok, passphrase = signing_passphrase(
                self, self.lib, "export without Content Credentials"
            )
            if not ok:
                return
        self.choice = CopiesChoice(
            folder, self.fmt.currentData(), self.c2pa.isChecked(), self.xmp.isChecked(), passphrase
        )
        self.accept()
