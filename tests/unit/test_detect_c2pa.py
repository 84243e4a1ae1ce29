"""The C2PA detector: finding a manifest store cheaply, reading it offline, plain words.

Real files come from ../shared/corpus (skipped when absent); MANIFEST.tsv says what each
`c2pa-*` file holds. Other tests build bytes on the spot. No test reaches the network: the
remote-manifest tests block Python sockets, and the native library's own fetching is shown
to be off with a throwaway HTTP server on 127.0.0.1 that must see no request.
"""

from __future__ import annotations

import csv
import http.server
import io
import json
import os
import random
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from inkseal.library import formats, imaging, metadata
from inkseal.library.detect import c2pa as c2pa_detect
from inkseal.library.detect.base import FileFacts
from inkseal.library.detect.c2pa import (
    C2PASummary,
    detect_c2pa,
    has_manifest_store,
    remote_manifest_url,
)
from tests.detect_helpers import assert_scan_reads_alike

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
REMOTE_FILES = {"c2pa-remote__cloud-manifest.jpg", "c2pa-remote__png-localhost-url.png"}
C2PA_JUMD = b"jumdc2pa\x00\x11\x00\x10\x80\x00\x00\xaa\x00\x38\x9b\x71"


# --------------------------------------------------------------------------------------------
# Helpers


def facts_from(data: bytes) -> FileFacts:
    """FileFacts the way the importer builds them (and scan reads alike)."""
    assert_scan_reads_alike(data)
    sniffed = formats.sniff(data)
    if sniffed is None:
        return FileFacts(data, "UNKNOWN", {}, None)
    try:
        img = imaging.open_image(data)
    except imaging.DecodeError:
        img = None
    return FileFacts(data, sniffed.name, metadata.extract_metadata(data, sniffed.name, img), img)


def corpus_rows() -> list[dict[str, str]]:
    if not (CORPUS / "MANIFEST.tsv").exists():
        return []
    with open(CORPUS / "MANIFEST.tsv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


ROWS = corpus_rows()
NAMES = [r["file"] for r in ROWS if (CORPUS / r["file"]).exists()]
C2PA_NAMES = [n for n in NAMES if n.startswith("c2pa-")]
OTHER_NAMES = [n for n in NAMES if not n.startswith("c2pa-")]
needs_corpus = pytest.mark.skipif(not NAMES, reason="../shared/corpus is not present")

_facts_cache: dict[str, FileFacts] = {}


def corpus_facts(name: str) -> FileFacts:
    if name not in _facts_cache:
        _facts_cache[name] = facts_from((CORPUS / name).read_bytes())
    return _facts_cache[name]


def run(name: str) -> tuple[list[Any], C2PASummary]:
    findings, summary = detect_c2pa(corpus_facts(name))
    assert summary is not None, name
    assert len(findings) == 1, name
    return findings, summary


def png_chunk(ctype: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(ctype + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", crc)


def small_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def png_with(chunk: bytes) -> bytes:
    png = small_png()
    return png[:33] + chunk + png[33:]  # right after IHDR


def xmp_packet(provenance: str) -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'rdf:about="" xmlns:dcterms="http://purl.org/dc/terms/" '
        f'dcterms:provenance="{provenance}"/></rdf:RDF></x:xmpmeta>'
    ).encode()


def png_with_remote_reference(url: str) -> bytes:
    body = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp_packet(url)
    return png_with(png_chunk(b"iTXt", body))


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Any Python-level connection attempt is recorded and refused."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args[1:] or args)
        raise OSError("network access is not allowed in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


@pytest.fixture
def local_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every request and answers 404."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/manifest.c2pa", hits
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------------------------
# The cheap check against reality


@needs_corpus
def test_has_manifest_store_agrees_with_the_corpus() -> None:
    wrong = []
    for name in NAMES:
        facts = corpus_facts(name)
        expected = name.startswith("c2pa-") and name not in REMOTE_FILES
        if has_manifest_store(facts.data, facts.fmt, facts.metadata) != expected:
            wrong.append(name)
        # Without the metadata lists the byte walk must say the same.
        if has_manifest_store(facts.data, facts.fmt, {}) != expected:
            wrong.append(name + " (bytes only)")
    assert not wrong


@needs_corpus
@pytest.mark.parametrize("name", OTHER_NAMES)
def test_files_without_content_credentials_give_nothing(name: str) -> None:
    assert detect_c2pa(corpus_facts(name)) == ([], None)


@needs_corpus
def test_has_manifest_store_costs_microseconds_on_ordinary_files() -> None:
    facts = [corpus_facts(n) for n in OTHER_NAMES]
    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        for f in facts:
            has_manifest_store(f.data, f.fmt, f.metadata)
    per_file = (time.perf_counter() - start) / (rounds * len(facts))
    assert per_file < 200e-6, f"{per_file * 1e6:.1f} µs a file"


def test_large_plain_jpeg_is_rejected_quickly() -> None:
    rng = random.Random(7)
    img = Image.frombytes("RGB", (2000, 1500), rng.randbytes(2000 * 1500 * 3))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95)
    data = buf.getvalue()
    assert len(data) > 3_000_000
    facts = facts_from(data)
    for meta in (facts.metadata, {}):
        start = time.perf_counter()
        assert has_manifest_store(data, "JPEG", meta) is False
        assert time.perf_counter() - start < 0.005
    assert detect_c2pa(facts) == ([], None)


# --------------------------------------------------------------------------------------------
# What each corpus file says


def active_codes(summary: C2PASummary) -> set[str]:
    return set(summary.active_failure_codes)


@needs_corpus
@pytest.mark.parametrize(
    "name, manifests",
    [
        ("c2pa-ai__google-genai-1-manifest.png", 1),
        ("c2pa-ai__google-genai-8-manifests.png", 8),
        ("c2pa-ai__google-genai-30-manifests.png", 30),
    ],
)
def test_google_images_are_ai_generated(name: str, manifests: int) -> None:
    (finding,), summary = run(name)
    assert finding.source == "c2pa" and finding.family == "c2pa"
    assert finding.verdict == summary.verdict == "ai-generated"
    assert finding.tool == "Google C2PA Core Generator Library"
    assert summary.signer == "Google LLC"
    assert summary.claim_generator and summary.claim_generator.startswith(finding.tool)
    assert "trainedAlgorithmicMedia" in summary.digital_source_types
    assert summary.manifests_count == manifests
    # What c2pa-python 0.38.1 reports offline: the certificate has expired and its
    # time-stamp authority is not on a trust list here, so the store is Invalid.
    assert summary.validation_state == "invalid"
    assert {"signingCredential.expired", "signingCredential.untrusted"} <= active_codes(summary)
    assert finding.verified is False
    assert "the signing certificate had expired" in finding.detail
    assert "[signingCredential.expired]" in finding.detail
    assert "created by a generative AI model (trainedAlgorithmicMedia)" in finding.detail
    assert "Google LLC" in finding.detail
    if manifests > 1:
        assert summary.ingredients
        assert any(
            "ingredients: the signing certificate is not trusted here" in f
            for f in summary.failures
        )


@needs_corpus
def test_photoshop_edit_of_a_firefly_image() -> None:
    (finding,), summary = run("c2pa-ai__photoshop-firefly-edit.jpg")
    # Photoshop opened an image Firefly generated (text to image), cropped it and used a
    # Firefly edit: the picture itself came out of a model, so "ai-generated", although
    # Photoshop's own manifest calls the result a composite.
    assert finding.verdict == "ai-generated"
    assert summary.digital_source_types == ("compositeWithTrainedAlgorithmicMedia",)
    assert finding.tool == "Adobe Firefly"
    assert summary.claim_generator == "Adobe Photoshop 26.9.0"
    assert summary.signer == "Adobe Inc."
    assert summary.validation_state == "valid"
    assert active_codes(summary) == {"signingCredential.untrusted"}
    assert finding.verified is True
    assert "valid signature, signer not on a trust list here" in finding.detail
    assert [a["action"] for a in summary.actions] == ["c2pa.opened", "c2pa.cropped", "c2pa.edited"]
    assert summary.actions[2]["software_agent"] == "Adobe Firefly"
    (ingredient,) = summary.ingredients
    assert ingredient["title"] == "ocsp.jpg"
    assert ingredient["relationship"] == "componentOf"
    assert ingredient["digital_source_types"] == ("trainedAlgorithmicMedia",)


@needs_corpus
def test_algorithmic_media_is_not_called_ai() -> None:
    (finding,), summary = run("c2pa-test__created-algorithmicMedia.jpg")
    assert finding.verdict == "not-generative"
    assert summary.digital_source_types == ("algorithmicMedia",)
    assert "without training data" in finding.detail
    assert summary.validation_state == "valid" and finding.verified is True


@needs_corpus
def test_camera_capture_with_identity_and_training_mining() -> None:
    (finding,), summary = run("c2pa-cawg__digitalCapture-identity.jpg")
    assert finding.verdict == "human-made"
    assert summary.digital_source_types == ("digitalCapture",)
    assert summary.training_mining == {
        "cawg.ai_inference": "notAllowed",
        "cawg.ai_generative_training": "notAllowed",
    }
    assert summary.validation_state == "valid" and finding.verified is True
    assert "the creator identity's certificate is not trusted here" in " ".join(summary.failures)


@needs_corpus
@pytest.mark.parametrize(
    "name, manifests",
    [
        ("c2pa-test__opened-CA.jpg", 1),
        ("c2pa-test__CACA-2-manifests.jpg", 2),
        ("c2pa-valid__boxhash.jpg", 1),
    ],
)
def test_valid_manifests_without_a_source_type(name: str, manifests: int) -> None:
    (finding,), summary = run(name)
    assert finding.verdict is None
    assert summary.validation_state == "valid" and finding.verified is True
    assert summary.signer == "C2PA Test Signing Cert"
    assert summary.manifests_count == manifests
    assert summary.failures[0] == (
        "the signing certificate is not trusted here [signingCredential.untrusted]"
    )
    assert any(i["relationship"] == "parentOf" for i in summary.ingredients)
    assert "no digital source type stated" in finding.detail


@needs_corpus
@pytest.mark.parametrize(
    "name, code, words",
    [
        (
            "c2pa-invalid__claim-signature-mismatch.jpg",
            "claimSignature.mismatch",
            "the manifest's signature does not match",
        ),
        (
            "c2pa-invalid__data-hash-mismatch.jpg",
            "assertion.dataHash.mismatch",
            "the image content changed after signing",
        ),
    ],
)
def test_tampered_files_are_invalid(name: str, code: str, words: str) -> None:
    (finding,), summary = run(name)
    assert summary.validation_state == "invalid"
    assert code in active_codes(summary)
    assert f"{words} [{code}]" in summary.failures
    assert finding.verified is False
    assert f"not valid: {words} [{code}]" in finding.detail


@needs_corpus
def test_ingredient_failure_is_kept_apart_from_the_active_manifest() -> None:
    (finding,), summary = run("c2pa-test__ingredient-bad-signature.jpg")
    assert summary.validation_state == "valid"
    assert active_codes(summary) == {"signingCredential.untrusted"}
    assert finding.verified is True
    assert finding.verdict == "not-generative"  # created algorithmicMedia
    assert (
        "ingredient 'E-sig-CA.jpg': the manifest's signature does not match "
        "[claimSignature.mismatch]"
    ) in summary.failures
    bad = next(i for i in summary.ingredients if i["title"] == "E-sig-CA.jpg")
    assert bad["relationship"] == "componentOf"
    assert "claimSignature.mismatch" in bad["problem_codes"]
    assert "1 ingredient with validation problems" in finding.detail


@needs_corpus
def test_ingredient_uri_mismatch_deep_in_the_tree() -> None:
    (finding,), summary = run("c2pa-test__ingredient-uri-mismatch.jpg")
    assert summary.validation_state == "valid" and finding.verified is True
    assert summary.manifests_count == 3
    assert (
        "ingredient 'E-uri-CA.jpg': a referenced assertion does not match "
        "[assertion.hashedURI.mismatch]"
    ) in summary.failures
    deep = next(i for i in summary.ingredients if i["title"] == "E-uri-CA.jpg")
    assert deep["depth"] == 2


@needs_corpus
@pytest.mark.parametrize(
    "name, reason",
    [
        ("c2pa-malformed__no-alg.jpg", "unknown algorithm"),
        ("c2pa-malformed__prerelease.jpg", "prerelease content"),
    ],
)
def test_malformed_stores_are_reported_not_raised(name: str, reason: str) -> None:
    (finding,), summary = run(name)
    assert summary.error is not None and reason in summary.error
    assert finding.detail == f"Content Credentials present but unreadable: {summary.error}"
    assert finding.verdict is None and finding.verified is False
    assert summary.validation_state == "unverified"


@needs_corpus
@pytest.mark.parametrize("name", sorted(REMOTE_FILES))
def test_remote_manifests_are_reported_never_fetched(name: str, no_sockets: list[object]) -> None:
    (finding,), summary = run(name)
    url = summary.remote_url
    assert url is not None and url.startswith(("http://", "https://"))
    assert finding.source == "xmp:dcterms:provenance" and finding.family == "c2pa"
    assert finding.verdict is None
    assert finding.detail == f"Content Credentials stored remotely at {url}; not fetched"
    assert summary.validation_state == "unverified"
    assert no_sockets == []


@needs_corpus
def test_the_reader_itself_does_not_fetch_corpus_remote_references(
    no_sockets: list[object],
) -> None:
    # Even handed straight to c2pa-python, the remote files fail without a fetch.
    for name in sorted(REMOTE_FILES):
        facts = corpus_facts(name)
        with pytest.raises(Exception, match="must fetch remote manifests"):
            c2pa_detect._read_store(facts.data, facts.fmt)
    assert no_sockets == []


def test_native_reader_makes_no_request(local_server: tuple[str, list[str]]) -> None:
    url, hits = local_server
    data = png_with_remote_reference(url)
    assert remote_manifest_url(facts_from(data).metadata) == url
    with pytest.raises(Exception, match="must fetch remote manifests"):
        c2pa_detect._read_store(data, "PNG")
    findings, summary = detect_c2pa(facts_from(data))
    assert summary is not None and summary.remote_url == url
    assert findings[0].detail == f"Content Credentials stored remotely at {url}; not fetched"
    time.sleep(0.2)
    assert hits == []


def test_the_server_would_see_a_fetch_with_default_settings(
    local_server: tuple[str, list[str]],
) -> None:
    # The control for the test above: c2pa-rs does fetch by default, to 127.0.0.1 here.
    import c2pa

    url, hits = local_server
    with pytest.raises(c2pa.C2paError):
        c2pa.Reader("image/png", io.BytesIO(png_with_remote_reference(url)))
    assert hits == ["/manifest.c2pa"]


# --------------------------------------------------------------------------------------------
# Contract and bounds


@needs_corpus
@pytest.mark.parametrize("name", C2PA_NAMES)
def test_summary_json_contract(name: str) -> None:
    findings, summary = run(name)
    out = summary.to_json()
    for key in (
        "active_manifest",
        "claim_generator",
        "signer",
        "digital_source_types",
        "validation_state",
        "failures",
    ):
        assert key in out
    assert out["validation_state"] in ("valid", "trusted", "invalid", "unverified")
    assert isinstance(out["digital_source_types"], list) and isinstance(out["failures"], list)
    text = json.dumps(out)
    json.dumps(findings[0].to_json())
    assert len(text) < 200_000
    assert len(out["ingredients"]) <= c2pa_detect.MAX_INGREDIENTS
    assert len(out["failures"]) <= c2pa_detect.MAX_FAILURES


def test_remote_manifest_url() -> None:
    assert remote_manifest_url({}) is None
    assert remote_manifest_url({"xmp": "nonsense"}) is None
    assert remote_manifest_url({"xmp": {"dcterms:provenance": "self#jumbf=/c2pa/x"}}) is None
    assert (
        remote_manifest_url({"xmp": {"dcterms:provenance": "HTTPS://example.org/m.c2pa"}})
        == "HTTPS://example.org/m.c2pa"
    )
    assert (
        remote_manifest_url({"xmp": {"dcterms:provenance": ["x", "http://e.org/a.c2pa "]}})
        == "http://e.org/a.c2pa"
    )
    assert remote_manifest_url({"xmp": {"dcterms:provenance": "ftp://e.org/a"}}) is None
    assert remote_manifest_url({"xmp": {"dcterms:provenance": "https://e.org/a b"}}) is None
    assert remote_manifest_url({"xmp": {"dcterms:provenance": "https://e\x00.org"}}) is None
    long = "https://e.org/" + "a" * 5000
    assert remote_manifest_url({"xmp": {"dcterms:provenance": long}}) is None


def fake_store(monkeypatch: pytest.MonkeyPatch, store: dict[str, Any]) -> FileFacts:
    """A PNG whose caBX chunk the 'Reader' (patched) reports as `store`."""
    monkeypatch.setattr(c2pa_detect, "_read_store", lambda data, fmt: store)
    return facts_from(png_with(png_chunk(b"caBX", b"\x00\x00\x00\x10jumb" + C2PA_JUMD)))


def manifest(
    actions: list[dict[str, Any]], ingredients: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "claim_generator_info": [{"name": "Test App", "version": "1.0"}],
        "signature_info": {"issuer": "Test Org", "time": "2025-01-01T00:00:00+00:00"},
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions}}],
        "ingredients": ingredients or [],
    }


IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def store_of(manifests: dict[str, Any], state: str = "Valid") -> dict[str, Any]:
    return {
        "active_manifest": "active",
        "manifests": manifests,
        "validation_state": state,
        "validation_results": {"activeManifest": {"success": [], "failure": []}},
    }


def test_human_work_with_a_generated_part_is_ai_assisted(monkeypatch: pytest.MonkeyPatch) -> None:
    store = store_of(
        {
            "active": manifest(
                [{"action": "c2pa.created", "digitalSourceType": IPTC + "digitalCreation"}],
                [{"title": "sky.png", "relationship": "componentOf", "active_manifest": "gen"}],
            ),
            "gen": manifest(
                [
                    {
                        "action": "c2pa.created",
                        "digitalSourceType": IPTC + "trainedAlgorithmicMedia",
                        "softwareAgent": {"name": "Some Model", "version": "3"},
                    }
                ]
            ),
        }
    )
    (finding,), summary = detect_c2pa(fake_store(monkeypatch, store))
    assert finding.verdict == "ai-assisted"
    assert finding.tool == "Some Model 3"
    assert "includes 'sky.png'" in (finding.detail or "")
    assert summary is not None and summary.signer == "Test Org"
    assert summary.ingredients[0]["digital_source_types"] == ("trainedAlgorithmicMedia",)


def test_composite_is_ai_assisted_and_capture_is_human(monkeypatch: pytest.MonkeyPatch) -> None:
    composite = store_of(
        {
            "active": manifest(
                [
                    {
                        "action": "c2pa.edited",
                        "digitalSourceType": "compositeWithTrainedAlgorithmicMedia",
                    }
                ]
            )
        }
    )
    (finding,), _ = detect_c2pa(fake_store(monkeypatch, composite))
    assert finding.verdict == "ai-assisted"
    assert finding.tool == "Test App" and finding.tool_version == "1.0"
    capture = store_of(
        {
            "active": manifest(
                [{"action": "c2pa.created", "digitalSourceType": IPTC + "digitalCapture"}]
            )
        }
    )
    (finding,), _ = detect_c2pa(fake_store(monkeypatch, capture))
    assert finding.verdict == "human-made"


def test_cycles_and_huge_stores_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    actions = [
        {"action": "c2pa.edited", "description": "x" * 100_000, "softwareAgent": "\u202eevil"}
        for _ in range(1000)
    ]
    ingredients = [
        {"title": f"part {i}", "relationship": "componentOf", "active_manifest": "active"}
        for i in range(1000)
    ]
    store = store_of({"active": manifest(actions, ingredients)}, state="Invalid")
    store["validation_results"]["activeManifest"]["failure"] = [
        {"code": f"made.up.code{i}", "explanation": "y" * 10_000} for i in range(1000)
    ]
    (finding,), summary = detect_c2pa(fake_store(monkeypatch, store))
    assert summary is not None
    assert len(summary.actions) == c2pa_detect.MAX_ACTIONS
    assert len(summary.ingredients) == c2pa_detect.MAX_INGREDIENTS
    assert len(summary.failures) == c2pa_detect.MAX_FAILURES
    assert summary.failures[-1].startswith("... and ")
    assert all(len(a["description"]) <= c2pa_detect.MAX_TEXT for a in summary.actions)
    assert "\u202e" not in (summary.actions[0]["software_agent"] or "")
    assert summary.failures[0].startswith("a validation check failed (")
    assert summary.failures[0].endswith("[made.up.code0]")
    assert finding.verified is False
    assert len(json.dumps(summary.to_json())) < 500_000


def test_unexpected_shapes_never_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    shapes: list[Any] = [
        {},
        {"manifests": []},
        {"active_manifest": 5, "manifests": {"5": "x"}},
        {"active_manifest": "a", "manifests": {"a": {"assertions": "nope", "ingredients": [1]}}},
        {
            "active_manifest": "a",
            "manifests": {
                "a": {
                    "assertions": [{"label": "c2pa.actions", "data": {"actions": [None, 3]}}],
                    "claim_generator_info": {"name": ["x"]},
                    "signature_info": [],
                }
            },
            "validation_results": {"ingredientDeltas": [{"ingredientAssertionURI": 7}]},
            "validation_status": "bad",
        },
    ]
    for shape in shapes:
        findings, summary = detect_c2pa(fake_store(monkeypatch, shape))
        assert len(findings) == 1 and summary is not None
        json.dumps(summary.to_json())


def test_a_bug_inside_becomes_an_error_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = fake_store(monkeypatch, store_of({"active": manifest([])}))

    def broken(store: object, remote: object) -> C2PASummary:
        raise RuntimeError("boom")

    monkeypatch.setattr(c2pa_detect, "_summarise", broken)
    (finding,), summary = detect_c2pa(facts)
    assert summary is not None and summary.error == "boom"
    assert finding.verified is False


# --------------------------------------------------------------------------------------------
# Hostile bytes


def test_png_with_a_garbage_cabx_chunk_is_an_error_not_an_exception() -> None:
    data = png_with(png_chunk(b"caBX", b"garbage" * 20))
    facts = facts_from(data)
    assert has_manifest_store(data, "PNG", facts.metadata)
    (finding,), summary = detect_c2pa(facts)
    assert summary is not None and summary.error
    assert (finding.detail or "").startswith("Content Credentials present but unreadable: ")
    assert finding.verified is False and finding.verdict is None


def webp_with_c2pa_chunk() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "WEBP")
    body = buf.getvalue()[12:] + b"C2PA" + struct.pack("<I", 8) + b"jumbjumb"
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def bmff_with_c2pa_box() -> bytes:
    ftyp = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"avif", 0, b"avif", b"mif1")
    uuid_box = struct.pack(">I4s", 8 + 16 + 8, b"uuid") + c2pa_detect._C2PA_BMFF_UUID + b"\0" * 8
    return ftyp + struct.pack(">I4s", 8, b"free") + uuid_box


def tiff_with_c2pa_tag() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "TIFF", tiffinfo={0xCD41: b"\x00\x00\x00\x10jumb"})
    return buf.getvalue()


def gif_with_c2pa_extension(before_the_image: bool = True, frames: int = 1) -> bytes:
    """A GIF with a "C2PA_GIF" application extension (a JUMBF box header in one sub-block)
    right after its header and colour table, as c2pa-rs puts it, or at its end."""
    buf = io.BytesIO()
    images = [Image.new("P", (4, 3), i) for i in range(frames)]
    images[0].save(buf, "GIF", save_all=True, append_images=images[1:])
    gif = buf.getvalue()
    block = b"\x00\x00\x00\x10jumb" + b"\x00" * 8
    extension = b"\x21\xff\x0bC2PA_GIF\x01\x00\x00" + bytes([len(block)]) + block + b"\x00"
    packed = gif[10]
    preamble = 13 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)
    if before_the_image:
        return gif[:preamble] + extension + gif[preamble:]
    return gif[:-1] + extension + gif[-1:]


@pytest.mark.parametrize(
    "fmt, build",
    [
        ("WEBP", webp_with_c2pa_chunk),
        ("AVIF", bmff_with_c2pa_box),
        ("TIFF", tiff_with_c2pa_tag),
        ("GIF", gif_with_c2pa_extension),
    ],
)
def test_other_containers_are_recognised(fmt: str, build: Any) -> None:
    data = build()
    assert has_manifest_store(data, fmt, {})
    findings, summary = detect_c2pa(FileFacts(data, fmt, {}, None))
    assert len(findings) == 1 and summary is not None and summary.error


def test_a_gif_store_is_looked_for_only_before_the_first_image() -> None:
    # C2PA puts it there, and c2pa-rs reads it only there: the frames are never searched.
    assert c2pa_detect._gif_has_store(gif_with_c2pa_extension(True, frames=3)) is True
    assert c2pa_detect._gif_has_store(gif_with_c2pa_extension(False, frames=3)) is False
    assert not has_manifest_store(gif_with_c2pa_extension(False), "GIF", {})
    # A store's own bytes after the first image (here in a comment) do not count either,
    # though a search of the whole file would find them.
    words = b"\x00\x00\x00\x30jumb" + C2PA_JUMD
    plain = gif_with_c2pa_extension(False)[:-1]
    after = plain[: plain.rindex(b"\x21\xff\x0bC2PA_GIF")]
    commented = after + b"\x21\xfe" + bytes([len(words)]) + words + b"\x00\x3b"
    assert c2pa_detect._scan_for_jumd(commented)
    assert not has_manifest_store(commented, "GIF", {})
    # Blocks that cannot be walked leave it to the bounded search of the whole file.
    damaged = b"GIF89a" + b"\x04\x00\x03\x00\x00\x00\x00" + b"\x99" + b"\x00" * 8
    assert c2pa_detect._gif_has_store(damaged) is None
    stray = damaged + b"\x00\x00\x00\x30jumb" + C2PA_JUMD
    assert has_manifest_store(stray, "GIF", {})


def test_plain_containers_have_no_store() -> None:
    for fmt in ("WEBP", "TIFF", "GIF", "BMP", "PNG"):
        buf = io.BytesIO()
        Image.new("RGB", (8, 8)).save(buf, fmt)
        data = buf.getvalue()
        assert not has_manifest_store(data, fmt, {}), fmt
        assert detect_c2pa(facts_from(data)) == ([], None)
    plain_bmff = bmff_with_c2pa_box()[:32]  # ftyp and free only
    assert not has_manifest_store(plain_bmff, "HEIF", {})


def test_random_bytes_with_jumbf_words_never_crash() -> None:
    rng = random.Random(1234)
    pieces = [b"jumb", b"c2pa", C2PA_JUMD, b"\xff\xeb", b"JP", b"caBX", b"uuid", b"C2PA"]
    for i in range(200):
        blob = bytearray(rng.randbytes(rng.randrange(0, 4096)))
        for _ in range(rng.randrange(1, 6)):
            at = rng.randrange(0, len(blob) + 1)
            blob[at:at] = rng.choice(pieces)
        prefix = rng.choice([b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"GIF89a"])
        data = bytes(prefix + blob)
        fmt = rng.choice(["JPEG", "PNG", "WEBP", "TIFF", "HEIF", "AVIF", "GIF", "BMP", "XYZ"])
        assert isinstance(has_manifest_store(data, fmt, {}), bool)
        findings, _ = detect_c2pa(FileFacts(data, fmt, {}, None))
        assert len(findings) <= 1, i


@needs_corpus
def test_truncated_and_damaged_corpus_stores_never_raise() -> None:
    rng = random.Random(99)
    for name in C2PA_NAMES:
        data = (CORPUS / name).read_bytes()
        fmt = corpus_facts(name).fmt
        for cut in (len(data) // 50, len(data) // 3, len(data) - 100):
            detect_c2pa(FileFacts(data[:cut], fmt, {}, None))
        damaged = bytearray(data)
        for _ in range(20):
            damaged[rng.randrange(0, min(len(damaged), 60_000))] ^= 0xFF
        detect_c2pa(FileFacts(bytes(damaged), fmt, {}, None))


# --------------------------------------------------------------------------------------------
# Threads


@needs_corpus
def test_two_worker_threads_get_the_same_answers() -> None:
    names = [n for n in C2PA_NAMES if n not in REMOTE_FILES] * 3

    def answer(name: str) -> str:
        findings, summary = detect_c2pa(corpus_facts(name))
        assert summary is not None
        return json.dumps([summary.to_json(), [f.to_json() for f in findings]], sort_keys=True)

    for name in set(names):
        corpus_facts(name)  # built up front: FileFacts is one per worker in the importer
    alone = [answer(n) for n in names]
    c2pa_detect._context = None  # the shared Context is built lazily, by whichever comes first
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(answer, names))
    assert together == alone


@needs_corpus
def test_reading_a_store_takes_milliseconds(capsys: pytest.CaptureFixture[str]) -> None:
    facts = [corpus_facts(n) for n in C2PA_NAMES]
    detect_c2pa(facts[0])  # the first call imports c2pa-python and builds its Context
    lines = []
    for f, name in zip(facts, C2PA_NAMES, strict=True):
        start = time.perf_counter()
        detect_c2pa(f)
        elapsed = time.perf_counter() - start
        lines.append(f"{elapsed * 1000:7.1f} ms  {name}")
        assert elapsed < 2.0, name
    if os.environ.get("INKSEAL_SHOW_TIMINGS"):
        with capsys.disabled():
            print("\n" + "\n".join(lines))
