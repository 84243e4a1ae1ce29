"""Every file in ../shared/corpus, as `scan` sees it, against MANIFEST.tsv; and what import
stores and flags. (Per-detector details are in test_detect_generators / test_detect_c2pa.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from inkseal.library.scan import ScanResult, scan_file
from tests.conftest import CORPUS, read_manifest

AI = ("ai-generated", "ai-assisted")
# Tool named by the file's family (file name prefix) or by the file itself.
EXPECTED_TOOL = {
    "ai-a1111__": "AUTOMATIC1111",
    "ai-comfyui__": "ComfyUI",
    "ai-fooocus__": "Fooocus",
    "ai-invokeai__": "InvokeAI",
    "ai-novelai__": "NovelAI",
    "c2pa-ai__google": "Google",
    "c2pa-ai__photoshop-firefly": "Adobe Firefly",
}


@pytest.fixture(scope="module")
def scanned() -> dict[str, ScanResult]:
    if not (CORPUS / "MANIFEST.tsv").exists():
        pytest.skip("../shared/corpus is not present")
    return {row["file"]: scan_file(CORPUS / row["file"]) for row in read_manifest()}


def test_ai_files_are_suggested_ai_with_the_right_tool(scanned) -> None:
    rows = [r for r in read_manifest() if r["expected_provenance"] == "ai-generated"]
    assert len(rows) >= 18
    for row in rows:
        r = scanned[row["file"]]
        assert r.suggested_class in AI, (row["file"], r.suggested_class)
        prefix = next(p for p in EXPECTED_TOOL if row["file"].startswith(p))
        tools = " ".join(f.tool or "" for f in r.findings)
        assert EXPECTED_TOOL[prefix] in tools, (row["file"], tools)


def test_no_camera_or_human_file_is_suggested_ai(scanned) -> None:
    for row in read_manifest():
        if row["expected_provenance"] in ("camera", "human"):
            r = scanned[row["file"]]
            assert r.suggested_class not in AI, (row["file"], r.findings)
            assert not [f for f in r.findings if f.verdict in AI], row["file"]


def test_cameras_named_in_exif_suggest_human_made(scanned) -> None:
    for name in (
        "camera__canon-rebel.jpg",
        "camera__apple-iphone7.jpg",
        "camera__canon-7d2-lightroom.webp",
    ):
        assert scanned[name].suggested_class == "human-made", name


def test_unknown_files_without_ai_metadata_are_not_called_ai(scanned) -> None:
    for row in read_manifest():
        if row["expected_provenance"] == "unknown":
            assert scanned[row["file"]].suggested_class not in AI, row["file"]


def test_algorithmic_media_is_not_ai(scanned) -> None:
    r = scanned["c2pa-test__created-algorithmicMedia.jpg"]
    assert r.suggested_class == "unknown"
    (c2pa,) = [f for f in r.findings if f.family == "c2pa"]
    assert c2pa.verdict == "not-generative"
    assert r.c2pa and r.c2pa["digital_source_types"] == ["algorithmicMedia"]


def test_tampered_manifests_are_reported_invalid(scanned) -> None:
    cases = {
        "c2pa-invalid__claim-signature-mismatch.jpg": "claimSignature.mismatch",
        "c2pa-invalid__data-hash-mismatch.jpg": "assertion.dataHash.mismatch",
    }
    for name, code in cases.items():
        c2pa = scanned[name].c2pa
        assert c2pa is not None and c2pa["validation_state"] == "invalid", name
        assert any(code in f for f in c2pa["failures"]), (name, c2pa["failures"])
        (finding,) = [f for f in scanned[name].findings if f.family == "c2pa"]
        assert finding.verified is False


def test_valid_content_credentials_say_who_signed(scanned) -> None:
    c2pa = scanned["c2pa-ai__photoshop-firefly-edit.jpg"].c2pa
    assert c2pa["validation_state"] in ("valid", "trusted")
    assert "Adobe" in c2pa["signer"]
    google = scanned["c2pa-ai__google-genai-1-manifest.png"].c2pa
    assert google["signer"] == "Google LLC"
    assert "trainedAlgorithmicMedia" in google["digital_source_types"]


def test_remote_manifests_are_reported_not_fetched(scanned) -> None:
    for name in ("c2pa-remote__cloud-manifest.jpg", "c2pa-remote__png-localhost-url.png"):
        c2pa = scanned[name].c2pa
        assert c2pa and c2pa["remote_url"].startswith("http")
        assert c2pa["validation_state"] == "unverified"
        assert any("not fetched" in (f.detail or "") for f in scanned[name].findings)


def test_broken_files_give_an_error_or_a_warning_never_a_traceback(scanned) -> None:
    for row in read_manifest():
        if row["expected_provenance"] != "broken":
            continue
        r = scanned[row["file"]]
        said = [r.error] if r.error else []
        said += list(r.warnings)
        if r.c2pa and r.c2pa.get("error"):
            said.append(r.c2pa["error"])
        if row["file"] == "broken__bomb-extents.gif":
            continue  # scan does not walk frames; import refuses it (test_corpus_import)
        if row["file"] == "broken__bad-mpo-header.jpg":
            continue  # only decoding notices; import warns (test_corpus_import)
        assert said, row["file"]
        assert all("\n" not in s and "Traceback" not in s for s in said)


def test_prompts_from_the_corpus_are_searchable_after_import(tmp_path: Path, corpus) -> None:
    from inkseal.library.importer import import_paths
    from inkseal.library.library import open_library
    from inkseal.library.works import declare, get_work, list_works

    with open_library(tmp_path / "lib") as lib:
        report = import_paths(
            lib,
            [
                corpus / "ai-a1111__png-parameters-1x1.png",
                corpus / "camera__canon-rebel.jpg",
                corpus / "c2pa-ai__photoshop-firefly-edit.jpg",
            ],
        )
        ids = {Path(o.path).name: o.work_id for o in report.outcomes}
        duck = get_work(lib, ids["ai-a1111__png-parameters-1x1.png"])
        assert duck.suggested_class == "ai-generated"
        (sig,) = [s for f in duck.files for s in f.signals if s.family == "a1111"]
        assert sig.prompt == "photo of a duck" and sig.tool == "AUTOMATIC1111 web UI"
        assert [w.id for w in list_works(lib, search="photo of a duck")] == [duck.id]
        assert [w.id for w in list_works(lib, search="realisticVision")] == [duck.id]

        # Declaring human-made against generator parameters flags the work, with the reason.
        declare(lib, duck.id, "human-made")
        flagged = get_work(lib, duck.id)
        assert flagged.needs_review and "AUTOMATIC1111" in flagged.review_reason
        assert flagged.provenance_class == "human-made"  # the declaration stands
        assert [w.id for w in list_works(lib, needs_review=True)] == [duck.id]
        declare(lib, duck.id, "ai-generated", [])
        assert not get_work(lib, duck.id).needs_review

        firefly = get_work(lib, ids["c2pa-ai__photoshop-firefly-edit.jpg"])
        assert firefly.files[0].metadata["c2pa"]["signer"].startswith("Adobe")
        declare(lib, firefly.id, "human-made")
        assert get_work(lib, firefly.id).needs_review

        camera = get_work(lib, ids["camera__canon-rebel.jpg"])
        assert camera.suggested_class == "human-made"
        declare(lib, camera.id, "ai-generated")
        reason = get_work(lib, camera.id).review_reason
        assert reason and "Canon" in reason
