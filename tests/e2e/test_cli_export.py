"""export and training through the command line: signed copies that scan reads back."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_cli import run, run_json
from tests.images import gradient, save


def test_export_signed_copies_and_scan_them(tmp_path: Path) -> None:
    lib = tmp_path / "L"
    art = save(gradient((200, 150), seed=3), tmp_path / "Crane.jpg", "JPEG")
    (o,) = run_json("import", str(art), lib=lib)
    wid = str(o["work_id"])
    run_json(
        "declare", wid, "--class", "ai-generated", "--ai-use", "Midjourney:generation", lib=lib
    )
    proc = run("export", wid, "--to", str(tmp_path / "out"), "--c2pa", lib=lib)
    assert proc.returncode == 2 and "signing identity" in proc.stderr
    env = {"INKSEAL_PASSPHRASE": ""}
    assert run("identity", "create", "Ada", lib=lib, env=env).returncode == 0
    assert run_json("training", wid, "not-allowed", lib=lib)["training"] == "not-allowed"
    (copy,) = run_json(
        "export", wid, "--to", str(tmp_path / "out"), "--c2pa", "--format", "png", lib=lib
    )
    assert copy["status"] == "written" and copy["c2pa"] is True
    target = Path(copy["path"])
    assert target.name == f"Crane (#{wid}).png" and target.parent == tmp_path / "out"
    (scanned,) = run_json("scan", str(target), lib=lib)
    assert scanned["c2pa"]["validation_state"] == "valid"
    assert "trainedAlgorithmicMedia" in " ".join(scanned["c2pa"]["digital_source_types"])
    assert scanned["suggested_class"] == "ai-generated"
    again = run("export", wid, "--to", str(tmp_path / "out"), "--format", "png", lib=lib)
    assert again.returncode == 1 and "not replaced" in again.stdout
    assert art.read_bytes()[:2] == b"\xff\xd8"  # the original is untouched


def test_catalogue_round_trip_through_the_cli(tmp_path: Path) -> None:
    lib, other = tmp_path / "L", tmp_path / "M"
    art = save(gradient(seed=5), tmp_path / "Heron.png", "PNG")
    (o,) = run_json("import", str(art), lib=lib)
    run_json("declare", str(o["work_id"]), "--class", "human-made", lib=lib)
    run_json("tag", str(o["work_id"]), "ink", lib=lib)
    out = tmp_path / "cat.json"
    assert run_json("export-catalogue", "--to", str(out), lib=lib)["works"] == 1
    result = run_json("import-catalogue", str(out), "--files", str(lib), lib=other)
    assert result["works_added"] == 1
    (w,) = run_json("list", lib=other)
    assert (w["title"], w["class"], w["tags"]) == ("Heron", "human-made", ["ink"])
    assert run_json("verify", lib=other)["ok"]
    csv_out = tmp_path / "cat.csv"
    assert run("export-catalogue", "--to", str(csv_out), lib=lib).returncode == 0
    assert "Heron" in csv_out.read_text(encoding="utf-8-sig")
