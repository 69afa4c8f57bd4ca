"""Shared by the peer tests: reach tests/integration's passd fixture."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

import passd  # noqa: E402,F401  (re-exported)
import topology  # noqa: E402,F401

SKIP = 77  # meson's exit code for a skipped test
