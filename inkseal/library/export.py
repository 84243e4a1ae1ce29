"""Exported copies of works: the primary file (as it is, or as JPEG/PNG), optionally signed
with Content Credentials (C2PA) by the artist's identity, optionally with an XMP sidecar.

Originals stay untouched: copies are made from the library's stored bytes. Names come from
titles but are made safe (no folders, no control characters, no hidden names), and an existing
file is never replaced unless asked. Signing is offline: no time-stamp server.

What the signature says, in plain words: a C2PA manifest signed with a self-made certificate
proves that the same key signed every copy; it records what the artist declared (how the work
was made, which AI tools did what), it does not prove it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inkseal import __version__
from inkseal.library.dto import FileDetail, WorkDetail
from inkseal.library.errors import InvalidInput
from inkseal.library.events import append_event
from inkseal.library.library import Library
from inkseal.library.safewrite import write_file
from inkseal.library.works import get_work

FORMATS = ("original", "jpeg", "png")
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
SOURCE_TYPES = {
    "human-made": "digitalCreation",
    "ai-assisted": "compositeWithTrainedAlgorithmicMedia",
    "ai-generated": "trainedAlgorithmicMedia",
}
# Stages at which an AI tool generates pixels; others (upscaling, editing) enhance them.
GENERATIVE_STAGES = {"generation", "inpainting", "background", "colouring", "sketch", "composition"}
C2PA_MIME = {
    "image/jpeg": "image/jpeg",
    "image/png": "image/png",
    "image/webp": "image/webp",
    "image/tiff": "image/tiff",
    "image/avif": "image/avif",
    "image/heic": "image/heic",
    "image/heif": "image/heif",
    "image/gif": "image/gif",
}
EXTENSIONS = {"jpeg": "jpg", "png": "png"}
PARENT_LABEL = "inkseal-parent"
ExportProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class ExportOutcome:
    work_id: int
    target: str | None
    status: str  # "written" or "failed"
    reason: str | None = None
    signed: bool = False
    sidecar: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "work_id": self.work_id,
            "path": self.target,
            "status": self.status,
            "reason": self.reason,
            "c2pa": self.signed,
            "xmp": self.sidecar,
        }


def safe_name(title: str, work_id: int, ext: str) -> str:
    """A file name from a title that cannot leave the folder or hide: "Crane (#12).png"."""
    text = unicodedata.normalize("NFC", title)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = re.sub(r'[\\/:*?"<>|]+', " ", text)
    text = " ".join(text.split()).strip(" .")
    text = text[:120].rstrip(" .") or "work"
    return f"{text} (#{work_id}).{ext}"


def _primary(w: WorkDetail) -> FileDetail:
    for f in w.files:
        if f.info.role == "primary":
            return f
    raise InvalidInput(f"work {w.id} has no primary file")


def _converted(data: bytes, fmt: str) -> bytes:
    from PIL import ImageOps

    from inkseal.library.imaging import open_image

    img = ImageOps.exif_transpose(open_image(data))
    out = io.BytesIO()
    if fmt == "jpeg":
        img.convert("RGB").save(out, "JPEG", quality=92)
    elif img.mode in ("RGB", "RGBA", "L", "LA"):
        img.save(out, "PNG")
    else:
        img.convert("RGBA").save(out, "PNG")
    return out.getvalue()


def manifest_for(
    w: WorkDetail, *, opened: bool, default_do_not_train: bool | None = None
) -> dict[str, Any]:
    """The C2PA manifest definition for a copy of `w` (see the module docstring). The work's
    own training preference wins over `default_do_not_train` (the one in Preferences)."""
    source = SOURCE_TYPES.get(w.provenance_class)
    first: dict[str, Any] = {"action": "c2pa.opened" if opened else "c2pa.created"}
    if opened:  # C2PA 2: an "opened" action names the ingredient it opened
        first["parameters"] = {"ingredientIds": [PARENT_LABEL]}
    if source:
        first["digitalSourceType"] = IPTC + source
    first["softwareAgent"] = {"name": "Inkseal", "version": __version__}
    actions = [first]
    for use in w.declaration.ai_uses if w.declaration else ():
        generative = use.stage in GENERATIVE_STAGES or w.provenance_class == "ai-generated"
        actions.append(
            {
                "action": "c2pa.edited",
                "softwareAgent": {"name": use.tool[:200]},
                "digitalSourceType": IPTC
                + ("trainedAlgorithmicMedia" if generative else "algorithmicallyEnhanced"),
                "description": (f"{use.stage}: {use.note}" if use.note else use.stage)[:500],
            }
        )
    assertions: list[dict[str, Any]] = [{"label": "c2pa.actions.v2", "data": {"actions": actions}}]
    if w.creator:
        assertions.append(
            {
                "label": "stds.schema-org.CreativeWork",
                "data": {
                    "@context": "https://schema.org",
                    "@type": "CreativeWork",
                    "author": [{"@type": "Person", "name": w.creator[:500]}],
                    "name": w.title[:500],
                },
            }
        )
    do_not_train = w.do_not_train if w.do_not_train is not None else default_do_not_train
    if do_not_train is not None:
        use_value = "notAllowed" if do_not_train else "allowed"
        assertions.append(
            {
                "label": "cawg.training-mining",
                "data": {
                    "entries": {
                        key: {"use": use_value}
                        for key in (
                            "cawg.ai_generative_training",
                            "cawg.ai_training",
                            "cawg.ai_inference",
                            "cawg.data_mining",
                        )
                    }
                },
            }
        )
    return {
        "claim_generator_info": [{"name": "Inkseal", "version": __version__}],
        "title": w.title[:500],
        "assertions": assertions,
    }


def _signer(lib: Library, passphrase: str | None) -> Any:
    import c2pa
    from cryptography.hazmat.primitives import serialization

    from inkseal.library.identity import export_certificate, signing_material

    material = signing_material(lib.root, passphrase)
    key_pem = material.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    info = c2pa.C2paSignerInfo(
        c2pa.C2paSigningAlg.ES256, export_certificate(lib.root), key_pem, None
    )
    return c2pa.Signer.from_info(info)


def _sign(
    w: WorkDetail,
    data: bytes,
    mime: str,
    signer: Any,
    carries_manifest: bool,
    default_do_not_train: bool | None,
) -> bytes:
    import c2pa

    from inkseal.library.detect.c2pa import _c2pa_context

    definition = manifest_for(w, opened=carries_manifest, default_do_not_train=default_do_not_train)
    out = io.BytesIO()
    with c2pa.Builder(json.dumps(definition), context=_c2pa_context()) as builder:
        if carries_manifest:
            # The file's own Content Credentials stay, as the parent of this copy.
            builder.add_ingredient(
                json.dumps(
                    {"title": "original", "relationship": "parentOf", "label": PARENT_LABEL}
                ),
                mime,
                io.BytesIO(data),
            )
        for f in w.files:
            i = f.info
            if i.role == "primary" or i.media_type not in ("image/jpeg", "image/png"):
                continue
            try:
                evidence = Path(i.path).read_bytes()
            except OSError:
                continue
            builder.add_ingredient(
                json.dumps({"title": i.original_name[:200], "relationship": "componentOf"}),
                i.media_type,
                io.BytesIO(evidence),
            )
        builder.sign(signer, mime, io.BytesIO(data), out)
    return out.getvalue()


def _write_new(path: Path, data: bytes, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise FileExistsError(str(path))
    write_file(path, data, replace=overwrite)


def export_copies(
    lib: Library,
    work_ids: Sequence[int],
    to_dir: str | os.PathLike[str],
    *,
    c2pa: bool = False,
    xmp: bool = False,
    fmt: str = "original",
    passphrase: str | None = None,
    overwrite: bool = False,
    default_do_not_train: bool | None = None,
    progress: ExportProgress | None = None,
) -> list[ExportOutcome]:
    """Write a copy of each work's primary file into `to_dir` (see the module docstring)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    folder = Path(to_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"cannot make the folder {folder}: {exc.strerror}") from exc
    signer = _signer(lib, passphrase) if c2pa else None
    outcomes: list[ExportOutcome] = []
    for n, wid in enumerate(work_ids, start=1):
        outcomes.append(
            _export_one(lib, wid, folder, signer, xmp, fmt, overwrite, default_do_not_train)
        )
        if progress:
            progress(n, len(work_ids))
    return outcomes


def _export_one(
    lib: Library,
    wid: int,
    folder: Path,
    signer: Any,
    xmp: bool,
    fmt: str,
    overwrite: bool,
    default_do_not_train: bool | None,
) -> ExportOutcome:
    try:
        w = get_work(lib, wid)
        f = _primary(w)
        data = Path(f.info.path).read_bytes()
        if hashlib.sha256(data).hexdigest() != f.info.sha256:
            return ExportOutcome(wid, None, "failed", "the stored file changed since import")
        mime = f.info.media_type
        ext = Path(f.info.path).suffix.lstrip(".") or "bin"
        if fmt != "original":
            data = _converted(data, fmt)
            mime = "image/jpeg" if fmt == "jpeg" else "image/png"
            ext = EXTENSIONS[fmt]
        target = folder / safe_name(w.title, w.id, ext)
        signed = False
        if signer is not None:
            if w.provenance_class not in SOURCE_TYPES:
                reason = "declare how the work was made first: Content Credentials say it"
                return ExportOutcome(wid, None, "failed", reason)
            if mime not in C2PA_MIME:
                return ExportOutcome(
                    wid, None, "failed", f"{mime} cannot carry Content Credentials"
                )
            carries = fmt == "original" and isinstance(f.metadata.get("c2pa"), dict)
            data = _sign(w, data, mime, signer, carries, default_do_not_train)
            signed = True
        _write_new(target, data, overwrite)
        sidecar = None
        if xmp:
            from inkseal.library.xmp_sidecar import sidecar_xmp

            side = target.with_suffix(".xmp")
            _write_new(side, sidecar_xmp(w, file_name=target.name), overwrite)
            sidecar = str(side)
    except FileExistsError as exc:
        return ExportOutcome(wid, None, "failed", f"{exc} exists; not replaced")
    except InvalidInput as exc:
        return ExportOutcome(wid, None, "failed", str(exc))
    except Exception as exc:  # one work's failure must not stop the others
        return ExportOutcome(wid, None, "failed", f"{type(exc).__name__}: {exc}"[:300])
    with lib.write.begin() as s:
        append_event(
            s,
            "work.exported",
            wid,
            {"what": "copy", "to": target.name, "c2pa": signed, "xmp": sidecar is not None},
        )
    return ExportOutcome(wid, str(target), "written", None, signed, sidecar)
