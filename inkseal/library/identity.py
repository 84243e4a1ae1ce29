"""The artist's signing identity: an X.509 certificate and its key, kept in the library.

Made on first use: a local issuing certificate ("Inkseal local issuer for NAME") and a signing
certificate it issues, both ECDSA P-256, or imported from a PKCS#12 file issued by a real
certificate authority. The same identity signs every report.

What it proves, in plain words: a self-made certificate proves that the same key signed every
report and copy made with it. It does not prove who the person is; anyone can make a
certificate with any name. Recipients who have the artist's exported certificate (given to them
in person, or published on the artist's site) can choose to trust it, and then see reports
signed with it as trusted. A certificate from a real CA says the CA checked the name.

Files: <library>/identity/ (mode 0700) holding signing-key.pem (0600; encrypted with the
passphrase when one was given), signing-cert.pem and chain.pem.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from inkseal.library.errors import InksealError
from inkseal.library.safewrite import write_file

KEY_NAME = "signing-key.pem"
CERT_NAME = "signing-cert.pem"
CHAIN_NAME = "chain.pem"
ISSUER_PREFIX = "Inkseal local issuer for "
DOCUMENT_SIGNING = "1.3.6.1.5.5.7.3.36"
# A certificate's common name holds at most 64 (RFC 5280's ub-common-name); cryptography counts
# the bytes of its UTF-8 form.
MAX_NAME = 64
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class IdentityError(InksealError):
    """The identity cannot be made or used; the message says why in one line."""


@dataclass(frozen=True)
class IdentityInfo:
    name: str
    email: str | None
    subject: str
    issuer: str
    fingerprint_sha256: str
    not_before: datetime
    not_after: datetime
    self_made: bool
    encrypted: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "email": self.email,
            "subject": self.subject,
            "issuer": self.issuer,
            "fingerprint_sha256": self.fingerprint_sha256,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "self_made": self.self_made,
            "encrypted": self.encrypted,
        }


@dataclass(frozen=True)
class SigningMaterial:
    key: Any  # a cryptography private key
    certificate: Any  # cryptography x509.Certificate
    chain: tuple[Any, ...]


def identity_dir(library_root: Path) -> Path:
    return Path(library_root) / "identity"


def has_identity(library_root: Path) -> bool:
    d = identity_dir(library_root)
    return (d / KEY_NAME).exists() and (d / CERT_NAME).exists()


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, atomically (no moment with wider rights)."""
    write_file(path, data, mode=0o600)


def _check_name(name: str, email: str | None) -> tuple[str, str | None]:
    clean = " ".join(name.split())
    if not clean:
        raise IdentityError("an identity needs a name")
    if len(clean.encode("utf-8")) > MAX_NAME:
        raise IdentityError(
            f"the name is too long for a certificate, which holds {MAX_NAME} bytes of text "
            "(64 plain letters, about 21 Chinese or Japanese characters)"
        )
    mail = email.strip() if email and email.strip() else None
    if mail is not None and not _EMAIL.fullmatch(mail):
        raise IdentityError(f"{mail!r} does not look like an email address")
    return clean, mail


def _fit(text: str) -> str:
    """`text`, shortened with an ellipsis when it is longer than a common name can be."""
    if len(text.encode("utf-8")) <= MAX_NAME:
        return text
    while len((text + "\u2026").encode("utf-8")) > MAX_NAME:
        text = text[:-1]
    return text + "\u2026"


def _name(cn: str, email: str | None = None) -> Any:
    from cryptography.x509 import Name, NameAttribute
    from cryptography.x509.oid import NameOID

    attrs = [NameAttribute(NameOID.COMMON_NAME, cn)]
    if email:
        attrs.append(NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return Name(attrs)


def create_identity(
    library_root: Path,
    name: str,
    email: str | None = None,
    passphrase: str | None = None,
    *,
    replace: bool = False,
) -> IdentityInfo:
    """Make a local issuer and a signing certificate for `name` (see the module docstring)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

    clean, mail = _check_name(name, email)
    if has_identity(library_root) and not replace:
        raise IdentityError("this library has a signing identity already")
    now = datetime.now(UTC) - timedelta(minutes=5)
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    issuer_name = _name(_fit(ISSUER_PREFIX + clean))
    issuer_ski = x509.SubjectKeyIdentifier.from_public_key(issuer_key.public_key())
    issuer = (
        x509.CertificateBuilder()
        .subject_name(issuer_name)
        .issuer_name(issuer_name)
        .public_key(issuer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(issuer_ski, critical=False)
        .sign(issuer_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(clean, mail))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(
            x509.ExtendedKeyUsage(
                [ObjectIdentifier(DOCUMENT_SIGNING), ExtendedKeyUsageOID.EMAIL_PROTECTION]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski), False
        )
        .sign(issuer_key, hashes.SHA256())
    )
    # The issuer's key is not kept: nobody needs a second certificate from this issuer (a new
    # identity gets a new issuer), and a key that is not kept cannot leak.
    _store(library_root, key, cert, (issuer,), passphrase)
    info = load_identity(library_root)
    assert info is not None
    return info


def _store(root: Path, key: Any, cert: Any, chain: tuple[Any, ...], passphrase: str | None) -> None:
    from cryptography.hazmat.primitives import serialization

    d = identity_dir(root)
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(d, 0o700)  # mkdir's mode is narrowed by the umask, and an old folder may be wider
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
        if passphrase
        else serialization.NoEncryption()
    )
    pem = serialization.Encoding.PEM
    _write_private(
        d / KEY_NAME, key.private_bytes(pem, serialization.PrivateFormat.PKCS8, encryption)
    )
    _write_private(d / CERT_NAME, cert.public_bytes(pem))
    _write_private(d / CHAIN_NAME, b"".join(c.public_bytes(pem) for c in chain))


def _load_certs(root: Path) -> tuple[Any, tuple[Any, ...]]:
    from cryptography import x509

    d = identity_dir(root)
    try:
        cert = x509.load_pem_x509_certificate((d / CERT_NAME).read_bytes())
        chain_path = d / CHAIN_NAME
        chain = (
            tuple(x509.load_pem_x509_certificates(chain_path.read_bytes()))
            if chain_path.exists() and chain_path.stat().st_size
            else ()
        )
    except FileNotFoundError as exc:
        raise IdentityError("this library has no signing identity yet") from exc
    except (OSError, ValueError) as exc:
        raise IdentityError(f"the signing certificate is damaged: {exc}") from exc
    return cert, chain


def _cn(name: Any) -> str:
    from cryptography.x509.oid import NameOID

    found = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(found[0].value) if found else name.rfc4514_string()


def load_identity(library_root: Path) -> IdentityInfo | None:
    """The library's identity, or None when it has none."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    if not has_identity(library_root):
        return None
    cert, _chain = _load_certs(library_root)
    try:
        key_pem = (identity_dir(library_root) / KEY_NAME).read_bytes()
    except OSError as exc:
        raise IdentityError(f"the signing key cannot be read: {exc.strerror}") from exc
    emails = cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)
    issuer = _cn(cert.issuer)
    return IdentityInfo(
        name=_cn(cert.subject),
        email=str(emails[0].value) if emails else None,
        subject=cert.subject.rfc4514_string(),
        issuer=issuer,
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        self_made=issuer.startswith(ISSUER_PREFIX),
        encrypted=b"ENCRYPTED" in key_pem.split(b"\n", 1)[0],
    )


def import_pkcs12(
    library_root: Path, data: bytes, password: str | None, *, replace: bool = False
) -> IdentityInfo:
    """Use a key and certificate (with its chain) from a PKCS#12 file."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    if has_identity(library_root) and not replace:
        raise IdentityError("this library has a signing identity already")
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(
            data, password.encode("utf-8") if password else None
        )
    except ValueError as exc:
        raise IdentityError(
            "the PKCS#12 file cannot be opened: wrong password or not a PKCS#12 file"
        ) from exc
    if key is None or cert is None:
        raise IdentityError("the PKCS#12 file holds no key and certificate")
    if not _key_matches(key, cert):
        raise IdentityError("the key in the PKCS#12 file does not belong to its certificate")
    if datetime.now(UTC) > cert.not_valid_after_utc:
        raise IdentityError(
            f"the certificate in the PKCS#12 file expired on {cert.not_valid_after_utc:%Y-%m-%d}"
        )
    _store(library_root, key, cert, tuple(extra or ()), password)
    info = load_identity(library_root)
    assert info is not None
    return info


def export_certificate(library_root: Path) -> bytes:
    """The public certificate and its chain, PEM, for recipients to choose to trust."""
    from cryptography.hazmat.primitives.serialization import Encoding

    cert, chain = _load_certs(library_root)
    return b"".join(c.public_bytes(Encoding.PEM) for c in (cert, *chain))


def signing_material(library_root: Path, passphrase: str | None = None) -> SigningMaterial:
    """The key, certificate and chain to sign with; IdentityError in plain words if not."""
    from cryptography.hazmat.primitives import serialization

    cert, chain = _load_certs(library_root)
    try:
        pem = (identity_dir(library_root) / KEY_NAME).read_bytes()
    except OSError as exc:
        raise IdentityError(f"the signing key cannot be read: {exc.strerror}") from exc
    encrypted = b"ENCRYPTED" in pem.split(b"\n", 1)[0]
    if encrypted and not passphrase:
        raise IdentityError("the signing key is protected: its passphrase is needed")
    try:
        key = serialization.load_pem_private_key(
            pem, passphrase.encode("utf-8") if encrypted and passphrase else None
        )
    except (ValueError, TypeError) as exc:
        if encrypted:
            raise IdentityError("wrong passphrase for the signing key") from exc
        raise IdentityError(f"the signing key is damaged: {exc}") from exc
    if datetime.now(UTC) > cert.not_valid_after_utc:
        raise IdentityError(
            f"the signing certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}; "
            "create a new identity"
        )
    if not _key_matches(key, cert):
        raise IdentityError("the signing key does not belong to the certificate")
    return SigningMaterial(key, cert, chain)


def _key_matches(key: Any, cert: Any) -> bool:
    """Whether `key` is the private half of the certificate's public key."""
    from cryptography.hazmat.primitives import serialization

    der = serialization.Encoding.DER
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return bool(
        key.public_key().public_bytes(der, spki) == cert.public_key().public_bytes(der, spki)
    )
