"""Paints one work as a card: thumbnail, title, class badge, needs-review mark."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from inkseal.ui.grid.model import ClassRole, ReviewRole, ThumbRole

CLASS_STYLE: dict[str, tuple[str, str]] = {
    # class: (badge text, colour)
    "human-made": ("Human-made", "#2e7d32"),
    "ai-assisted": ("AI-assisted", "#1565c0"),
    "ai-generated": ("AI-generated", "#6a1b9a"),
    "undeclared": ("Undeclared", "#6d6d6d"),
}


class CardDelegate(QStyledItemDelegate):
    def __init__(self, thumb_side: int = 160) -> None:
        super().__init__()
        self.thumb_side = thumb_side

    def card_size(self) -> QSize:
        return QSize(self.thumb_side + 16, self.thumb_side + 44)

    def sizeHint(  # noqa: N802
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return self.card_size()

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect.adjusted(4, 4, -4, -4)
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setPen(QPen(palette.highlight().color(), 2) if selected else Qt.PenStyle.NoPen)
        painter.setBrush(palette.highlight().color().lighter(170) if selected else palette.base())
        painter.drawRoundedRect(rect, 6, 6)

        side = self.thumb_side
        image_rect = QRect(rect.left() + 4, rect.top() + 4, rect.width() - 8, side)
        pix = index.data(ThumbRole)
        if pix is not None and not pix.isNull():
            scaled = pix.scaled(
                image_rect.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            x = image_rect.left() + (image_rect.width() - scaled.width()) // 2
            y = image_rect.top() + (image_rect.height() - scaled.height()) // 2
            painter.drawPixmap(x, y, scaled)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.alternateBase())
            painter.drawRect(image_rect)

        title = index.data(Qt.ItemDataRole.DisplayRole) or ""
        text_rect = QRect(rect.left() + 6, image_rect.bottom() + 4, rect.width() - 12, 18)
        painter.setPen(palette.text().color())
        metrics = painter.fontMetrics()
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(title, Qt.TextElideMode.ElideRight, text_rect.width()),
        )

        label, colour = CLASS_STYLE.get(index.data(ClassRole) or "", ("?", "#6d6d6d"))
        badge_font = QFont(painter.font())
        badge_font.setPointSizeF(max(6.0, badge_font.pointSizeF() * 0.8))
        badge_font.setBold(True)
        painter.setFont(badge_font)
        bm = painter.fontMetrics()
        badge = QRect(0, 0, bm.horizontalAdvance(label) + 10, bm.height() + 4)
        badge.moveTopLeft(image_rect.topLeft() + QRect(0, 0, 4, 4).bottomRight())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)

        if index.data(ReviewRole):
            mark = QRect(0, 0, badge.height(), badge.height())
            mark.moveTopRight(image_rect.topRight() + QRect(0, 0, 4, 4).bottomLeft())
            painter.setBrush(QColor("#d32f2f"))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(mark)
            painter.setPen(QColor("white"))
            painter.drawText(mark, Qt.AlignmentFlag.AlignCenter, "!")
        painter.restore()
