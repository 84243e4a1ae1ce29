"""Preferences, kept with QSettings: creator name, default import mode, theme."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

THEMES = [("Follow the system", "system"), ("Light", "light"), ("Dark", "dark")]
IMPORT_MODES = [
    ("Copy into the library (recommended)", "copy"),
    ("Leave files where they are (reference)", "reference"),
]
TRAINING = [
    ("Say nothing", "unset"),
    ("Allowed", "allowed"),
    ("Not allowed", "not-allowed"),
]
RECENT_LIMIT = 8


@dataclass(frozen=True)
class Preferences:
    creator: str = ""
    import_mode: str = "copy"
    theme: str = "system"
    # AI training and data mining, for exported copies of works that state nothing.
    training: str = "unset"

    @property
    def default_do_not_train(self) -> bool | None:
        return {"allowed": False, "not-allowed": True}.get(self.training)

    @classmethod
    def load(cls) -> Preferences:
        st = QSettings()
        mode = str(st.value("prefs/import_mode", "copy"))
        theme = str(st.value("prefs/theme", "system"))
        training = str(st.value("prefs/training", "unset"))
        return cls(
            creator=str(st.value("prefs/creator", "")),
            import_mode=mode if mode in ("copy", "reference") else "copy",
            theme=theme if theme in ("system", "light", "dark") else "system",
            training=training if training in ("allowed", "not-allowed") else "unset",
        )

    def save(self) -> None:
        st = QSettings()
        st.setValue("prefs/creator", self.creator)
        st.setValue("prefs/import_mode", self.import_mode)
        st.setValue("prefs/theme", self.theme)
        st.setValue("prefs/training", self.training)


def recent_libraries() -> list[str]:
    value = QSettings().value("recent/libraries", [])
    items: list[object] = [value] if isinstance(value, str) else list(value or [])  # type: ignore[call-overload]
    return [str(v) for v in items if str(v)][:RECENT_LIMIT]


def remember_library(path: str) -> None:
    items = [path, *[p for p in recent_libraries() if p != path]]
    QSettings().setValue("recent/libraries", items[:RECENT_LIMIT])


_system_palette: QPalette | None = None


def apply_theme(theme: str) -> None:
    """Light or dark Fusion palettes, or whatever the platform gives ("system")."""
    global _system_palette
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    if _system_palette is None:
        _system_palette = QPalette(app.palette())
    if theme == "system":
        app.setPalette(_system_palette)
        return
    app.setStyle("Fusion")
    if theme == "light":
        app.setPalette(app.style().standardPalette())
        return
    p = QPalette()
    role = QPalette.ColorRole
    for r, colour in (
        (role.Window, "#2b2b2b"),
        (role.WindowText, "#e6e6e6"),
        (role.Base, "#1f1f1f"),
        (role.AlternateBase, "#333333"),
        (role.Text, "#e6e6e6"),
        (role.Button, "#353535"),
        (role.ButtonText, "#e6e6e6"),
        (role.ToolTipBase, "#3a3a3a"),
        (role.ToolTipText, "#f0f0f0"),
        (role.Highlight, "#b83a2e"),  # the seal's red
        (role.HighlightedText, "#ffffff"),
        (role.PlaceholderText, "#8a8a8a"),
        (role.Link, "#e58a80"),
    ):
        p.setColor(r, QColor(colour))
    p.setColor(QPalette.ColorGroup.Disabled, role.Text, QColor("#777777"))
    p.setColor(QPalette.ColorGroup.Disabled, role.ButtonText, QColor("#777777"))
    app.setPalette(p)


class PreferencesDialog(QDialog):
    def __init__(self, prefs: Preferences, library_path: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        form = QFormLayout(self)
        self.creator = QLineEdit(prefs.creator)
        self.creator.setPlaceholderText("Your name, set as creator of newly imported works")
        form.addRow("Creator", self.creator)
        self.import_mode = QComboBox()
        for label, value in IMPORT_MODES:
            self.import_mode.addItem(label, value)
        self.import_mode.setCurrentIndex(self.import_mode.findData(prefs.import_mode))
        form.addRow("Importing", self.import_mode)
        self.theme = QComboBox()
        for label, value in THEMES:
            self.theme.addItem(label, value)
        self.theme.setCurrentIndex(self.theme.findData(prefs.theme))
        form.addRow("Theme", self.theme)
        self.training = QComboBox()
        for label, value in TRAINING:
            self.training.addItem(label, value)
        self.training.setCurrentIndex(max(0, self.training.findData(prefs.training)))
        self.training.setToolTip(
            "What signed copies say about AI training and data mining, for works whose own "
            "preference is not set"
        )
        form.addRow("AI training", self.training)
        where = QLabel(library_path)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where.setToolTip("File › Open Library… opens or creates another library")
        form.addRow("Library", where)
        from pathlib import Path

        from inkseal.ui.report_dialog import IdentityRow

        self.identity = IdentityRow(Path(library_path), prefs.creator, self)
        self.identity.setToolTip("The certificate and key that sign your reports")
        form.addRow("Signing", self.identity)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def value(self) -> Preferences:
        return Preferences(
            creator=" ".join(self.creator.text().split()),
            import_mode=self.import_mode.currentData(),
            theme=self.theme.currentData(),
            training=self.training.currentData(),
        )
