"""A tiny fake suite for the adapter's tests: no cloud, marks in $FAKE_MARKS show what ran and was cleaned."""

import os
from pathlib import Path


def mark(text: str) -> None:
    """Append a line to the marks file the test harness reads."""
    with Path(os.environ.get("FAKE_MARKS", os.devnull)).open("a") as f:
        f.write(text + "\n")
