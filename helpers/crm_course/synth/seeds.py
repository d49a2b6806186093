"""A learner's personal seed."""

from __future__ import annotations

import hashlib

from ..paths import secret as course_secret

PUBLIC_SECRET = "crm-course-practice"


def learner_seed(learner_id: str, secret: str | None = None) -> int:
    """Seed of a learner's personal dataset: a hash of the course ``secret`` and the learner id.

    seed = first 4 bytes of SHA-256(secret + ":" + ``learner_id``), as an integer. The secret
    comes from the argument, else the environment variable ``CRM_COURSE_SECRET``, else
    a public default (fine for practice, not for graded work).
    """
    learner_id = str(learner_id).strip()
    if not learner_id:
        raise ValueError("learner_id must be a non-empty text, e.g. a student number")
    if secret is None:
        secret = course_secret() or PUBLIC_SECRET
    digest = hashlib.sha256(f"{secret}:{learner_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big")
