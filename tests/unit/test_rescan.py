"""Running the detectors again over a library whose files were imported without them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, update

from inkseal.library.importer import import_paths
from inkseal.library.rescan import rescan
from inkseal.library.works import declare, get_work
from inkseal.models.entities import Asset, Signal, Work
from tests.images import gradient, png_with_text, save

A1111 = (
    "a fox in snow\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, Seed: 42, Model: foxXL"
)


def _forget_detection(lib) -> None:
    """Make the library look like one imported before detection existed."""
    with lib.write.begin() as s:
        s.execute(delete(Signal))
        s.execute(update(Asset).values(suggested_class=None))
        s.execute(update(Work).values(suggested_class=None, needs_review=False, review_reason=None))


def test_rescan_restores_signals_suggestions_and_review(lib, tmp_path: Path) -> None:
    gen = png_with_text(tmp_path / "fox.png", parameters=A1111)
    plain = save(gradient(seed=3), tmp_path / "plain.png", "PNG")
    ids = [o.work_id for o in import_paths(lib, [gen, plain]).outcomes]
    _forget_detection(lib)
    declare(lib, ids[0], "human-made")
    assert not get_work(lib, ids[0]).needs_review  # nothing known yet

    outcomes = rescan(lib)
    assert [(o.work_id, o.status) for o in outcomes] == [(ids[0], "updated"), (ids[1], "updated")]
    assert get_work(lib, ids[1]).suggested_class == "unknown"
    fox = get_work(lib, ids[0])
    assert fox.suggested_class == "ai-generated"
    assert fox.needs_review and "AUTOMATIC1111" in fox.review_reason
    assert [s.prompt for f in fox.files for s in f.signals] == ["a fox in snow"]
    assert fox.history[-1].kind == "work.rescanned"
    assert fox.provenance_class == "human-made"  # the declaration is never touched

    again = rescan(lib)
    assert [o.status for o in again] == ["unchanged", "unchanged"]
    assert [o.work_id for o in rescan(lib, [ids[1]])] == [ids[1]]


def test_rescan_refuses_files_that_changed(lib, tmp_path: Path) -> None:
    path = png_with_text(tmp_path / "ref.png", parameters=A1111)
    (o,) = import_paths(lib, [path], reference=True).outcomes
    save(gradient(seed=9), path, "PNG")  # the referenced file is replaced behind our back
    (out,) = rescan(lib)
    assert out.status == "failed" and "changed since it was imported" in out.reason
    path.unlink()
    (out,) = rescan(lib)
    assert out.status == "failed" and "no such file" in out.reason.lower()
