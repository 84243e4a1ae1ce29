"""attach, detach, role, link, history and verify through the command line, end to end."""

from __future__ import annotations

import os
import sqlite3
import zipfile
from pathlib import Path

from tests.e2e.test_cli import run, run_json
from tests.images import gradient, kra_file, save


def test_attach_link_history_verify(tmp_path: Path) -> None:
    lib = tmp_path / "L"
    a = save(gradient(seed=1), tmp_path / "crane.png", "PNG")
    b = save(gradient(seed=40), tmp_path / "study.png", "PNG")
    (oa, ob) = run_json("import", str(a), str(b), lib=lib)
    wa, wb = str(oa["work_id"]), str(ob["work_id"])

    kra = kra_file(tmp_path / "layers.kra")
    sketch = save(gradient(seed=7), tmp_path / "sketch.jpg", "JPEG")
    attached = run_json("attach", wa, str(kra), str(sketch), lib=lib)
    assert [(o["status"], o["role"]) for o in attached] == [("added", "source"), ("added", "wip")]
    again = run_json("attach", wa, str(sketch), "--role", "sketch", lib=lib)
    assert again[0]["status"] == "duplicate"
    bad = tmp_path / "bad.kra"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("mimetype", "application/x-krita")
        z.writestr("../escape.png", b"x")
    proc = run("attach", wa, str(bad), "--json", lib=lib)
    assert proc.returncode == 1 and "unsafe path" in proc.stdout
    assert run("attach", wa, str(sketch), "--role", "nonsense", lib=lib).returncode == 2

    sketch_id = str(attached[1]["file_id"])
    assert run_json("role", sketch_id, "sketch", lib=lib)["previous_role"] == "wip"

    linked = run_json("link", wb, wa, "--kind", "study-for", lib=lib)
    assert linked["changed"] and linked["links"][0]["direction"] == "outgoing"
    shown = run_json("show", wa, lib=lib)
    assert [(x["kind"], x["direction"], x["work_id"]) for x in shown["links"]] == [
        ("study-for", "incoming", int(wb))
    ]
    assert [f["role"] for f in shown["files"]] == ["primary", "source", "sketch"]
    text = run("show", wa, lib=lib).stdout
    assert f"#{wb}" in text and "study" in text

    history = run_json("history", wa, lib=lib)
    kinds = [e["kind"] for e in history]
    assert kinds == [
        "work.imported", "file.attached", "file.attached", "file.role_changed", "work.linked",
    ]  # fmt: skip
    assert all(e["description"] and e["hash"] for e in history)
    assert history == sorted(history, key=lambda e: e["id"])  # oldest first
    plain = run("history", wa, lib=lib).stdout
    assert "layers.kra" in plain and "work.attached" not in plain

    ok = run_json("verify", lib=lib)
    assert ok["ok"] and ok["files"]["checked"] == 4 and ok["events"]["chain_ok"]
    assert "verified: OK" in run("verify", lib=lib).stdout

    # Detach, then tamper: a modified stored file and a deleted event are both caught.
    assert run_json("detach", sketch_id, lib=lib)["detached"]
    stored = Path(shown["files"][0]["path"])
    os.chmod(stored, 0o644)
    stored.write_bytes(stored.read_bytes() + b"tampered")
    with sqlite3.connect(lib / "library.sqlite") as db:
        db.execute("DROP TRIGGER events_no_delete")
        (first,) = db.execute("SELECT min(id) FROM events WHERE kind='file.attached'").fetchone()
        db.execute("DELETE FROM events WHERE id=?", (first,))
    bad_report = run_json("verify", lib=lib, expect=1)
    assert not bad_report["ok"]
    assert bad_report["files"]["problems"][0]["status"] == "modified"
    assert bad_report["events"]["first_broken_event"] == first + 1
    proc = run("verify", lib=lib)
    assert proc.returncode == 1 and "PROBLEMS FOUND" in proc.stdout


def test_import_reports_similar_works(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    lib = tmp_path / "L"
    img = gradient((400, 300), seed=3)
    draw = ImageDraw.Draw(img)
    for i in range(8):
        draw.rectangle((i * 45, 20 + i * 25, i * 45 + 40, 120 + i * 20), fill=(i * 30, 0, 200))
    original = save(img, tmp_path / "original.png", "PNG")
    (first,) = run_json("import", str(original), lib=lib)
    copy = save(img.resize((200, 150), Image.Resampling.BILINEAR), tmp_path / "c.jpg", "JPEG")
    (o,) = run_json("import", str(copy), lib=lib)
    assert o["status"] == "added"
    assert o["similar_to"][0]["work_id"] == first["work_id"]
    webp = save(img, tmp_path / "c.webp", "WEBP", quality=70)
    out = run("import", str(webp), lib=lib).stdout
    assert f"similar to #{first['work_id']}" in out
