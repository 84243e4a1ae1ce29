"""Search reaches declaration notes and AI-use entries as well as titles and metadata."""

from __future__ import annotations

from pathlib import Path

from inkseal.library import works
from inkseal.library.importer import import_paths
from tests.images import gradient, save


def test_search_finds_declaration_notes_and_ai_uses(lib, tmp_path: Path) -> None:
    paths = [save(gradient(seed=s * 20), tmp_path / f"w{s}.png", "PNG") for s in range(3)]
    a, b, c = (o.work_id for o in import_paths(lib, paths).outcomes)
    works.declare(lib, a, "human-made", note="Figure painted with a wolf-hair brush")
    works.declare(
        lib, b, "ai-assisted", [works.AIUseInput("Topaz Gigapixel", "upscaling", "2x for print")]
    )
    found = lambda text: [w.id for w in works.list_works(lib, search=text)]  # noqa: E731
    assert found("wolf-hair") == [a]
    assert found("gigapixel") == [b]
    assert found("for print") == [b]
    assert found("100%") == []  # LIKE wildcards are taken literally
    assert c not in found("brush") and found("brush") == [a]
