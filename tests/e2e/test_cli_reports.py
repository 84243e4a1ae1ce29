"""identity, report and verify-report through the command line, end to end."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pypdf import PdfReader

from tests.e2e.test_cli import run, run_json
from tests.images import gradient, save


def _json(*args: str, expect: int = 0) -> dict:
    """A command that takes no library, with --json."""
    proc = run(*args, "--json")
    assert proc.returncode == expect, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def test_signed_report_verifies_and_one_changed_byte_fails(tmp_path: Path) -> None:
    lib = tmp_path / "L"
    art = save(gradient((400, 300), seed=2), tmp_path / "crane.png", "PNG")
    (o,) = run_json("import", str(art), lib=lib)
    wid = str(o["work_id"])
    run_json("declare", wid, "--class", "human-made", lib=lib)

    # No identity yet: signing is refused with the way out; unsigned works.
    proc = run("report", wid, "-o", str(tmp_path / "a.pdf"), lib=lib)
    assert proc.returncode == 2 and "no signing identity" in proc.stderr
    unsigned = run_json("report", wid, "-o", str(tmp_path / "u.pdf"), "--no-sign", lib=lib)
    assert unsigned["signed"] is False

    env = {"INKSEAL_PASSPHRASE": ""}
    proc = run("identity", "create", "Lin Xiaoyu", "--email", "lin@example.org", lib=lib, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "self-made" in proc.stdout
    shown = run_json("identity", "show", lib=lib)
    assert shown["name"] == "Lin Xiaoyu" and shown["self_made"] is True
    cert = tmp_path / "lin.pem"
    assert run("identity", "export", "-o", str(cert), lib=lib).returncode == 0
    assert cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")

    pdf = tmp_path / "crane.pdf"
    made = run_json("report", wid, "-o", str(pdf), lib=lib)
    assert made["signed"] and made["integrity_ok"]
    assert run("report", wid, "-o", str(pdf), lib=lib).returncode == 2  # exists: not replaced

    # Without the library: signature and manifest; trusted only with the certificate.
    check = _json("verify-report", str(pdf))
    assert check["ok"] and check["signature"]["valid"] and not check["signature"]["trusted"]
    check = _json("verify-report", str(pdf), "--trust", str(cert))
    assert check["signature"]["trusted"]
    # With copies of the files, or with the library: every SHA-256.
    check = _json("verify-report", str(pdf), str(art))
    assert [f["status"] for f in check["files"]] == ["ok"]
    check = run_json("verify-report", str(pdf), lib=lib)
    assert check["ok"] and check["signature"]["trusted"]
    assert "report verified: OK" in run("verify-report", str(pdf)).stdout

    # One byte changed anywhere in the signed part fails.
    data = bytearray(pdf.read_bytes())
    where = data.find(b"/Title")
    data[where + 1] = ord("t")
    bad = tmp_path / "changed.pdf"
    bad.write_bytes(bytes(data))
    proc = run("verify-report", str(bad), "--json")
    assert proc.returncode == 1
    assert "PROBLEMS FOUND" in run("verify-report", str(bad)).stdout
    # Unsigned reports and non-PDFs fail with a reason, never a traceback.
    assert run("verify-report", str(tmp_path / "u.pdf")).returncode == 1
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    proc = run("verify-report", str(junk))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr

    # The report's own text: the signer is named, and it reads back as PDF.
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    text = " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())
    assert "signed by Lin Xiaoyu" in text
    history = run_json("history", wid, lib=lib)
    assert [e["kind"] for e in history].count("work.exported") == 2
