"""Process evidence: attaching each kind of file, roles, order, detaching and its undo."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from inkseal.library import evidence
from inkseal.library.errors import InvalidInput, NotFound
from inkseal.library.importer import import_paths
from inkseal.library.trash import empty_trash, trash_works
from inkseal.library.works import get_work
from tests.images import gradient, save


def _png(seed: int = 0, size: tuple[int, int] = (80, 60)) -> bytes:
    out = io.BytesIO()
    gradient(size, seed=seed).save(out, "PNG")
    return out.getvalue()


def _fixed(name: str) -> zipfile.ZipInfo:
    """A member with a fixed date: the same file made twice is the same bytes, whatever the
    clock did between (ZIP stores times to two seconds)."""
    return zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))


def make_kra(path: Path, seed: int = 1) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(_fixed("mimetype"), "application/x-krita", compress_type=zipfile.ZIP_STORED)
        z.writestr(
            _fixed("maindoc.xml"),
            '<?xml version="1.0"?><DOC><IMAGE width="800" height="600" name="crane"/></DOC>',
        )
        z.writestr(_fixed("mergedimage.png"), _png(seed))
    return path


def make_ora(path: Path, seed: int = 2) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(_fixed("mimetype"), "image/openraster", compress_type=zipfile.ZIP_STORED)
        z.writestr(
            _fixed("stack.xml"),
            '<image w="640" h="480"><stack><layer src="data/a.png"/><layer src="data/b.png"/>'
            "</stack></image>",
        )
        z.writestr(_fixed("mergedimage.png"), _png(seed))
    return path


def make_procreate(path: Path, segments: int = 3) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(_fixed("Document.archive"), b"bplist00" + b"\0" * 32)
        z.writestr(_fixed("QuickLook/Thumbnail.png"), _png(5))
        for i in range(1, segments + 1):
            z.writestr(f"video/segments/segment-{i}.mp4", b"\0\0\0\x18ftypmp42" + b"\0" * 16)
    return path


def make_psd(path: Path, w: int = 8, h: int = 6) -> Path:
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, h, w, 8, 3)
    body = struct.pack(">I", 0) * 3 + struct.pack(">H", 0)
    pixels = bytes([200]) * (w * h) + bytes([100]) * (w * h) + bytes([50]) * (w * h)
    path.write_bytes(header + body + pixels)
    return path


def make_mp4(path: Path) -> Path:
    path.write_bytes(b"\0\0\0\x18ftypisom\0\0\0\0isommp42" + b"\0" * 64)
    return path


@pytest.fixture
def work_id(lib, tmp_path: Path) -> int:
    final = save(gradient((96, 72), seed=9), tmp_path / "final.png", "PNG")
    wid = import_paths(lib, [final]).outcomes[0].work_id
    assert wid is not None
    return wid


def test_attach_each_kind_with_previews_and_default_roles(lib, tmp_path: Path, work_id) -> None:
    files = [
        save(gradient(seed=3), tmp_path / "sketch.jpg", "JPEG"),
        make_kra(tmp_path / "layers.kra"),
        make_ora(tmp_path / "layers.ora"),
        make_procreate(tmp_path / "painting.procreate", segments=4),
        make_psd(tmp_path / "comp.psd"),
        make_mp4(tmp_path / "timelapse.mp4"),
        tmp_path / "notes.clip",
        tmp_path / "notes.txt",
    ]
    files[6].write_bytes(b"CSFCHUNK" + b"\0" * 100)
    files[7].write_text("reference notes")
    report = evidence.attach_files(lib, work_id, files)
    assert [o.status for o in report.outcomes] == ["added"] * 8, report.outcomes
    roles = [o.role for o in report.outcomes]
    assert roles == [
        "wip", "source", "source", "source", "source", "timelapse", "source", "reference",
    ]  # fmt: skip
    w = get_work(lib, work_id)
    by_name = {f.info.original_name: f for f in w.files}
    assert [f.info.role for f in w.files][0] == "primary"
    for name in ("layers.kra", "layers.ora", "painting.procreate", "comp.psd", "sketch.jpg"):
        thumb = by_name[name].info.thumb_path
        assert thumb and Path(thumb).exists(), name
        with Image.open(thumb) as im:
            assert im.width > 0
    for name in ("timelapse.mp4", "notes.clip", "notes.txt"):
        assert by_name[name].info.thumb_path is None
    assert by_name["layers.kra"].info.media_type == "application/x-krita"
    assert (by_name["layers.kra"].info.width, by_name["layers.kra"].info.height) == (800, 600)
    assert by_name["painting.procreate"].metadata["process"]["timelapse_segments"] == 4
    assert (by_name["comp.psd"].info.width, by_name["comp.psd"].info.height) == (8, 6)
    # Stored, hashed, read-only, and originals untouched.
    for f in w.files[1:]:
        stored = Path(f.info.path)
        assert stored.is_relative_to(lib.root / "store")
        assert not os.access(stored, os.W_OK) or os.geteuid() == 0
        assert oct(stored.stat().st_mode & 0o777) == "0o444"
    assert make_kra(tmp_path / "again.kra").read_bytes() == files[1].read_bytes()
    # Images are scanned like primary files (signals stored) and one event per file.
    kinds = [e.kind for e in w.history]
    assert kinds.count("file.attached") == 8


def test_attach_detects_signals_in_attached_images(lib, tmp_path: Path, work_id) -> None:
    from tests.images import png_with_text

    ai = png_with_text(
        tmp_path / "ref.png", seed=4, parameters="a crane\nSteps: 20, Sampler: Euler, Seed: 1"
    )
    o = evidence.attach_files(lib, work_id, [ai], "reference").outcomes[0]
    assert o.status == "added"
    w = get_work(lib, work_id)
    ref = next(f for f in w.files if f.info.role == "reference")
    assert ref.signals and ref.info.suggested_class == "ai-generated"
    # A reference image does not make the work's own files look AI-made.
    assert w.suggested_class != "ai-generated"


def test_attach_refuses_unsafe_archives_with_a_reason(lib, tmp_path: Path, work_id) -> None:
    bomb = tmp_path / "bomb.kra"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(_fixed("mimetype"), "application/x-krita", compress_type=zipfile.ZIP_STORED)
        z.writestr(
            _fixed("mergedimage.png"), b"\0" * (80 << 20), compress_type=zipfile.ZIP_DEFLATED
        )
    evil = tmp_path / "evil.ora"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr(_fixed("mimetype"), "image/openraster", compress_type=zipfile.ZIP_STORED)
        z.writestr(_fixed("../../etc/evil.png"), _png())
    before = sorted(p for p in (lib.root / "store").rglob("*") if p.is_file())
    report = evidence.attach_files(lib, work_id, [bomb, evil])
    assert [o.status for o in report.outcomes] == ["failed", "failed"]
    assert "zip bomb" in (report.outcomes[0].reason or "")
    assert "unsafe path" in (report.outcomes[1].reason or "")
    assert sorted(p for p in (lib.root / "store").rglob("*") if p.is_file()) == before
    assert len(get_work(lib, work_id).files) == 1


def test_same_file_twice_is_a_duplicate_but_another_work_may_hold_it(
    lib, tmp_path: Path, work_id
) -> None:
    sketch = save(gradient(seed=3), tmp_path / "sketch.png", "PNG")
    first = evidence.attach_files(lib, work_id, [sketch], "sketch").outcomes[0]
    again = evidence.attach_files(lib, work_id, [sketch], "sketch").outcomes[0]
    assert (first.status, again.status) == ("added", "duplicate")
    assert again.file_id == first.file_id
    other = import_paths(lib, [save(gradient(seed=8), tmp_path / "o.png", "PNG")]).outcomes[0]
    assert other.work_id is not None
    shared = evidence.attach_files(lib, other.work_id, [sketch], "sketch").outcomes[0]
    assert shared.status == "added"


def test_roles_order_detach_and_restore(lib, tmp_path: Path, work_id) -> None:
    paths = [save(gradient(seed=s), tmp_path / f"stage{s}.png", "PNG") for s in (1, 2, 3)]
    ids = [o.file_id for o in evidence.attach_files(lib, work_id, paths, "wip").outcomes]
    primary = get_work(lib, work_id).files[0].info.id
    assert evidence.file_order(lib, work_id) == [primary, *ids]

    assert evidence.set_role(lib, ids[0], "sketch") == "wip"
    assert get_work(lib, work_id).files[1].info.role == "sketch"
    with pytest.raises(InvalidInput, match="only primary"):
        evidence.set_role(lib, primary, "wip")
    with pytest.raises(InvalidInput, match="unknown role"):
        evidence.set_role(lib, ids[0], "bogus")

    before = evidence.move_file(lib, ids[2], -2)
    assert before == [primary, *ids]
    assert evidence.file_order(lib, work_id) == [primary, ids[2], ids[0], ids[1]]
    evidence.reorder_files(lib, work_id, before)
    assert evidence.file_order(lib, work_id) == before
    with pytest.raises(InvalidInput):
        evidence.reorder_files(lib, work_id, [primary, ids[0]])

    with pytest.raises(InvalidInput, match="only primary"):
        evidence.detach_file(lib, primary)
    stored = Path(get_work(lib, work_id).files[2].info.path)
    snap = evidence.detach_file(lib, ids[1])
    assert [f.info.id for f in get_work(lib, work_id).files] == [primary, ids[0], ids[2]]
    assert stored.exists()  # kept for undo until the Trash is emptied
    new_id = evidence.restore_detached(lib, snap)
    w = get_work(lib, work_id)
    restored = next(f for f in w.files if f.info.id == new_id)
    assert restored.info.sha256 == snap.columns["sha256"]
    assert restored.info.role == "wip" and restored.info.position == snap.columns["position"]
    kinds = [e.kind for e in w.history]
    assert kinds[-4:] == ["files.reordered", "files.reordered", "file.detached", "file.attached"]

    # Detached and never restored: the stored copy goes when the Trash is emptied.
    evidence.detach_file(lib, new_id)
    empty_trash(lib)
    assert not stored.exists()
    with pytest.raises(InvalidInput, match="Trash was emptied"):
        evidence.restore_detached(lib, snap)


def test_attach_to_missing_or_trashed_work(lib, tmp_path: Path, work_id) -> None:
    p = save(gradient(seed=3), tmp_path / "s.png", "PNG")
    with pytest.raises(NotFound):
        evidence.attach_files(lib, 999, [p])
    trash_works(lib, [work_id])
    with pytest.raises(InvalidInput, match="Trash"):
        evidence.attach_files(lib, work_id, [p])


def test_timeline_orders_by_file_date(lib, tmp_path: Path, work_id) -> None:
    paths = [save(gradient(seed=s), tmp_path / f"{n}.png", "PNG") for s, n in ((1, "b"), (2, "a"))]
    os.utime(paths[0], (1_600_000_000, 1_600_000_000))  # made first
    os.utime(paths[1], (1_700_000_000, 1_700_000_000))
    evidence.attach_files(lib, work_id, [paths[1], paths[0]], "wip")
    names = [e.name for e in evidence.timeline(lib, work_id)]
    assert names[:2] == ["b.png", "a.png"]


def test_suggest_role() -> None:
    assert evidence.suggest_role("x.KRA") == "source"
    assert evidence.suggest_role("x.mp4") == "timelapse"
    assert evidence.suggest_role("x.jpeg") == "wip"
    assert evidence.suggest_role("x.pdf") == "reference"


def test_rescan_leaves_process_files_alone(lib, tmp_path: Path, work_id) -> None:
    from inkseal.library.rescan import rescan

    evidence.attach_files(
        lib, work_id, [make_kra(tmp_path / "a.kra"), make_mp4(tmp_path / "t.mp4")]
    )
    outcomes = rescan(lib, [work_id])
    assert [o.status for o in outcomes] == ["unchanged"] * 3
