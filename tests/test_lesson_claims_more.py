"""The lesson claims on nine more seeds (``make claims``): test_lesson_claims.py reads the
sample's committed lessons and runs seed 7 and both fixture exports in ``make test``."""

from __future__ import annotations

import lesson_claims as lc
import pytest

pytestmark = pytest.mark.claims

runs, test_generated_claims_match_their_numbers, test_every_checker_finds_its_sentence = (
    lc.claim_tests([1, 2, 3, 4, 5, 6, 8, 9, 10], []))
