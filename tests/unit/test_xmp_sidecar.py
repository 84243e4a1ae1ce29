"""XMP sidecars: written for exported copies, read beside imported files."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from defusedxml import ElementTree

from inkseal.library import works
from inkseal.library.export import export_copies
from inkseal.library.importer import import_paths
from inkseal.library.xmp_sidecar import read_sidecar, sidecar_for, sidecar_xmp
from tests.images import gradient, save

HOSTILE = '<img src="x"> & "q"'


@pytest.fixture
def work(lib, tmp_path: Path):
    p = save(gradient(seed=2), tmp_path / "a.png", "PNG")
    (o,) = import_paths(lib, [p]).outcomes
    works.rename(lib, o.work_id, HOSTILE + " 墨竹")
    works.edit_fields(lib, o.work_id, {"creator": "李白", "description": "line one\nline\x00two"})
    works.add_tags(lib, o.work_id, ["ink", "bamboo"])
    works.declare(
        lib,
        o.work_id,
        "ai-assisted",
        [
            works.AIUseInput("Stable Diffusion XL", "background", "sky"),
            works.AIUseInput("Topaz Gigapixel", "upscaling"),
        ],
    )
    return works.get_work(lib, o.work_id)


def test_written_sidecar_is_valid_rdf_and_reads_back(work, tmp_path: Path) -> None:
    data = sidecar_xmp(work, file_name="a.png")
    root = ElementTree.fromstring(data.split(b"?>", 1)[1].rsplit(b"<?xpacket", 1)[0])
    text = "".join(root.itertext())
    assert HOSTILE + " 墨竹" in text and "李白" in text
    assert "line one\nlinetwo" in text  # the NUL is dropped, the newline kept
    assert "ink" in text and "bamboo" in text and "Stable Diffusion XL; Topaz Gigapixel" in text
    side = tmp_path / "a.png.xmp"
    side.write_bytes(data)
    found = read_sidecar(side)
    verdicts = {f.source: f.verdict for f in found}
    assert verdicts["xmp-sidecar:Iptc4xmpExt:DigitalSourceType"] == "ai-assisted"
    assert any(f.tool and "Stable Diffusion XL" in f.tool for f in found)


def test_each_class_and_undeclared(lib, work, tmp_path: Path) -> None:
    for cls, verdict in (("human-made", "human-made"), ("ai-generated", "ai-generated")):
        works.declare(lib, work.id, cls)
        side = tmp_path / f"{cls}.xmp"
        side.write_bytes(sidecar_xmp(works.get_work(lib, work.id)))
        assert verdict in {f.verdict for f in read_sidecar(side)}
    works.declare(lib, work.id, "undeclared", allow_undeclared=True)
    assert b"DigitalSourceType" not in sidecar_xmp(works.get_work(lib, work.id))


def test_sidecar_names_and_hostile_files(tmp_path: Path) -> None:
    img = tmp_path / "Shot.JPG"
    img.write_bytes(b"x")
    assert sidecar_for(img) is None
    (tmp_path / "shot.xmp").write_text("<x/>")
    assert sidecar_for(img) == tmp_path / "shot.xmp"
    (tmp_path / "shot.xmp").unlink()
    (tmp_path / "Shot.JPG.XMP").write_text("<x/>")
    assert sidecar_for(img) == tmp_path / "Shot.JPG.XMP"
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>'
    )
    for name, content in (
        ("garbage.xmp", b"\x00\xff not xml"),
        ("bomb.xmp", bomb.encode()),
        ("big.xmp", b"<x>" + b"a" * (10 << 20) + b"</x>"),
    ):
        (tmp_path / name).write_bytes(content)
        assert read_sidecar(tmp_path / name) == []
    assert read_sidecar(tmp_path / "missing.xmp") == []


def test_import_reads_a_sidecar_and_export_writes_one(lib, work, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    img = save(gradient(seed=8), folder / "photo.jpg", "JPEG")
    (folder / "photo.xmp").write_bytes(sidecar_xmp(work))
    report = import_paths(lib, [folder])
    assert [o.status for o in report.outcomes] == ["added"]  # the .xmp is not a work
    w = works.get_work(lib, report.outcomes[0].work_id)
    signals = [s for f in w.files for s in f.signals]
    assert any(s.source.startswith("xmp-sidecar:") and s.verdict == "ai-assisted" for s in signals)
    assert w.suggested_class in ("ai-assisted", "ai-generated")  # AI fields count as AI
    assert w.files[0].metadata["xmp_sidecar"] == "photo.xmp"
    assert img.exists()

    (o,) = export_copies(lib, [work.id], tmp_path / "out", xmp=True)
    assert o.status == "written" and o.sidecar and Path(o.sidecar).suffix == ".xmp"
    assert read_sidecar(Path(o.sidecar))


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_exiftool_reads_the_sidecar(work, tmp_path: Path) -> None:
    side = tmp_path / "a.xmp"
    side.write_bytes(sidecar_xmp(work))
    proc = subprocess.run(
        ["exiftool", "-j", "-XMP:all", str(side)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    (tags,) = json.loads(proc.stdout)
    assert tags["DigitalSourceType"].endswith("compositeWithTrainedAlgorithmicMedia")
    assert tags["Creator"] == "李白"
    assert tags["Title"] == HOSTILE + " 墨竹"
    assert tags["Subject"] == ["ink", "bamboo"] or tags["Subject"] == ["bamboo", "ink"]
    assert "Stable Diffusion XL" in tags["AISystemUsed"]
