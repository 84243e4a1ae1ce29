"""The signing identity (files, rights, certificates, passphrase, PKCS#12) and PDF signatures
made and checked offline, on PDFs made here with pypdf."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from pypdf import PdfReader, PdfWriter

from inkseal.library import identity
from inkseal.library.identity import IdentityError
from inkseal.reports.signing import check_pdf_signature, sign_pdf


def _pdf(attachment: bool = True) -> bytes:
    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    w.add_metadata({"/Title": "A report"})
    if attachment:
        w.add_attachment("inkseal-manifest.json", b'{"works": []}')
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def test_create_files_rights_and_certificates(tmp_path: Path) -> None:
    info = identity.create_identity(tmp_path, "  Lin   Xiaoyu ", "lin@example.org")
    d = identity.identity_dir(tmp_path)
    assert oct(d.stat().st_mode & 0o777) == "0o700"
    for f in d.iterdir():
        assert oct(f.stat().st_mode & 0o777) == "0o600", f
    assert (info.name, info.email, info.self_made, info.encrypted) == (
        "Lin Xiaoyu", "lin@example.org", True, False,
    )  # fmt: skip
    certs = x509.load_pem_x509_certificates(identity.export_certificate(tmp_path))
    signing, issuer = certs
    assert isinstance(signing.public_key(), ec.EllipticCurvePublicKey)
    assert signing.public_key().curve.name == "secp256r1"
    signing.verify_directly_issued_by(issuer)
    usage = signing.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    eku = signing.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert identity.DOCUMENT_SIGNING in [o.dotted_string for o in eku]
    assert issuer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert identity.load_identity(tmp_path) == info
    with pytest.raises(IdentityError, match="already"):
        identity.create_identity(tmp_path, "Someone")
    assert identity.create_identity(tmp_path, "Someone", replace=True).name == "Someone"


def test_passphrase_and_bad_input(tmp_path: Path) -> None:
    for bad in ("", "   ", "x" * 201):
        with pytest.raises(IdentityError):
            identity.create_identity(tmp_path, bad)
    with pytest.raises(IdentityError, match="email"):
        identity.create_identity(tmp_path, "Ada", "not-an-email")
    info = identity.create_identity(tmp_path, "Ada", passphrase="correct horse")
    assert info.encrypted
    key = (identity.identity_dir(tmp_path) / identity.KEY_NAME).read_bytes()
    assert b"ENCRYPTED" in key
    with pytest.raises(IdentityError, match="passphrase is needed"):
        identity.signing_material(tmp_path)
    with pytest.raises(IdentityError, match="wrong passphrase"):
        identity.signing_material(tmp_path, "battery staple")
    assert identity.signing_material(tmp_path, "correct horse").certificate is not None
    (identity.identity_dir(tmp_path) / identity.CERT_NAME).write_bytes(b"garbage")
    with pytest.raises(IdentityError, match="damaged"):
        identity.load_identity(tmp_path)
    assert identity.load_identity(tmp_path / "elsewhere") is None


def test_pkcs12_from_a_real_ca(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    made = identity.create_identity(tmp_path / "a", "Studio Ink", "studio@example.org")
    material = identity.signing_material(tmp_path / "a")
    p12 = pkcs12.serialize_key_and_certificates(
        b"studio", material.key, material.certificate, list(material.chain),
        BestAvailableEncryption(b"pw"),
    )  # fmt: skip
    with pytest.raises(IdentityError, match="wrong password"):
        identity.import_pkcs12(tmp_path / "b", p12, "nope")
    info = identity.import_pkcs12(tmp_path / "b", p12, "pw")
    assert info.fingerprint_sha256 == made.fingerprint_sha256
    assert identity.signing_material(tmp_path / "b", "pw").chain


def test_sign_and_check_offline(tmp_path: Path) -> None:
    identity.create_identity(tmp_path, "Lin Xiaoyu")
    material = identity.signing_material(tmp_path)
    signed = sign_pdf(_pdf(), material)
    check = check_pdf_signature(signed)
    assert check.ok() and not check.trusted and check.self_made
    assert check.signer == "Lin Xiaoyu" and check.signed_at is not None
    assert "self-made" in check.summary() and "Lin Xiaoyu" in check.summary()
    trusted = check_pdf_signature(signed, [identity.export_certificate(tmp_path)])
    assert trusted.ok(require_trust=True)
    # Someone else's certificate is not the signer's.
    identity.create_identity(tmp_path / "other", "Mallory")
    other = check_pdf_signature(signed, [identity.export_certificate(tmp_path / "other")])
    assert not other.ok(require_trust=True) and other.ok()
    # The attachment survives signing.
    assert PdfReader(io.BytesIO(signed)).attachments["inkseal-manifest.json"] == [b'{"works": []}']


def test_changes_after_signing_are_caught(tmp_path: Path) -> None:
    identity.create_identity(tmp_path, "Lin Xiaoyu")
    signed = sign_pdf(_pdf(), identity.signing_material(tmp_path))
    data = bytearray(signed)
    at = data.find(b"A report")
    data[at] = ord("B")
    flipped = check_pdf_signature(bytes(data))
    assert flipped.signed and not flipped.intact and not flipped.ok()
    # An incremental update appended after the signature (a page added).
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(signed))
    w.add_object(w.root)
    w.update_root()
    out = io.BytesIO()
    w.write(out)
    appended = check_pdf_signature(out.getvalue())
    assert appended.signed and not appended.covers_document and not appended.ok()
    assert "changed or added to after it was signed" in appended.summary()
    for junk in (b"", b"%PDF-1.7\nnot really", os.urandom(2000), _pdf()):
        result = check_pdf_signature(junk)
        assert not result.signed and not result.ok()
