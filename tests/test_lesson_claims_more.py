"""The second half of test_lesson_claims.py: five more seeds and the HubSpot export."""

from __future__ import annotations

import lesson_claims as lc

runs, test_generated_claims_match_their_numbers = lc.claim_tests([6, 7, 8, 9, 10], "hubspot")
