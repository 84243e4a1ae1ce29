"""PDF signatures made and checked offline with pyHanko, on PDFs made here with pypdf (the
reports' own renderer needs Qt; these PDFs have the same shape: pages and an attachment)."""

from __future__ import annotations

import io
import json
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pypdf import PdfReader, PdfWriter

from inkseal.library import identity
from inkseal.library.identity import SigningMaterial
from inkseal.reports.signing import SignatureCheck, check_pdf_signature, sign_pdf
from tests.certs import ca_issued

MANIFEST = b'{"works": [{"id": 1, "title": "\xe6\x9e\x97"}]}'


def _pdf(attachment: bool = True) -> bytes:
    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    w.add_blank_page(width=595, height=842)
    w.add_metadata({"/Title": "A report"})
    if attachment:
        w.add_attachment("inkseal-manifest.json", MANIFEST)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signing and checking never reach for the network."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lib")
    identity.create_identity(root, "Lin Xiaoyu", "lin@example.org", passphrase="pw")
    return root


@pytest.fixture(scope="module")
def signed(library: Path) -> bytes:
    return sign_pdf(_pdf(), identity.signing_material(library, "pw"), location="Taipei")


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("other")
    identity.create_identity(root, "Mallory")
    return root


def _all_false(check: SignatureCheck) -> bool:
    return not (check.signed or check.intact or check.valid or check.covers_document)


def test_signed_pdf_checks_out(library: Path, signed: bytes) -> None:
    check = check_pdf_signature(signed)
    assert (check.signed, check.intact, check.valid, check.covers_document) == (True,) * 4
    assert not check.trusted and check.ok() and not check.ok(require_trust=True)
    assert check.signer == "Lin Xiaoyu <lin@example.org>" and check.self_made
    info = identity.load_identity(library)
    assert info is not None and check.signer_fingerprint == info.fingerprint_sha256
    assert check.signed_at is not None
    assert abs(check.signed_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert check.problems == ()
    shown = check.to_json()
    assert json.loads(json.dumps(shown)) == shown and shown["valid"] is True
    summary = check.summary()
    assert "Lin Xiaoyu" in summary and "self-made" in summary
    assert "not who the person is" in summary and "not one you said you trust" in summary


def test_trusted_only_with_the_signers_certificate(
    library: Path, signed: bytes, other: Path
) -> None:
    exported = identity.export_certificate(library)
    trusted = check_pdf_signature(signed, [exported])
    assert trusted.trusted and trusted.ok(require_trust=True) and trusted.problems == ()
    assert "one you trust" in trusted.summary()
    # DER works too, and the issuer alone is enough to lead to.
    issuer = x509.load_pem_x509_certificates(exported)[1]
    der = issuer.public_bytes(serialization.Encoding.DER)
    assert check_pdf_signature(signed, [der]).trusted
    # Someone else's certificate, or junk, is not the signer's: still valid, not trusted.
    for trust in ([identity.export_certificate(other)], [b"junk"], [b""]):
        check = check_pdf_signature(signed, trust)
        assert check.valid and check.ok() and not check.trusted
        assert not check.ok(require_trust=True)
    assert "does not lead to one you trust" in " ".join(
        check_pdf_signature(signed, [identity.export_certificate(other)]).problems
    )


def test_signature_is_pades_sha256_with_the_chain_embedded(library: Path, signed: bytes) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    (sig,) = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    assert sig.field_name == "InksealSignature"
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert sig.sig_object["/Reason"] == "Provenance report"
    assert sig.sig_object["/Location"] == "Taipei"
    assert sig.md_algorithm == "sha256"
    embedded = {c.chosen.sha256.hex() for c in sig.signed_data["certificates"]}
    exported = x509.load_pem_x509_certificates(identity.export_certificate(library))
    assert embedded == {c.fingerprint(hashes.SHA256()).hex() for c in exported}
    # The key never ends up in the PDF.
    assert b"PRIVATE KEY" not in signed


def test_pypdf_reads_the_signed_pdf(signed: bytes) -> None:
    reader = PdfReader(io.BytesIO(signed))
    assert len(reader.pages) == 2
    assert reader.metadata is not None and reader.metadata.title == "A report"
    assert reader.attachments["inkseal-manifest.json"] == [MANIFEST]


def test_a_changed_byte_is_caught(signed: bytes) -> None:
    data = bytearray(signed)
    at = data.find(b"A report")
    data[at] = ord("B")
    check = check_pdf_signature(bytes(data))
    assert check.signed and not check.intact and not check.valid and not check.ok()
    assert "changed after signing" in " ".join(check.problems)
    assert "does NOT check out" in check.summary()
    # A changed byte in the signature value itself: the digest matches, the signature does not.
    from pyhanko.pdf_utils.reader import PdfFileReader

    (sig,) = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    value = sig.signer_info["signature"].native.hex().encode()
    at = signed.lower().find(value) + 20
    data = bytearray(signed)
    data[at] = ord("0") if data[at] != ord("0") else ord("1")
    check = check_pdf_signature(bytes(data))
    assert check.signed and check.intact and not check.valid and not check.ok()
    assert "does not match the signer's key" in " ".join(check.problems)


def _after(signed: bytes, change: str) -> bytes:
    out = io.BytesIO()
    if change == "pyhanko":
        from pyhanko.pdf_utils.generic import NameObject, TextStringObject
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

        w = IncrementalPdfFileWriter(io.BytesIO(signed))
        info = w.trailer["/Info"]
        info[NameObject("/Title")] = TextStringObject("Changed")
        w.update_container(info)
        w.write(out)
        return out.getvalue()
    pw = PdfWriter(io.BytesIO(signed), incremental=True)
    if change == "page":
        pw.add_blank_page(width=595, height=842)
    else:
        pw.add_metadata({"/Title": "Changed"})
    pw.write(out)
    return out.getvalue()


@pytest.mark.parametrize("change", ["page", "field", "pyhanko"])
def test_changes_after_signing_are_caught(signed: bytes, change: str) -> None:
    changed = _after(signed, change)
    assert changed.startswith(signed) and len(changed) > len(signed)
    check = check_pdf_signature(changed)
    assert check.signed and check.intact and check.valid
    assert not check.covers_document and not check.ok()
    assert "changed or added to after it was signed" in check.summary()


def test_bytes_appended_or_a_second_signature(signed: bytes, other: Path) -> None:
    check = check_pdf_signature(signed + b"\n% an afterthought\n")
    assert check.signed and not check.covers_document and not check.ok()
    twice = sign_pdf(signed, identity.signing_material(other), field_name="Another")
    check = check_pdf_signature(twice, [identity.export_certificate(other)])
    # The first (the report's own) signature is the one reported, and it no longer covers all.
    assert check.signer == "Lin Xiaoyu <lin@example.org>" and not check.trusted
    assert not check.covers_document and not check.ok()
    assert "another signature was added" in " ".join(check.problems)


def test_hostile_input_never_raises(signed: bytes) -> None:
    truncated = signed[: len(signed) // 2]
    contents = signed.find(b"/Contents <") + 11
    end = signed.find(b">", contents)
    bad_cms = signed[:contents] + b"ab" * ((end - contents) // 2) + signed[end:]
    for junk in (b"", b"%PDF-1.7\nnot really", os.urandom(3000), _pdf(), truncated, bad_cms):
        check = check_pdf_signature(junk)
        assert not check.ok() and not check.valid and not check.trusted, junk[:20]
        assert check.problems and all("\n" not in p for p in check.problems)
        assert check.summary()
        json.dumps(check.to_json())
    unsigned = check_pdf_signature(_pdf())
    assert _all_false(unsigned) and unsigned.problems == ("the PDF has no signature",)
    assert unsigned.summary().startswith("Not signed")
    assert _all_false(check_pdf_signature(os.urandom(3000)))


def _ca_material() -> tuple[SigningMaterial, bytes]:
    """A signer issued by a CA that is not Inkseal's, and that CA's certificate (PEM)."""
    key, cert, ca = ca_issued("Studio Ink", days=(-1, 30), digital_signature_only=True)
    return SigningMaterial(key, cert, (ca,)), ca.public_bytes(serialization.Encoding.PEM)


def test_a_certificate_from_a_ca() -> None:
    material, root_pem = _ca_material()
    signed = sign_pdf(_pdf(attachment=False), material)
    check = check_pdf_signature(signed)
    assert check.ok() and not check.trusted and not check.self_made
    assert check.signer == "Studio Ink"
    assert "self-made" not in check.summary() and "not who they are" in check.summary()
    trusted = check_pdf_signature(signed, [root_pem])
    assert trusted.ok(require_trust=True)
