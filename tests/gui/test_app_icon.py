"""The app's icon comes from the SVG in inkseal/resources and draws at every size."""

from __future__ import annotations


def test_the_app_icon_draws_at_desktop_sizes(qapp) -> None:
    from inkseal.ui.app import app_icon

    icon = app_icon()
    assert not icon.isNull()
    for size in (16, 32, 64, 256):
        image = icon.pixmap(size, size).toImage()
        assert image.width() == size
        # The seal is red: the middle of the left border is the seal's body.
        colour = image.pixelColor(size // 8, size // 2)
        assert colour.red() > 120 and colour.green() < 80, (size, colour.name())
