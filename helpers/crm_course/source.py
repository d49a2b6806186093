"""Where a notebook's data comes from: a folder, a seed, or a learner id.

Notebooks call ``get_crm(data_dir, seed, learner)`` with their papermill parameters.
A folder is loaded as it is; a seed or learner id is generated once into a cache
folder (written atomically, so parallel runs can share it) and loaded from there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from . import schema, synth
from .data import CRM, load_crm, write_tables
from .synth import generate, learner_seed


def cache_dir() -> Path:
    """Folder for generated datasets: ``$CRM_COURSE_CACHE`` or ``~/.cache/crm-course``."""
    return Path(os.environ.get("CRM_COURSE_CACHE", Path.home() / ".cache" / "crm-course"))


def generator_fingerprint() -> str:
    """Short hash of the generator's and the schema's source: a changed generator never
    reuses a dataset cached by an older one."""
    digest = hashlib.sha256()
    for module in (synth, schema):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:12]


def generated_dataset(seed: int, scale: float = 1.0) -> Path:
    """Folder holding the dataset for ``seed`` and ``scale``, generating it if missing."""
    folder = cache_dir() / f"seed-{seed}-scale-{scale:g}-{generator_fingerprint()}"
    if (folder / "dataset.json").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    dataset = generate(seed=seed, scale=scale)
    write_tables(dataset.tables, dataset.metadata, tmp)
    try:
        tmp.rename(folder)
    except OSError:  # another process finished first: use its copy
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def get_crm(data_dir: str | Path | None = None, seed: int | None = None,
            learner: str | None = None, scale: float = 1.0) -> CRM:
    """The CRM a notebook works on.

    Parameters
    ----------
    data_dir : folder of CSV tables (a real export or a generated dataset); wins if given.
    seed : generate the sample company with this seed instead of the bundled one.
    learner : generate the learner's personal dataset (seed from ``learner_seed``).
    scale : company size when generating.
    """
    given = [name for name, v in (("data_dir", data_dir), ("seed", seed), ("learner", learner))
             if v is not None]
    if len(given) > 1:
        raise ValueError(f"give at most one of data_dir, seed, learner (got {', '.join(given)})")
    if data_dir is not None:
        return load_crm(data_dir)
    if learner is not None:
        seed = learner_seed(learner)
    if seed is not None:
        return load_crm(generated_dataset(int(seed), scale))
    return load_crm(None)
