"""scan_paths: order, errors, progress, cancel and the choice of threads."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
from PIL import Image

from inkseal.library import scan
from inkseal.library.importer import CancelToken


def _pngs(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n):
        p = folder / f"img-{i:03}.png"
        Image.new("RGB", (8 + i, 5), (i, 2 * i, 3)).save(p)
        files.append(p)
    return files


@pytest.mark.parametrize("workers", [None, 1, 3])
def test_results_come_in_order_with_their_own_hashes(tmp_path: Path, workers: int | None) -> None:
    files = _pngs(tmp_path / "in", 21)  # several batches of eight
    (tmp_path / "in" / "notes.txt").write_text("not an image")
    ticks: list[tuple[int, int]] = []
    results, cancelled = scan.scan_paths(
        [tmp_path / "in", tmp_path / "missing.png"],
        workers=workers,
        progress=lambda done, total: ticks.append((done, total)),
    )
    assert not cancelled
    # What cannot be found comes first, then every file of the folder in name order.
    assert results[0].path.endswith("missing.png")
    assert results[0].error == "no such file or folder"
    assert [Path(r.path).name for r in results[1:]] == sorted(
        [p.name for p in files] + ["notes.txt"]
    )
    for r in results[1:]:
        assert r.sha256 == hashlib.sha256(Path(r.path).read_bytes()).hexdigest()
        if r.path.endswith(".png"):
            assert r.error is None and r.width == 8 + int(Path(r.path).stem[4:])
        else:
            assert r.error and "not a supported image" in r.error
    assert ticks == [(i, 22) for i in range(1, 23)]


@pytest.mark.parametrize("workers", [1, 2])
def test_cancel_stops_after_the_files_under_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    files = _pngs(tmp_path, 40)
    token = CancelToken()
    real = scan.scan_file

    def cancelling(p: Path) -> scan.ScanResult:
        if p == files[2]:
            token.cancel()  # as Ctrl+C does, while the third file is read
        return real(p)

    monkeypatch.setattr(scan, "scan_file", cancelling)
    results, cancelled = scan.scan_paths([str(p) for p in files], workers=workers, cancel=token)
    assert cancelled
    # The file under way is finished; nothing after it is reported, whatever other workers
    # had already read.
    assert [r.path for r in results] == [str(p) for p in files[:3]]
    assert all(r.error is None and r.sha256 for r in results)


def _threads_used(monkeypatch: pytest.MonkeyPatch, files: list[Path]) -> set[str]:
    seen: set[str] = set()
    real = scan.scan_file

    def recording(p: Path) -> scan.ScanResult:
        seen.add(threading.current_thread().name)
        return real(p)

    monkeypatch.setattr(scan, "scan_file", recording)
    results, _ = scan.scan_paths([str(p) for p in files])
    assert len(results) == len(files)
    return seen


def test_small_files_are_scanned_on_the_calling_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _pngs(tmp_path, 12)
    assert _threads_used(monkeypatch, files) == {threading.current_thread().name}


def test_large_files_are_hashed_on_worker_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "THREADED_MEAN_BYTES", 1)  # these PNGs count as large
    files = _pngs(tmp_path, 12)
    used = _threads_used(monkeypatch, files)
    assert used and all(name.startswith("inkseal-scan") for name in used)


def test_a_file_handed_over_in_small_pieces_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A system may return less than asked for (network file systems do): the reader asks
    # again until the file is in, and notices a file that grows while it is read.
    from inkseal.library import probe

    path = _pngs(tmp_path, 1)[0]
    data = path.read_bytes()
    real_read = probe.os.read
    monkeypatch.setattr(probe.os, "read", lambda fd, n: real_read(fd, min(n, 7)))
    raw = probe.read_file(path)
    assert raw.data == data and raw.sha256 == hashlib.sha256(data).hexdigest()
    grown = tmp_path / "grown.png"
    grown.write_bytes(data)
    sizes = iter([len(data)])
    real_stat = probe.os.stat
    monkeypatch.setattr(probe.os, "stat", lambda p: _Grown(real_stat(p), next(sizes, None) or 0))
    with open(grown, "ab") as fh:
        fh.write(b"more")
    with pytest.raises(probe.ReadError, match="changed while it was being read"):
        probe.read_file(grown)


class _Grown:
    """A stat result that says the file had `size` bytes when it was looked at."""

    def __init__(self, real: object, size: int) -> None:
        self._real = real
        self.st_size = size

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)


def test_a_name_with_a_nul_byte_is_no_file(tmp_path: Path) -> None:
    from inkseal.library import probe

    results, _ = scan.scan_paths([str(tmp_path / "a\x00b.png")])
    assert [r.error for r in results] == ["no such file or folder"]
    with pytest.raises(probe.ReadError, match="no such file"):
        probe.read_file(tmp_path / "a\x00b.png")
