"""The catalogue as a file: JSON (which imports back, losing nothing) and CSV (for
spreadsheets, export only).

Importing goes through the real services, so every work arrives with its events like any
other work and `verify` stays content: the primary file through the import pipeline (hashed,
described, detected), then title, fields, each declaration in order, tags, collections, the
evidence files with their roles, the training preference and, once every work is there, the
links. The files' bytes come from a folder (the old library's, or any folder holding them),
found by SHA-256 whatever their names.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inkseal import __version__
from inkseal.library.errors import InvalidInput
from inkseal.library.library import Library
from inkseal.library.safewrite import write_file
from inkseal.library.works import get_work, list_works
from inkseal.models.entities import AIStage, FileRole, LinkKind, ProvenanceClass

FORMAT = "inkseal-catalogue/1"
MAX_WORKS = 1_000_000
MAX_TEXT = 20_000


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _work_json(lib: Library, work_id: int) -> dict[str, Any]:
    w = get_work(lib, work_id)
    files = []
    for f in sorted(w.files, key=lambda f: (f.info.position, f.info.id)):
        i = f.info
        stored = os.path.relpath(i.path, lib.root) if not i.referenced else None
        files.append(
            {
                "role": i.role,
                "position": i.position,
                "name": i.original_name,
                "sha256": i.sha256,
                "size": i.size,
                "media_type": i.media_type,
                "width": i.width,
                "height": i.height,
                "file_modified_at": _iso(i.file_modified_at),
                "imported_at": _iso(i.imported_at),
                "stored_path": stored,
                "referenced_path": i.path if i.referenced else None,
            }
        )
    return {
        "id": w.id,
        "title": w.title,
        "creator": w.creator,
        "creation_date": w.creation_date,
        "medium": w.medium,
        "description": w.description,
        "class": w.provenance_class,
        "do_not_train": w.do_not_train,
        "tags": list(w.tags),
        "collections": list(w.collections),
        "declarations": [
            {
                "class": d.provenance_class,
                "ai_uses": [u.to_json() for u in d.ai_uses],
                "note": d.note,
                "declared_by": d.declared_by,
                "declared_at": _iso(d.declared_at),
            }
            for d in w.declarations
        ],
        "files": files,
        "links": [
            {"kind": x.kind, "target": x.other_id} for x in w.links if x.direction == "outgoing"
        ],
    }


def _cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: titles come from file names and
    metadata, and one starting with = + - @ would otherwise run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_catalogue(lib: Library, target: Path) -> int:
    """Write every work not in the Trash to `target` (.json or .csv); returns how many."""
    suffix = target.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise InvalidInput("a catalogue is a .json or a .csv file")
    entries = [_work_json(lib, w.id) for w in reversed(list_works(lib))]
    if suffix == ".json":
        data = json.dumps(
            {
                "format": FORMAT,
                "exported_at": datetime.now(UTC).isoformat(),
                "generator": f"Inkseal {__version__}",
                "works": entries,
            },
            ensure_ascii=False,
            indent=1,
        ).encode("utf-8")
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            ["id", "title", "creator", "creation_date", "medium", "class", "ai_uses", "tags",
             "collections", "files"]
        )  # fmt: skip
        for e in entries:
            uses = e["declarations"][-1]["ai_uses"] if e["declarations"] else []
            writer.writerow(
                [_cell(v) for v in (
                    e["id"], e["title"], e["creator"] or "", e["creation_date"] or "",
                    e["medium"] or "", e["class"],
                    "; ".join(f"{u['tool']}:{u['stage']}:{u['note'] or ''}" for u in uses),
                    "; ".join(e["tags"]), "; ".join(e["collections"]),
                    "; ".join(f"{f['role']}:{f['name']}:{f['sha256']}" for f in e["files"]),
                )]
            )  # fmt: skip
        # With a byte-order mark, spreadsheets open the file as UTF-8 (titles in any script).
        data = ("\ufeff" + out.getvalue()).encode("utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_file(target, data)
    return len(entries)


@dataclass(frozen=True)
class CatalogueImport:
    works_added: int
    works_skipped: int
    files_missing: tuple[str, ...]
    problems: tuple[str, ...]
    id_map: dict[int, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "works_added": self.works_added,
            "works_skipped": self.works_skipped,
            "files_missing": list(self.files_missing),
            "problems": list(self.problems),
            "id_map": {str(k): v for k, v in self.id_map.items()},
        }


def _text(value: Any, what: str, *, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise InvalidInput(f"the catalogue's {what} is not text of at most {MAX_TEXT} characters")
    return value


def _validate(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InvalidInput(f"not an Inkseal catalogue (expected format {FORMAT})")
    entries = doc.get("works")
    if not isinstance(entries, list) or len(entries) > MAX_WORKS:
        raise InvalidInput("the catalogue's works are not a list")
    classes = {c.value for c in ProvenanceClass}
    stages = {s.value for s in AIStage}
    roles = {r.value for r in FileRole}
    kinds = {k.value for k in LinkKind}
    for e in entries:
        if not isinstance(e, dict) or not isinstance(e.get("id"), int):
            raise InvalidInput("a work in the catalogue has no id")
        _text(e.get("title"), "title", optional=False)
        for name in ("creator", "creation_date", "medium", "description"):
            _text(e.get(name), name)
        if e.get("class") not in classes:
            raise InvalidInput(f"work {e['id']}: unknown class {e.get('class')!r}")
        for d in e.get("declarations") or []:
            if not isinstance(d, dict) or d.get("class") not in classes:
                raise InvalidInput(f"work {e['id']}: a declaration has an unknown class")
            for u in d.get("ai_uses") or []:
                if not isinstance(u, dict) or u.get("stage") not in stages:
                    raise InvalidInput(f"work {e['id']}: an AI use has an unknown stage")
                _text(u.get("tool"), "AI tool", optional=False)
        files = e.get("files")
        if not isinstance(files, list) or not files:
            raise InvalidInput(f"work {e['id']} has no files")
        for f in files:
            if not isinstance(f, dict) or f.get("role") not in roles:
                raise InvalidInput(f"work {e['id']}: a file has an unknown role")
            sha = f.get("sha256")
            if not isinstance(sha, str) or len(sha) != 64:
                raise InvalidInput(f"work {e['id']}: a file has no SHA-256")
        for x in e.get("links") or []:
            if not isinstance(x, dict) or x.get("kind") not in kinds:
                raise InvalidInput(f"work {e['id']}: a link has an unknown kind")
        for name in ("tags", "collections"):
            if not all(isinstance(t, str) for t in e.get(name) or []):
                raise InvalidInput(f"work {e['id']}: its {name} are not text")
    return entries


class _Finder:
    """Files by SHA-256 under a folder: the stored path first, else by hashing (once each)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._by_sha: dict[str, Path] | None = None

    def find(self, f: dict[str, Any]) -> Path | None:
        sha = f["sha256"]
        if self.root is None:
            return None
        for rel in (f.get("stored_path"),):
            if isinstance(rel, str):
                candidate = (self.root / rel).resolve()
                if candidate.is_relative_to(self.root.resolve()) and self._is(candidate, sha):
                    return candidate
        if self._by_sha is None:
            self._by_sha = {}
            for path in sorted(self.root.rglob("*")):
                if path.is_file() and not path.name.endswith(".part"):
                    try:
                        with open(path, "rb") as fh:
                            digest = hashlib.file_digest(fh, "sha256").hexdigest()
                    except OSError:
                        continue
                    self._by_sha.setdefault(digest, path)
        return self._by_sha.get(sha)

    @staticmethod
    def _is(path: Path, sha: str) -> bool:
        try:
            with open(path, "rb") as fh:
                return hashlib.file_digest(fh, "sha256").hexdigest() == sha
        except OSError:
            return False


def import_catalogue(lib: Library, source: Path, files_from: Path | None = None) -> CatalogueImport:
    """Bring the works of a JSON catalogue into `lib` (see the module docstring)."""
    try:
        doc = json.loads(source.read_bytes())
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"the catalogue cannot be read: {exc}") from exc
    entries = _validate(doc)
    finder = _Finder(files_from)
    with tempfile.TemporaryDirectory(prefix="inkseal-catalogue-") as tmp:
        return _import(lib, entries, finder, Path(tmp))


def _named_copy(found: Path, f: dict[str, Any], tmp: Path) -> Path:
    """The found bytes under the file's original name and date (the store names files by
    their hash), so the imported file keeps both."""
    name = Path(str(f.get("name") or found.name)).name[:200] or found.name
    folder = tmp / uuid.uuid4().hex
    folder.mkdir()
    target = folder / name
    shutil.copyfile(found, target)
    when = f.get("file_modified_at")
    if isinstance(when, str):
        with contextlib.suppress(ValueError, OSError):
            stamp = datetime.fromisoformat(when).timestamp()
            os.utime(target, (stamp, stamp))
    return target


def _import(
    lib: Library, entries: list[dict[str, Any]], finder: _Finder, tmp: Path
) -> CatalogueImport:
    from inkseal.library import evidence, links, works
    from inkseal.library.importer import import_paths

    id_map: dict[int, int] = {}
    added = skipped = 0
    missing: list[str] = []
    problems: list[str] = []
    for e in entries:
        files = sorted(e["files"], key=lambda f: f.get("position", 0))
        primary = next((f for f in files if f["role"] == "primary"), files[0])
        path = finder.find(primary)
        if path is None:
            missing.append(str(primary.get("name")))
            skipped += 1
            continue
        (outcome,) = import_paths(lib, [_named_copy(path, primary, tmp)]).outcomes
        if outcome.work_id is None:
            problems.append(f"{primary.get('name')}: {outcome.reason}")
            skipped += 1
            continue
        id_map[e["id"]] = outcome.work_id
        if outcome.status == "duplicate":
            skipped += 1
            continue
        wid = outcome.work_id
        added += 1
        works.rename(lib, wid, e["title"])
        fields = {n: e.get(n) for n in ("creator", "creation_date", "medium", "description")}
        works.edit_fields(lib, wid, {n: v for n, v in fields.items() if v})
        for d in e.get("declarations") or []:
            uses = [
                works.AIUseInput(u["tool"], u["stage"], u.get("note"))
                for u in d.get("ai_uses") or []
            ]
            works.declare(
                lib, wid, d["class"], uses, d.get("note"), d.get("declared_by"),
                allow_undeclared=True,
            )  # fmt: skip
        if e.get("tags"):
            works.add_tags(lib, wid, e["tags"])
        if e.get("collections"):
            works.add_to_collections(lib, wid, e["collections"])
        if isinstance(e.get("do_not_train"), bool):
            works.set_do_not_train(lib, wid, e["do_not_train"])
        for f in files:
            if f is primary:
                continue
            found = finder.find(f)
            if found is None:
                missing.append(str(f.get("name")))
                continue
            role = f["role"] if f["role"] != "primary" else "wip"
            copy = _named_copy(found, f, tmp)
            (o,) = evidence.attach_files(lib, wid, [copy], role).outcomes
            if o.status == "failed":
                problems.append(f"{f.get('name')}: {o.reason}")
            elif f["role"] == "primary" and o.file_id is not None:
                evidence.set_role(lib, o.file_id, "primary")
    for e in entries:
        for x in e.get("links") or []:
            src, dst = id_map.get(e["id"]), id_map.get(x.get("target"))
            if src is not None and dst is not None and src != dst:
                links.link_works(lib, src, dst, x["kind"])
    return CatalogueImport(added, skipped, tuple(missing), tuple(problems), id_map)
