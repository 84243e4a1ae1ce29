"""Signing reports as standard PDF signatures (PAdES, with pyHanko) and checking them.

Offline throughout: no time-stamp server, no revocation lookups, no certificate fetching. The
time a signature claims is the signer's own clock, and is reported as such.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inkseal.library.identity import ISSUER_PREFIX, SigningMaterial

# pyHanko logs each failed trust check with a traceback; what failed is in the result, said
# in plain words, so its log stays quiet unless an app configures logging for it.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())
    logging.getLogger(_name).propagate = False


def _asn1_cert(cert: Any) -> Any:
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def sign_pdf(
    pdf: bytes,
    material: SigningMaterial,
    *,
    reason: str = "Provenance report",
    location: str | None = None,
    field_name: str = "InksealSignature",
) -> bytes:
    """The PDF with a PAdES signature by `material` covering all of it."""
    from asn1crypto import keys
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = keys.PrivateKeyInfo.load(
        material.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    chain = [_asn1_cert(c) for c in material.chain]
    store = SimpleCertificateStore.from_certs(chain)  # type: ignore[no-untyped-call]
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(material.certificate), signing_key=key, cert_registry=store
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = signers.sign_pdf(writer, meta, signer=signer)
    return bytes(out.getvalue())


@dataclass(frozen=True)
class SignatureCheck:
    signed: bool
    intact: bool
    covers_document: bool
    valid: bool
    trusted: bool
    signer: str | None
    signer_fingerprint: str | None
    signed_at: datetime | None
    self_made: bool
    problems: tuple[str, ...]

    def ok(self, require_trust: bool = False) -> bool:
        return (
            self.signed
            and self.intact
            and self.valid
            and self.covers_document
            and (self.trusted or not require_trust)
        )

    def summary(self) -> str:
        if not self.signed:
            return "Not signed: " + ("; ".join(self.problems) or "the PDF has no signature")
        lines = [f"Signed by {self.signer or 'an unnamed signer'}"]
        if self.signed_at:
            lines[0] += f" at {self.signed_at:%Y-%m-%d %H:%M} UTC (the signer's own clock)"
        if self.valid and self.intact and self.covers_document:
            lines.append("The signature is valid and nothing was changed after signing.")
        else:
            lines.append("The signature does NOT check out: " + "; ".join(self.problems))
        if self.trusted:
            lines.append("The signer's certificate is one you trust.")
        else:
            lines.append(
                "The signer's certificate is not one you said you trust (pass it with --trust)."
            )
        if self.self_made:
            lines.append(
                "Its certificate is self-made: it proves the same key signed, not who the "
                "person is."
            )
        elif not self.trusted:
            lines.append(
                "Until you trust its certificate, it proves only that the holder of this key "
                "signed, not who they are."
            )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "signed": self.signed,
            "intact": self.intact,
            "covers_document": self.covers_document,
            "valid": self.valid,
            "trusted": self.trusted,
            "signer": self.signer,
            "signer_fingerprint": self.signer_fingerprint,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "self_made": self.self_made,
            "problems": list(self.problems),
        }


def _unsigned(problem: str) -> SignatureCheck:
    return SignatureCheck(False, False, False, False, False, None, None, None, False, (problem,))


def _load_trusted(trusted: Sequence[bytes]) -> list[Any]:
    from cryptography import x509

    roots = []
    for blob in trusted:
        try:
            if b"-----BEGIN" in blob:
                roots += x509.load_pem_x509_certificates(blob)
            else:
                roots.append(x509.load_der_x509_certificate(blob))
        except ValueError:
            continue
    return [_asn1_cert(c) for c in roots]


def check_pdf_signature(pdf: bytes, trusted: Sequence[bytes] = ()) -> SignatureCheck:
    """Check the last signature of a PDF; never raises on hostile input."""
    try:
        return _check(pdf, trusted)
    except Exception as exc:  # a damaged file is a finding, not a crash
        return _unsigned(f"the PDF cannot be read as a signed document ({type(exc).__name__})")


def _check(pdf: bytes, trusted: Sequence[bytes]) -> SignatureCheck:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    signatures = reader.embedded_signatures
    if not signatures:
        return _unsigned("the PDF has no signature")
    # An Inkseal report is signed once. The first signature is the one that was made with the
    # report; anything after it, another signature included, is a change made after signing.
    sig = signatures[0]
    roots = _load_trusted(trusted)
    # A list (even an empty one) keeps the operating system's trust list out: only the
    # certificates the reader named are trusted. Nothing is fetched from the network.
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    # pyHanko asks for nonRepudiation by default; a certificate from a CA that allows only
    # digitalSignature is a signing certificate too (as PDF readers see it).
    usage = KeyUsageConstraints(
        key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
    )
    try:
        # Any change after signing already fails `covers_document`, so pyHanko's analysis of
        # which later changes would be harmless is not needed (and not run on hostile input).
        status = validate_pdf_signature(sig, context, key_usage_settings=usage, skip_diff=True)
    except Exception as exc:  # a signature that cannot be parsed is a finding
        return SignatureCheck(True, False, False, False, False, None, None, None, False, (
            f"the signature is damaged and cannot be checked ({type(exc).__name__})",
        ))  # fmt: skip
    cert = status.signing_cert
    signer = None
    fingerprint = None
    self_made = False
    if cert is not None:
        subject = cert.subject.native
        signer = subject.get("common_name")
        if subject.get("email_address"):
            signer = f"{signer} <{subject['email_address']}>"
        fingerprint = cert.sha256.hex()
        issuer_cn = cert.issuer.native.get("common_name") or ""
        self_made = str(issuer_cn).startswith(ISSUER_PREFIX)
    intact = bool(status.intact)
    # pyHanko's `valid` is about the signature over the signed attributes alone, which still
    # verifies when the document bytes were changed; here valid means it verifies for this file.
    valid = bool(status.valid) and intact
    covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE and len(signatures) == 1
    problems = []
    if not intact:
        problems.append("the signed content was changed after signing")
    if not status.valid:
        problems.append("the signature does not match the signer's key")
    if len(signatures) > 1:
        problems.append(f"another signature was added after signing ({len(signatures) - 1} more)")
    if not covers:
        problems.append("the document was changed or added to after it was signed")
    if roots and not status.trusted:
        problems.append("the signer's certificate does not lead to one you trust")
    return SignatureCheck(
        signed=True,
        intact=intact,
        covers_document=covers,
        valid=valid,
        trusted=bool(status.trusted),
        signer=signer,
        signer_fingerprint=fingerprint,
        signed_at=status.signer_reported_dt,
        self_made=self_made,
        problems=tuple(problems),
    )
