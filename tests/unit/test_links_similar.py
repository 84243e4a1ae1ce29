"""Links between works (both ways) and similar-image detection on import."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from inkseal.library.errors import InvalidInput, NotFound
from inkseal.library.importer import import_paths
from inkseal.library.links import link_works, links_of, unlink_works
from inkseal.library.works import get_work
from tests.images import gradient, save


def _ids(lib, tmp_path: Path, n: int) -> list[int]:
    paths = [save(gradient(seed=s * 17), tmp_path / f"w{s}.png", "PNG") for s in range(n)]
    return [o.work_id for o in import_paths(lib, paths).outcomes]  # type: ignore[misc]


def test_links_both_ways(lib, tmp_path: Path) -> None:
    a, b, c = _ids(lib, tmp_path, 3)
    assert link_works(lib, a, b, "study-for")
    assert not link_works(lib, a, b, "study-for")  # already there
    assert link_works(lib, c, b, "same-series")
    assert not link_works(lib, b, c, "same-series")  # symmetric
    out = links_of(lib, a)
    assert [(x.kind, x.direction, x.other_id) for x in out] == [("study-for", "outgoing", b)]
    inc = links_of(lib, b)
    assert [(x.kind, x.direction, x.other_id) for x in inc] == [
        ("study-for", "incoming", a),
        ("same-series", "incoming", c),
    ]
    wb = get_work(lib, b)
    assert [x.other_id for x in wb.links] == [a, c]
    assert [e.kind for e in wb.history][-2:] == ["work.linked", "work.linked"]
    assert wb.history[-2].payload["direction"] == "incoming"

    assert unlink_works(lib, b, c, "same-series")  # either direction removes it
    assert not unlink_works(lib, a, b, "variant-of")
    assert [x.other_id for x in links_of(lib, c)] == []
    assert get_work(lib, c).history[-1].kind == "work.unlinked"
    with pytest.raises(InvalidInput):
        link_works(lib, a, a, "variant-of")
    with pytest.raises(InvalidInput):
        link_works(lib, a, b, "friends-with")
    with pytest.raises(NotFound):
        link_works(lib, a, 999, "variant-of")


def _artwork(seed: int) -> Image.Image:
    """A picture with real structure: shapes on a gradient."""
    img = gradient((640, 480), seed=seed)
    draw = ImageDraw.Draw(img)
    rnd = __import__("random").Random(seed)
    for _ in range(12):
        x, y = rnd.randrange(0, 600), rnd.randrange(0, 440)
        r = rnd.randrange(20, 120)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    return img


def test_resized_and_reencoded_copies_are_similar_not_duplicates(lib, tmp_path: Path) -> None:
    original = save(_artwork(1), tmp_path / "original.png", "PNG")
    unrelated = save(_artwork(2), tmp_path / "unrelated.png", "PNG")
    first = import_paths(lib, [original, unrelated]).outcomes
    wid = first[0].work_id
    assert first[1].similar == ()
    small = _artwork(1).resize((320, 240), Image.Resampling.BILINEAR)
    copies = [
        save(small, tmp_path / "small.jpg", "JPEG", quality=70),
        save(_artwork(1), tmp_path / "recoded.webp", "WEBP", quality=60),
    ]
    outcomes = import_paths(lib, copies).outcomes
    assert [o.status for o in outcomes] == ["added", "added"]
    for o in outcomes:
        assert o.similar and o.similar[0][0] == wid, o
        assert o.to_json()["similar_to"][0]["work_id"] == wid
    # The inspector's list: the original sees both copies, not the unrelated work.
    near = [w for w, _, _ in get_work(lib, wid, similar=True).similar]
    assert set(near) == {o.work_id for o in outcomes}
    assert first[1].work_id not in near
