"""Shared by the peer tests: reach tests/integration's passd fixture."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

import passd  # noqa: E402
import topology  # noqa: E402

__all__ = ["passd", "topology", "SKIP"]
SKIP = 77  # meson's exit code for a skipped test
