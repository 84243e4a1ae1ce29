"""Coverage-guided fuzzing of the whole reading path with atheris (libFuzzer), for `make fuzz`.

    .venv/bin/python tests/fuzz/atheris_probe.py -max_total_time=120 [corpus folders]

Every input goes through format sniffing, the metadata readers, every detector, the C2PA
check, Pillow's opening and the thumbnail decode, as an import does. Only Inkseal's own
refusals (ReadError, DecodeError) are allowed; anything else stops the run with the input
saved by libFuzzer as crash-*. Not collected by pytest (the hypothesis round in
tests/unit/test_fuzz.py runs in the suite).
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
from datetime import UTC, datetime
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from inkseal.library.imaging import DecodeError, decode
    from inkseal.library.probe import RawFile, ReadError, probe_file


def one(data: bytes) -> None:
    raw = RawFile(Path("fuzz.bin"), data, hashlib.sha256(data).hexdigest(), datetime.now(UTC))
    try:
        inspection = probe_file(raw)
    except ReadError:
        return
    if inspection.image is not None:
        with contextlib.suppress(DecodeError):
            decode(inspection.image, max_side=64)


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
