"""The import pipeline on real files made by the tests. No Qt."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import threading
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from inkseal.library import importer, probe
from inkseal.library.importer import CancelToken, collect_files, import_paths
from inkseal.library.works import get_work, list_works
from inkseal.models.entities import Asset, Event, Work
from tests.images import gradient, jpeg_bytes, png_with_text, save


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _counts(lib) -> tuple[int, int, int]:
    with lib.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Work)),
            s.scalar(select(func.count()).select_from(Asset)),
            s.scalar(select(func.count()).select_from(Event)),
        )


def _store_files(lib) -> list[Path]:
    return [p for p in lib.store_dir.rglob("*") if p.is_file()]


def _make_all_formats(folder: Path) -> dict[str, tuple[Path, str, int]]:
    """One file per supported format: name -> (path, media type, frames)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, tuple[Path, str, int]] = {}
    files["jpeg"] = (save(gradient(seed=1), folder / "a.jpg", "JPEG"), "image/jpeg", 1)
    files["png"] = (save(gradient(seed=2), folder / "b.png", "PNG"), "image/png", 1)
    frames = [gradient(seed=s) for s in range(3, 6)]
    apng = folder / "c.png"
    frames[0].save(apng, "PNG", save_all=True, append_images=frames[1:], duration=100)
    files["apng"] = (apng, "image/apng", 3)
    img16 = Image.new("I;16", (40, 30))
    img16.putdata([i * 50 for i in range(1200)])
    files["png16"] = (save(img16, folder / "d16.png", "PNG"), "image/png", 1)
    files["webp"] = (save(gradient(seed=6), folder / "e.webp", "WEBP"), "image/webp", 1)
    awebp = folder / "f.webp"
    frames[0].save(awebp, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    files["webp-animated"] = (awebp, "image/webp", 3)
    gif = folder / "g.gif"
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=100)
    files["gif"] = (gif, "image/gif", 3)
    tif = folder / "h.tif"
    frames[0].save(tif, "TIFF", save_all=True, append_images=frames[1:])
    files["tiff-multipage"] = (tif, "image/tiff", 3)
    files["bmp"] = (save(gradient(seed=7), folder / "i.bmp", "BMP"), "image/bmp", 1)
    files["heic"] = (save(gradient(seed=8), folder / "j.heic", "HEIF"), "image/heic", 1)
    files["avif"] = (save(gradient(seed=9), folder / "k.avif", "AVIF"), "image/avif", 1)
    return files


def test_every_supported_format_imports(lib, tmp_path: Path) -> None:
    files = _make_all_formats(tmp_path / "in")
    report = import_paths(lib, [tmp_path / "in"])
    by_path = {o.path: o for o in report.outcomes}
    assert report.failed == 0, [o.reason for o in report.outcomes if o.reason]
    for name, (path, media_type, frames) in files.items():
        o = by_path[str(path)]
        assert o.status == "added", name
        w = get_work(lib, o.work_id)
        f = w.files[0].info
        assert f.media_type == media_type, name
        assert f.frames == frames, name
        assert (f.width, f.height) == Image.open(path).size, name
        assert f.sha256 == _sha(path)
        stored = Path(f.path)
        assert stored.is_relative_to(lib.store_dir) and stored.read_bytes() == path.read_bytes()
        assert f.thumb_path and Path(f.thumb_path).is_file(), name
        with Image.open(f.thumb_path) as th:
            assert max(th.size) <= 512
        assert w.title == path.stem
        assert w.provenance_class == "undeclared"
        assert [e.kind for e in w.history] == ["work.imported"]


def test_sixteen_bit_png_thumbnail_keeps_its_tones(lib, tmp_path: Path) -> None:
    img16 = Image.new("I;16", (64, 8))
    img16.putdata([x * 1000 for x in range(64)] * 8)
    path = save(img16, tmp_path / "deep.png", "PNG")
    o = import_paths(lib, [path]).outcomes[0]
    with Image.open(get_work(lib, o.work_id).files[0].info.thumb_path) as th:
        lo, hi = th.convert("L").getextrema()
    assert hi - lo > 200  # scaled into 8 bits, not clipped to white


def test_format_is_decided_by_content_not_name(lib, tmp_path: Path) -> None:
    path = save(gradient(), tmp_path / "really-a-png.jpg", "PNG")
    o = import_paths(lib, [path]).outcomes[0]
    f = get_work(lib, o.work_id).files[0].info
    assert f.media_type == "image/png"
    assert f.path.endswith(".png")
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    o = import_paths(lib, [text]).outcomes[0]
    assert o.status == "failed" and "not a supported image" in o.reason


def test_large_jpeg_thumbnail_and_exif_orientation(lib, tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "rotated.jpg"
    path.write_bytes(jpeg_bytes(size=(2000, 1000), exif=exif))
    o = import_paths(lib, [path]).outcomes[0]
    f = get_work(lib, o.work_id).files[0].info
    assert (f.width, f.height) == (2000, 1000)  # as stored
    with Image.open(f.thumb_path) as th:
        assert th.size == (256, 512)  # as displayed, long side 512


def test_transparent_images_keep_transparency_in_thumbnails(lib, tmp_path: Path) -> None:
    img = gradient(mode="RGBA")
    img.putalpha(Image.new("L", img.size, 0))
    path = save(img, tmp_path / "clear.png", "PNG")
    o = import_paths(lib, [path]).outcomes[0]
    thumb = get_work(lib, o.work_id).files[0].info.thumb_path
    with Image.open(thumb) as th:
        assert th.mode == "RGBA" and th.getextrema()[3] == (0, 0)


def test_metadata_is_extracted_into_the_file_record(lib, tmp_path: Path) -> None:
    path = png_with_text(tmp_path / "gen.png", parameters="a cat\nSteps: 20, Sampler: Euler")
    o = import_paths(lib, [path]).outcomes[0]
    md = get_work(lib, o.work_id).files[0].metadata
    assert md["format"] == "PNG"
    assert any(t["keyword"] == "parameters" and "Steps: 20" in t["text"] for t in md["png_text"])
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0131] = "Inkseal Test Painter 1.0"
    jpg = tmp_path / "cam.jpg"
    jpg.write_bytes(jpeg_bytes(seed=5, exif=exif))
    o = import_paths(lib, [jpg]).outcomes[0]
    md = get_work(lib, o.work_id).files[0].metadata
    assert md["exif"]["Image Make"] == "Canon"
    assert md["exif"]["Image Software"] == "Inkseal Test Painter 1.0"


def test_duplicates_are_reported_not_added(lib, tmp_path: Path) -> None:
    a = save(gradient(seed=1), tmp_path / "a.png", "PNG")
    b = tmp_path / "sub" / "copy-of-a.png"
    b.parent.mkdir()
    b.write_bytes(a.read_bytes())
    first = import_paths(lib, [a])
    second = import_paths(lib, [a, b])
    wid = first.outcomes[0].work_id
    assert [(o.status, o.work_id) for o in second.outcomes] == [("duplicate", wid)] * 2
    assert _counts(lib)[:2] == (1, 1)
    assert len(_store_files(lib)) == 1


def test_duplicates_within_one_import(lib, tmp_path: Path) -> None:
    data = jpeg_bytes(seed=3)
    for i in range(6):
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / f"same-{i}.jpg").write_bytes(data)
    report = import_paths(lib, [tmp_path / "in"], workers=2)
    assert [o.status for o in report.outcomes] == ["added"] + ["duplicate"] * 5
    assert len({o.work_id for o in report.outcomes}) == 1
    assert len(_store_files(lib)) == 1
    assert not list(lib.tmp_dir.iterdir())


def test_reference_mode_records_files_in_place(lib, tmp_path: Path) -> None:
    path = save(gradient(seed=4), tmp_path / "in place.png", "PNG")
    o = import_paths(lib, [path], reference=True).outcomes[0]
    f = get_work(lib, o.work_id).files[0].info
    assert f.referenced and f.path == str(path.resolve())
    assert _store_files(lib) == []
    assert f.thumb_path and Path(f.thumb_path).is_file()


def test_originals_are_never_modified(lib, tmp_path: Path) -> None:
    files = _make_all_formats(tmp_path / "in")
    before = {p: (_sha(p), p.stat().st_mtime_ns) for p, _, _ in files.values()}
    import_paths(lib, [tmp_path / "in"])
    import_paths(lib, [tmp_path / "in"], reference=True)
    assert before == {p: (_sha(p), p.stat().st_mtime_ns) for p in before}


def test_stored_copies_are_read_only(lib, tmp_path: Path) -> None:
    path = save(gradient(), tmp_path / "a.png", "PNG")
    import_paths(lib, [path])
    (stored,) = _store_files(lib)
    assert not os.access(stored, os.W_OK) or os.geteuid() == 0
    assert stored.stat().st_mode & 0o222 == 0


def test_folders_skip_hidden_files_and_os_clutter(tmp_path: Path) -> None:
    root = tmp_path / "in"
    for rel in (
        "a.png",
        "sub/b.png",
        ".hidden.png",
        ".git/c.png",
        "__MACOSX/._a.png",
        "Thumbs.db",
        ".DS_Store",
        "desktop.ini",
        "sub/._b.png",
    ):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    found, problems = collect_files([root, tmp_path / "missing.png"])
    assert [p.relative_to(root).as_posix() for p in found] == ["a.png", "sub/b.png"]
    assert [(Path(o.path).name, o.reason) for o in problems] == [
        ("missing.png", "no such file or folder")
    ]


def test_symlink_loops_in_folders_do_not_hang(tmp_path: Path) -> None:
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "a.png").write_bytes(b"x")
    found, _ = collect_files([root])
    assert [p.name for p in found] == ["a.png"]


def _broken_files(folder: Path) -> dict[str, bytes]:
    good_png = io.BytesIO()
    gradient((300, 200), seed=11).save(good_png, "PNG")
    png = good_png.getvalue()
    jpg = jpeg_bytes(seed=12, size=(300, 200))
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")  # 400 Mpx declared, tiny file
    rnd = random.Random(7)
    return {
        "empty.png": b"",
        "truncated.png": png[: len(png) // 2],
        "truncated.jpg": jpg[: len(jpg) // 2],
        "random-with-png-magic.png": b"\x89PNG\r\n\x1a\n" + rnd.randbytes(500),
        "random-with-jpeg-magic.jpg": b"\xff\xd8\xff\xe0" + rnd.randbytes(500),
        "random.bin": rnd.randbytes(1000),
        "bomb.png": bomb.getvalue(),
        "text.txt": b"hello",
    }


def test_broken_files_get_a_reason_and_leave_nothing_behind(lib, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    for name, data in _broken_files(folder).items():
        (folder / name).write_bytes(data)
    good = save(gradient(seed=99), folder / "zz-good.png", "PNG")
    report = import_paths(lib, [folder])
    by_name = {Path(o.path).name: o for o in report.outcomes}
    assert by_name[good.name].status == "added"
    for name in _broken_files(folder):
        o = by_name[name]
        assert o.status == "failed", name
        assert o.reason and "\n" not in o.reason and len(o.reason) < 400, name
    assert "empty" in by_name["empty.png"].reason
    assert "truncated" in by_name["truncated.png"].reason
    assert "truncated" in by_name["truncated.jpg"].reason
    assert "decompression bomb" in by_name["bomb.png"].reason
    assert _counts(lib)[:2] == (1, 1)
    assert len(_store_files(lib)) == 1
    assert not list(lib.tmp_dir.iterdir())


def test_unreadable_file_gets_a_reason(lib, tmp_path: Path, monkeypatch) -> None:
    path = save(gradient(), tmp_path / "locked.png", "PNG")
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the OS say no the way it would
        real_open = os.open

        def refusing_open(file, *args, **kwargs):
            if Path(file) == path:
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(probe.os, "open", refusing_open)
    o = import_paths(lib, [path]).outcomes[0]
    assert o.status == "failed" and "permission denied" in o.reason


def test_a_failure_while_recording_leaves_no_trace(lib, tmp_path: Path, monkeypatch) -> None:
    a = save(gradient(seed=1), tmp_path / "a.png", "PNG")
    b = save(gradient(seed=2), tmp_path / "b.png", "PNG")

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importer, "append_event", boom)
    report = import_paths(lib, [a, b])
    assert [o.status for o in report.outcomes] == ["failed", "failed"]
    assert "disk on fire" in report.outcomes[0].reason
    assert _counts(lib) == (0, 0, 0)
    assert _store_files(lib) == []
    monkeypatch.undo()
    assert [o.status for o in import_paths(lib, [a, b]).outcomes] == ["added", "added"]


def test_progress_is_reported_for_every_file(lib, tmp_path: Path) -> None:
    for i in range(5):
        save(gradient(seed=i), tmp_path / "in" / f"{i}.png", "PNG")
    seen = []
    report = import_paths(lib, [tmp_path / "in"], progress=seen.append)
    assert [(p.done, p.total) for p in seen] == [(i, 5) for i in range(1, 6)]
    assert report.total == 5 and not report.cancelled


def test_cancel_stops_the_import_and_keeps_what_was_done(lib, tmp_path: Path) -> None:
    for i in range(30):
        save(gradient(seed=i), tmp_path / "in" / f"{i:02}.png", "PNG")
    cancel = CancelToken()

    def on_progress(p) -> None:
        if p.done == 5:
            cancel.cancel()

    report = import_paths(lib, [tmp_path / "in"], progress=on_progress, cancel=cancel)
    assert report.cancelled
    assert len(report.outcomes) == 5 and report.total == 30
    assert all(o.status == "added" for o in report.outcomes)
    works, assets, _ = _counts(lib)
    assert works == assets == 5
    assert len(_store_files(lib)) == 5
    assert not list(lib.tmp_dir.iterdir())
    # Importing again finishes the job.
    rest = import_paths(lib, [tmp_path / "in"])
    assert sum(o.status == "added" for o in rest.outcomes) == 25


def test_cancel_from_another_thread(lib, tmp_path: Path) -> None:
    for i in range(40):
        save(gradient((200, 200), seed=i), tmp_path / "in" / f"{i:02}.png", "PNG")
    cancel = CancelToken()
    started = threading.Event()

    def on_progress(p) -> None:
        started.set()

    t = threading.Thread(target=lambda: (started.wait(10), cancel.cancel()))
    t.start()
    report = import_paths(lib, [tmp_path / "in"], progress=on_progress, cancel=cancel)
    t.join()
    assert report.cancelled and 1 <= len(report.outcomes) < 40
    works, assets, events = _counts(lib)
    assert works == assets == events == sum(o.status == "added" for o in report.outcomes)


def test_import_event_records_the_file(lib, tmp_path: Path) -> None:
    path = save(gradient(), tmp_path / "a.png", "PNG")
    o = import_paths(lib, [path]).outcomes[0]
    (ev,) = get_work(lib, o.work_id).history
    assert ev.kind == "work.imported"
    assert ev.payload["file"]["sha256"] == o.sha256
    assert ev.payload["file"]["location"] == "store"


def test_list_after_import(lib, tmp_path: Path) -> None:
    for i in range(3):
        save(gradient(seed=i), tmp_path / "in" / f"w{i}.png", "PNG")
    import_paths(lib, [tmp_path / "in"])
    works = list_works(lib)
    assert sorted(w.title for w in works) == ["w0", "w1", "w2"]
    assert all(len(w.files) == 1 and w.primary for w in works)
    json.dumps([w.to_json() for w in works])


def test_edit_fields_validates_and_returns_old_values(lib, tmp_path: Path) -> None:
    from inkseal.library.errors import InvalidInput
    from inkseal.library.works import edit_fields

    (o,) = import_paths(lib, [save(gradient(), tmp_path / "a.png", "PNG")]).outcomes
    assert edit_fields(lib, o.work_id, {"creation_date": "2024", "medium": " ink  on paper "}) == {
        "creation_date": None,
        "medium": None,
    }
    w = get_work(lib, o.work_id)
    assert (w.creation_date, w.medium) == ("2024", "ink on paper")
    assert edit_fields(lib, o.work_id, {"medium": "ink on paper"}) == {}  # no change, no event
    for bad in ("2024-13", "May 2024", "24"):
        with pytest.raises(InvalidInput, match="creation date"):
            edit_fields(lib, o.work_id, {"creation_date": bad})
    with pytest.raises(InvalidInput):
        edit_fields(lib, o.work_id, {"title": "x"})
    assert edit_fields(lib, o.work_id, {"medium": ""}) == {"medium": "ink on paper"}
    kinds = [e.kind for e in get_work(lib, o.work_id).history]
    assert kinds == ["work.imported", "work.edited", "work.edited"]
