"""Exported copies signed with Content Credentials, read back with c2pa-python and scan."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import c2pa
import pytest

from inkseal.library import identity, works
from inkseal.library.evidence import attach_files
from inkseal.library.export import IPTC, export_copies, safe_name
from inkseal.library.importer import import_paths
from inkseal.library.scan import scan_file
from tests.images import gradient, save

SETTINGS = {
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    "core": {"allowed_network_hosts": []},
}


def _read(path: Path, trust: bytes | None = None) -> dict:
    settings = dict(SETTINGS)
    if trust is not None:
        # The artist's issuing certificate (the one after the signing certificate).
        issuer = trust.decode().split("-----END CERTIFICATE-----\n", 1)[1]
        settings = {**SETTINGS, "trust": {"trust_anchors": issuer}}
    ctx = c2pa.Context.from_dict(settings)
    mime = "image/png" if path.suffix == ".png" else "image/jpeg"
    with c2pa.Reader(mime, io.BytesIO(path.read_bytes()), context=ctx) as reader:
        return json.loads(reader.json())


def _active(store: dict) -> dict:
    return store["manifests"][store["active_manifest"]]


def _assertion(manifest: dict, label: str) -> dict:
    return next(a["data"] for a in manifest["assertions"] if a["label"].startswith(label))


@pytest.fixture
def declared(lib, tmp_path: Path) -> dict[str, int]:
    identity.create_identity(lib.root, "Lin Xiaoyu", "lin@example.org")
    paths = [
        save(gradient((120, 90), seed=s * 13), tmp_path / f"{n}.{ext}", fmt)
        for s, (n, ext, fmt) in enumerate(
            [("hand", "png", "PNG"), ("assisted", "jpg", "JPEG"), ("generated", "png", "PNG")]
        )
    ]
    made = [o.work_id for o in import_paths(lib, paths).outcomes]
    ids = dict(zip(["hand", "assisted", "generated"], made, strict=True))
    works.edit_fields(lib, ids["hand"], {"creator": "Lin Xiaoyu"})
    works.declare(lib, ids["hand"], "human-made")
    works.declare(
        lib,
        ids["assisted"],
        "ai-assisted",
        [
            works.AIUseInput("Stable Diffusion XL", "background", "sky only"),
            works.AIUseInput("Topaz Gigapixel", "upscaling"),
        ],
    )
    works.declare(
        lib, ids["generated"], "ai-generated", [works.AIUseInput("Midjourney", "generation")]
    )
    sketch = save(gradient((60, 40), seed=99), tmp_path / "sketch.png", "PNG")
    attach_files(lib, ids["hand"], [sketch], "sketch")
    return ids  # type: ignore[return-value]


def test_each_class_signed_and_read_back(lib, declared, tmp_path: Path) -> None:
    assert works.set_do_not_train(lib, declared["hand"], True) is None  # opts out
    works.set_do_not_train(lib, declared["generated"], False)
    out = tmp_path / "out"
    outcomes = export_copies(
        lib, list(declared.values()), out, c2pa=True, default_do_not_train=True
    )
    assert [o.status for o in outcomes] == ["written"] * 3, outcomes
    by_id = {o.work_id: Path(o.target) for o in outcomes}
    expected = {
        "hand": "digitalCreation",
        "assisted": "compositeWithTrainedAlgorithmicMedia",
        "generated": "trainedAlgorithmicMedia",
    }
    cert = identity.export_certificate(lib.root)
    for key, term in expected.items():
        path = by_id[declared[key]]
        store = _read(path)
        assert store["validation_state"] == "Valid", store.get("validation_status")
        assert _read(path, trust=cert)["validation_state"] == "Trusted"
        m = _active(store)
        actions = _assertion(m, "c2pa.actions")["actions"]
        assert actions[0]["action"] == "c2pa.created"
        assert actions[0]["digitalSourceType"] == IPTC + term
        # Inkseal's own scan reads it back too.
        scanned = scan_file(path)
        assert scanned.c2pa is not None and scanned.c2pa["validation_state"] in ("valid", "trusted")
    assisted = _active(_read(by_id[declared["assisted"]]))
    tools = [
        (a.get("softwareAgent", {}).get("name"), a.get("digitalSourceType", "").rsplit("/", 1)[-1])
        for a in _assertion(assisted, "c2pa.actions")["actions"][1:]
    ]
    assert tools == [
        ("Stable Diffusion XL", "trainedAlgorithmicMedia"),
        ("Topaz Gigapixel", "algorithmicallyEnhanced"),
    ]
    hand = _active(_read(by_id[declared["hand"]]))
    mining = _assertion(hand, "cawg.training-mining")["entries"]
    assert mining["cawg.ai_generative_training"]["use"] == "notAllowed"
    assert [i["title"] for i in hand["ingredients"]] == ["sketch.png"]
    generated = _active(_read(by_id[declared["generated"]]))
    mining = _assertion(generated, "cawg.training-mining")["entries"]
    assert mining["cawg.data_mining"]["use"] == "allowed"  # the work's own wins
    assisted_mining = _assertion(assisted, "cawg.training-mining")["entries"]
    assert assisted_mining["cawg.ai_training"]["use"] == "notAllowed"  # the default
    author = _assertion(hand, "stds.schema-org.CreativeWork")["author"][0]["name"]
    assert author == "Lin Xiaoyu"
    # The library's originals are untouched and the export is in the history.
    for wid in declared.values():
        w = works.get_work(lib, wid)
        assert w.history[-1].kind == "work.exported" and w.history[-1].payload["c2pa"] is True


def test_a_copy_changed_after_signing_fails(lib, declared, tmp_path: Path) -> None:
    (o,) = export_copies(lib, [declared["assisted"]], tmp_path / "o", c2pa=True)
    path = Path(o.target)
    data = bytearray(path.read_bytes())
    data[-200] ^= 0xFF  # a byte of the image data
    path.write_bytes(bytes(data))
    store = _read(path)
    assert store["validation_state"] == "Invalid"
    codes = [s["code"] for s in store.get("validation_status", [])]
    assert any("mismatch" in c for c in codes), codes


def test_a_manifest_already_in_the_file_stays_as_parent(lib, corpus, tmp_path: Path) -> None:
    identity.create_identity(lib.root, "Lin Xiaoyu")
    src = corpus / "c2pa-ai__photoshop-firefly-edit.jpg"
    (o,) = import_paths(lib, [src]).outcomes
    works.declare(lib, o.work_id, "ai-assisted", [works.AIUseInput("Adobe Firefly", "inpainting")])
    (out,) = export_copies(lib, [o.work_id], tmp_path / "o", c2pa=True)
    assert out.status == "written", out
    m = _active(_read(Path(out.target)))
    assert _assertion(m, "c2pa.actions")["actions"][0]["action"] == "c2pa.opened"
    parents = [i for i in m["ingredients"] if i.get("relationship") == "parentOf"]
    assert parents and parents[0].get("active_manifest")


def test_names_formats_and_no_overwrite(lib, declared, tmp_path: Path) -> None:
    assert safe_name("../../etc/passwd", 3, "png") == "etc passwd (#3).png"
    assert safe_name("a\nb\u202e\x00c", 4, "jpg") == "a b c (#4).jpg"
    assert safe_name("...", 5, "png") == "work (#5).png"
    assert safe_name("墨竹", 6, "png") == "墨竹 (#6).png"
    works.rename(lib, declared["hand"], "../escape")
    out = tmp_path / "o"
    (o,) = export_copies(lib, [declared["hand"]], out, fmt="jpeg")
    assert Path(o.target).parent == out and Path(o.target).suffix == ".jpg"
    assert Path(o.target).read_bytes()[:3] == b"\xff\xd8\xff"
    (again,) = export_copies(lib, [declared["hand"]], out, fmt="jpeg")
    assert again.status == "failed" and "not replaced" in (again.reason or "")
    (forced,) = export_copies(lib, [declared["hand"]], out, fmt="jpeg", overwrite=True)
    assert forced.status == "written"
    assert sorted(os.listdir(out)) == [Path(o.target).name]


def test_without_identity_signing_says_why(lib, tmp_path: Path) -> None:
    from inkseal.library.identity import IdentityError

    (o,) = import_paths(lib, [save(gradient(seed=1), tmp_path / "a.png", "PNG")]).outcomes
    with pytest.raises(IdentityError, match="no signing identity"):
        export_copies(lib, [o.work_id], tmp_path / "o", c2pa=True)
    assert not any((tmp_path / "o").iterdir())
