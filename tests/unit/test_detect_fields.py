"""XMP / IPTC / EXIF field detector, the source-type vocabulary, suggestions and review."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from PIL import Image

from inkseal.library.detect import sourcetypes, xmp_iptc
from inkseal.library.detect.base import Finding
from inkseal.library.detect.verdict import Evidence, combine, review_reason, suggest
from tests.detect_helpers import facts_for, png_with_xmp, xmp_packet
from tests.images import jpeg_bytes

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


@pytest.mark.parametrize(
    ("value", "verdict"),
    [
        (IPTC + "trainedAlgorithmicMedia", "ai-generated"),
        ("https://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia", "ai-generated"),
        ("trainedAlgorithmicMedia", "ai-generated"),
        ("http://c2pa.org/digitalsourcetype/trainedAlgorithmicMedia", "ai-generated"),
        (IPTC + "compositeWithTrainedAlgorithmicMedia", "ai-assisted"),
        (IPTC + "algorithmicMedia", "not-generative"),
        (IPTC + "algorithmicallyEnhanced", "not-generative"),
        (IPTC + "digitalCapture", "human-made"),
        (IPTC + "digitalCreation", "human-made"),
        (IPTC + "softwareImage", "human-made"),
        (IPTC + "digitalArt", "human-made"),
        (IPTC + "screenCapture", None),
        ("nil", None),
        ("", None),
        (IPTC + "somethingNew", None),
    ],
)
def test_source_type_terms(value: str, verdict: str | None) -> None:
    assert sourcetypes.verdict_of(value) == verdict


def test_every_term_has_words() -> None:
    for term, (_verdict, words) in sourcetypes.TERMS.items():
        assert words and sourcetypes.describe(term).startswith(term)


def _one(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def test_xmp_digital_source_type(tmp_path: Path) -> None:
    path = png_with_xmp(
        tmp_path / "a.png",
        xmp_packet(Iptc4xmpExt__DigitalSourceType=IPTC + "trainedAlgorithmicMedia"),
    )
    f = _one(xmp_iptc.detect(facts_for(path)))
    assert (f.verdict, f.source) == ("ai-generated", "xmp:Iptc4xmpExt:DigitalSourceType")
    assert f.extra == {"digital_source_type": "trainedAlgorithmicMedia"}
    assert f.verified is None  # anyone can write XMP


def test_placeholder_source_type_says_nothing(tmp_path: Path) -> None:
    path = png_with_xmp(tmp_path / "a.png", xmp_packet(Iptc4xmpExt__DigitalSourceType="nil"))
    assert xmp_iptc.detect(facts_for(path)) == []


def test_iptc_2025_ai_fields(tmp_path: Path) -> None:
    path = png_with_xmp(
        tmp_path / "a.png",
        xmp_packet(
            Iptc4xmpExt__AISystemUsed="Imagen 3",
            Iptc4xmpExt__AISystemVersionUsed="3.0.2",
            Iptc4xmpExt__AIPromptInformation="a red seal on rice paper",
            Iptc4xmpExt__AIPromptWriterName="Mei",
        ),
    )
    f = _one(xmp_iptc.detect(facts_for(path)))
    assert (f.tool, f.tool_version, f.prompt) == ("Imagen 3", "3.0.2", "a red seal on rice paper")
    assert f.verdict == "ai-generated" and "prompt by Mei" in f.detail


@pytest.mark.parametrize(
    "credit", ["AI-generated image", "Generated with AI by Studio K", "Made with AI", "AI生成"]
)
def test_credit_lines_that_say_ai(tmp_path: Path, credit: str) -> None:
    path = png_with_xmp(tmp_path / "a.png", xmp_packet(photoshop__Credit=credit))
    f = _one(xmp_iptc.detect(facts_for(path)))
    assert f.verdict == "ai-generated" and f.source == "xmp:photoshop:Credit"


@pytest.mark.parametrize("credit", ["Photo: Jane Doe / Reuters", "Painted by hand", "Aiko Sato"])
def test_ordinary_credit_lines_say_nothing(tmp_path: Path, credit: str) -> None:
    path = png_with_xmp(tmp_path / "a.png", xmp_packet(photoshop__Credit=credit))
    assert xmp_iptc.detect(facts_for(path)) == []


@pytest.mark.parametrize(
    ("software", "tool"),
    [
        ("Midjourney", "Midjourney"),
        ("Adobe Firefly Image 3", "Adobe Firefly"),
        ("DALL·E 3", "DALL·E"),
        ("NovelAI", "NovelAI"),
        ("Adobe Photoshop 25.0 (Macintosh)", None),
        ("GIMP 2.10.36", None),
        ("Imagen de la playa", None),  # Spanish "image", not Google's model
        ("Procreate", None),
    ],
)
def test_exif_software_naming_an_ai_tool(software: str, tool: str | None) -> None:
    exif = Image.Exif()
    exif[0x0131] = software
    findings = xmp_iptc.detect(facts_for(jpeg_bytes(exif=exif)))
    if tool is None:
        assert findings == []
    else:
        f = _one(findings)
        assert (f.tool, f.source, f.verdict) == (tool, "exif:Software", "ai-generated")


def test_long_generator_text_in_exif_is_left_to_generator_detectors() -> None:
    exif = Image.Exif()
    exif[0x010F] = 'prompt:{"3": {"class_type": "KSampler"}} Stable Diffusion'
    assert xmp_iptc.detect(facts_for(jpeg_bytes(exif=exif))) == []


def F(verdict: str | None, family: str = "a1111", verified: bool | None = None) -> Finding:  # noqa: N802
    return Finding(source="x", family=family, tool="T", verdict=verdict, verified=verified)


def test_suggestions() -> None:
    assert suggest([]) == "unknown"
    assert suggest([F("not-generative", "c2pa")]) == "unknown"
    assert suggest([F("human-made", "metadata")]) == "human-made"
    assert suggest([F("human-made", "metadata"), F("ai-generated")]) == "ai-generated"
    # A C2PA manifest that says a person edited generated content speaks for the file.
    assert suggest([F("ai-generated", "metadata"), F("ai-assisted", "c2pa")]) == "ai-assisted"
    # A camera claim in C2PA does not hide generator parameters.
    assert suggest([F("human-made", "c2pa"), F("ai-generated")]) == "ai-generated"
    assert combine(["unknown", "human-made", "ai-assisted"]) == "ai-assisted"
    assert combine([]) == "unknown"


def test_review_reasons() -> None:
    ai = Evidence("gen.png", [F("ai-generated")])
    camera = Evidence("photo.jpg", [F("human-made", "c2pa", verified=True)])
    nothing = Evidence("plain.png", [])
    reason = review_reason("human-made", [ai])
    assert reason and "declared human-made" in reason and "gen.png" in reason
    assert review_reason("human-made", [camera, nothing]) is None
    assert review_reason("ai-assisted", [ai, camera]) is None
    assert review_reason("undeclared", [ai]) is None
    reason = review_reason("ai-generated", [camera])
    assert reason and "photo.jpg" in reason
    assert review_reason("ai-generated", [ai]) is None
    unverified = Evidence("c.jpg", [F("ai-generated", "c2pa", verified=False)])
    assert "unverified" in review_reason("human-made", [unverified])


def test_tool_names_are_found_in_any_case_and_the_quick_check_never_hides_one() -> None:
    named = xmp_iptc._generator_named
    assert named("Made in MIDJOURNEY v6") == "Midjourney"
    # Case folding beyond ASCII: the long s and the dotted capital I are an "s" and an "i"
    # to the pattern, and the name is still given.
    assert named("\u017ftable diffu\u017fion") == "Stable Diffusion"
    assert named("M\u0130DJOURNEY") == "Midjourney"
    assert named("DALL E 3") == "DALL·E" and named("dall·e") == "DALL·E"
    assert named("Adobe Photoshop Lightroom 5.7 (Macintosh)") is None
    assert xmp_iptc._says_ai_made("Credit: AI-GENERATED image")
    assert xmp_iptc._says_ai_made("généré par l'IA")
    assert not xmp_iptc._says_ai_made("Photo by Daniel Chesterton (chairman)")
    # The substring check in front of the patterns only skips text they cannot match.
    rng = random.Random(7)
    words = [*xmp_iptc.AI_GENERATORS, "made with ai", "AI generated", "created by AI", "x", " "]
    alphabet = "abcdeilmnorstxyz .-·ſİ生成"
    for _ in range(3000):
        text = "".join(
            rng.choice(words) if rng.random() < 0.2 else rng.choice(alphabet)
            for _ in range(rng.randrange(0, 12))
        )
        text = text.upper() if rng.random() < 0.3 else text
        plain = xmp_iptc._GENERATOR_RE.search(text) or xmp_iptc._DALLE_RE.search(text)
        assert (named(text) is not None) == bool(plain), text
        credit = xmp_iptc._AI_CREDIT_RE.search(text) is not None
        assert xmp_iptc._says_ai_made(text) == credit, text
