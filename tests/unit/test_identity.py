"""The artist's identity: files and their rights, the certificates Inkseal makes, the
passphrase, PKCS#12 import, export for recipients, and damaged or expired files."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from inkseal.library import identity
from inkseal.library.errors import InksealError
from inkseal.library.identity import IdentityError
from tests.certs import ca_issued


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _certs(root: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(identity.export_certificate(root))


def test_create_without_passphrase(tmp_path: Path) -> None:
    assert not identity.has_identity(tmp_path)
    assert identity.load_identity(tmp_path) is None
    info = identity.create_identity(tmp_path, "  Lin   Xiaoyu ", "lin@example.org")
    d = identity.identity_dir(tmp_path)
    assert d == tmp_path / "identity" and identity.has_identity(tmp_path)
    assert _mode(d) == 0o700
    files = list(d.iterdir())
    assert {f.name for f in files} >= {identity.KEY_NAME, identity.CERT_NAME}
    assert all(_mode(f) == 0o600 for f in files), [(f.name, oct(_mode(f))) for f in files]
    assert not [f for f in files if f.name.startswith(".")]  # no temporary files left
    assert (info.name, info.email, info.self_made, info.encrypted) == (
        "Lin Xiaoyu", "lin@example.org", True, False,
    )  # fmt: skip
    assert info.issuer == "Inkseal local issuer for Lin Xiaoyu"
    assert "Lin Xiaoyu" in info.subject
    assert info.not_before.tzinfo is not None and info.not_after.tzinfo is not None
    assert timedelta(days=1820) < info.not_after - info.not_before < timedelta(days=1830)
    key_pem = (d / identity.KEY_NAME).read_bytes()
    assert b"BEGIN PRIVATE KEY" in key_pem and b"ENCRYPTED" not in key_pem
    material = identity.signing_material(tmp_path)
    assert material.certificate.fingerprint(hashes.SHA256()).hex() == info.fingerprint_sha256
    # A passphrase given for a key that has none does no harm.
    assert identity.signing_material(tmp_path, "anything").certificate == material.certificate
    assert identity.load_identity(tmp_path) == info
    shown = info.to_json()
    assert json.loads(json.dumps(shown)) == shown
    assert shown["fingerprint_sha256"] == info.fingerprint_sha256 and shown["self_made"] is True


def test_create_with_passphrase(tmp_path: Path) -> None:
    info = identity.create_identity(tmp_path, "Ada", passphrase="correct horse")
    d = identity.identity_dir(tmp_path)
    assert _mode(d) == 0o700 and all(_mode(f) == 0o600 for f in d.iterdir())
    assert info.encrypted and info.email is None
    assert b"BEGIN ENCRYPTED PRIVATE KEY" in (d / identity.KEY_NAME).read_bytes()
    with pytest.raises(IdentityError, match="passphrase is needed"):
        identity.signing_material(tmp_path)
    with pytest.raises(IdentityError) as wrong:
        identity.signing_material(tmp_path, "battery staple")
    assert str(wrong.value) == "wrong passphrase for the signing key"
    assert isinstance(wrong.value, InksealError)
    material = identity.signing_material(tmp_path, "correct horse")
    assert isinstance(material.key, ec.EllipticCurvePrivateKey)


def test_certificate_fields_and_chain(tmp_path: Path) -> None:
    identity.create_identity(tmp_path, "Lin Xiaoyu", "lin@example.org")
    signing, issuer = _certs(tmp_path)
    for cert in (signing, issuer):
        key = cert.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
        assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    subject = signing.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Lin Xiaoyu"
    assert subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)[0].value == "lin@example.org"
    assert signing.issuer == issuer.subject
    usage = signing.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    eku_ext = signing.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    eku = [o.dotted_string for o in eku_ext]
    assert "1.3.6.1.5.5.7.3.36" in eku
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION.dotted_string in eku
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = signing.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert signing.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    # The chain: the signing certificate verifies against the issuer's public key.
    signing.verify_directly_issued_by(issuer)
    constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca and constraints.path_length == 0
    issuer_usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    assert issuer_usage.key_cert_sign and issuer_usage.crl_sign
    span = issuer.not_valid_after_utc - issuer.not_valid_before_utc
    assert timedelta(days=3645) < span < timedelta(days=3655)
    assert issuer.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "Inkseal local issuer for Lin Xiaoyu"
    )


def test_bad_names_and_overwrite(tmp_path: Path) -> None:
    for bad in ("", "   ", "x" * 65, "\u6797" * 22):
        with pytest.raises(IdentityError, match="name") as caught:
            identity.create_identity(tmp_path, bad)
        assert "\n" not in str(caught.value)
    # A common name holds 64 bytes of UTF-8; the issuer's longer name is shortened to fit.
    for n, name in enumerate(("x" * 64, "\u6797\u5c0f\u96e8" * 7, "Zo\u00eb " * 12)):
        made = identity.create_identity(tmp_path / str(n), name, "a" * 60 + "@example.org")
        assert made.name == name.strip() and made.self_made
        assert made.issuer.startswith("Inkseal local issuer for ")
        assert made.issuer.endswith("\u2026") and len(made.issuer.encode()) <= 64
    for mail in ("not-an-email", "a@b", "two@@example.org", "sp ace@example.org"):
        with pytest.raises(IdentityError, match="email"):
            identity.create_identity(tmp_path, "Ada", mail)
    assert not identity.has_identity(tmp_path)
    first = identity.create_identity(tmp_path, "Ada")
    with pytest.raises(IdentityError, match="already"):
        identity.create_identity(tmp_path, "Someone")
    assert identity.load_identity(tmp_path) == first
    second = identity.create_identity(tmp_path, "Someone", replace=True)
    assert second.name == "Someone" and second.fingerprint_sha256 != first.fingerprint_sha256
    assert identity.load_identity(tmp_path) == second


def test_export_is_pem_signing_certificate_then_chain(tmp_path: Path) -> None:
    info = identity.create_identity(tmp_path, "Ada")
    pem = identity.export_certificate(tmp_path)
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----") and b"PRIVATE" not in pem
    certs = x509.load_pem_x509_certificates(pem)
    assert len(certs) == 2
    assert certs[0].fingerprint(hashes.SHA256()).hex() == info.fingerprint_sha256
    with pytest.raises(IdentityError, match="no signing identity"):
        identity.export_certificate(tmp_path / "none")


def test_pkcs12_from_a_ca(tmp_path: Path) -> None:
    key, cert, ca = ca_issued("Studio Ink")
    p12 = pkcs12.serialize_key_and_certificates(
        b"studio", key, cert, [ca], serialization.BestAvailableEncryption(b"pw")
    )
    with pytest.raises(IdentityError, match="wrong password"):
        identity.import_pkcs12(tmp_path, p12, "nope")
    with pytest.raises(IdentityError, match="PKCS#12"):
        identity.import_pkcs12(tmp_path, b"not a pkcs12 file", None)
    assert not identity.has_identity(tmp_path)
    info = identity.import_pkcs12(tmp_path, p12, "pw")
    assert (info.name, info.issuer, info.self_made) == ("Studio Ink", "Test Root CA", False)
    assert info.fingerprint_sha256 == cert.fingerprint(hashes.SHA256()).hex()
    d = identity.identity_dir(tmp_path)
    assert _mode(d) == 0o700 and all(_mode(f) == 0o600 for f in d.iterdir())
    material = identity.signing_material(tmp_path, "pw")
    assert material.certificate == cert and material.chain == (ca,)
    assert _certs(tmp_path) == [cert, ca]
    with pytest.raises(IdentityError, match="already"):
        identity.import_pkcs12(tmp_path, p12, "pw")
    # Without a password the key is kept unencrypted.
    bare = pkcs12.serialize_key_and_certificates(
        None, key, cert, None, serialization.NoEncryption()
    )
    again = identity.import_pkcs12(tmp_path, bare, None, replace=True)
    assert not again.encrypted and identity.signing_material(tmp_path).chain == ()


def test_pkcs12_that_cannot_sign(tmp_path: Path) -> None:
    key, cert, ca = ca_issued("Old", days=(-800, -30))
    enc = serialization.NoEncryption()
    expired = pkcs12.serialize_key_and_certificates(None, key, cert, [ca], enc)
    with pytest.raises(IdentityError, match="expired"):
        identity.import_pkcs12(tmp_path, expired, None)
    _, good_cert, _ = ca_issued("Certificate only")
    only_cert = pkcs12.serialize_key_and_certificates(None, None, good_cert, None, enc)
    with pytest.raises(IdentityError, match="no key"):
        identity.import_pkcs12(tmp_path, only_cert, None)
    assert not identity.has_identity(tmp_path)


def test_an_expired_identity_does_not_sign(tmp_path: Path) -> None:
    identity.create_identity(tmp_path, "Ada")
    key, cert, _ca = ca_issued("Ada", days=(-800, -1))
    d = identity.identity_dir(tmp_path)
    pem = serialization.Encoding.PEM
    (d / identity.KEY_NAME).write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (d / identity.CERT_NAME).write_bytes(cert.public_bytes(pem))
    assert identity.load_identity(tmp_path) is not None  # still shown, to be replaced
    with pytest.raises(IdentityError, match="expired"):
        identity.signing_material(tmp_path)


def test_damaged_files(tmp_path: Path) -> None:
    identity.create_identity(tmp_path, "Ada")
    d = identity.identity_dir(tmp_path)
    key_path, cert_path = d / identity.KEY_NAME, d / identity.CERT_NAME
    good_key, good_cert = key_path.read_bytes(), cert_path.read_bytes()

    key_path.write_bytes(b"-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n")
    with pytest.raises(IdentityError, match="damaged"):
        identity.signing_material(tmp_path)
    key_path.write_bytes(good_key[: len(good_key) // 2])
    with pytest.raises(IdentityError, match="damaged"):
        identity.signing_material(tmp_path)
    # A key from another identity does not go with this certificate.
    identity.create_identity(tmp_path / "other", "Mallory")
    other_key = identity.identity_dir(tmp_path / "other") / identity.KEY_NAME
    key_path.write_bytes(other_key.read_bytes())
    with pytest.raises(IdentityError, match="does not belong"):
        identity.signing_material(tmp_path)
    key_path.write_bytes(good_key)

    for junk in (b"garbage", good_cert[:100], b""):
        cert_path.write_bytes(junk)
        for call in (identity.load_identity, identity.export_certificate):
            with pytest.raises(IdentityError, match="damaged") as caught:
                call(tmp_path)
            assert "\n" not in str(caught.value)
    cert_path.write_bytes(good_cert)
    (d / identity.CHAIN_NAME).write_bytes(b"-----BEGIN CERTIFICATE-----\nxx\n")
    with pytest.raises(IdentityError, match="damaged"):
        identity.export_certificate(tmp_path)
