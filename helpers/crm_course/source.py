"""Where a notebook's data comes from: a folder, a seed, or a learner id.

Notebooks call ``get_crm(data_dir, seed, learner)`` with their papermill parameters.
A folder is loaded as it is; a seed or learner id is generated once into the cache
folder (`cache_folder`) and loaded from there. `write_generated` is the one way a
generated dataset reaches a folder (the cache, the hub's learner folders, the tests,
``crm-course data generate``, the sample check of ``crm-course run``):
written atomically and stamped with the generator's fingerprint, so parallel runs can
share it and a changed generator never reuses an old one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

from . import schema, synth
from .data import CRM, load_crm, write_tables
from .paths import cache_dir
from .synth import generate
from .synth.profile import DEFAULT_START
from .synth.seeds import learner_seed

__all__ = ["cache_dir", "cache_folder", "generated_dataset", "generator_fingerprint", "get_crm",
           "write_generated"]
STAMP = ".made-by"  # in a generated folder: the hash of its seed, arguments and generator
SYNTH = Path(synth.__file__).parent  # the generator, one module per table
DESIGN_SPECS = SYNTH.parent / "designs" / "specs.py"  # what a design generates


def generator_fingerprint() -> str:
    """Short hash of the generator's and the schema's source: a changed generator never
    reuses a dataset cached by an older one."""
    digest = hashlib.sha256()
    for path in (*sorted(SYNTH.glob("*.py")), Path(schema.__file__), DESIGN_SPECS):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _made_by(folder: Path) -> str | None:
    """The folder's stamp, read through one descriptor (``O_NOFOLLOW|O_NONBLOCK``, a
    regular file, at most 256 bytes): on the hub the folder is its learner's, so a link
    to /dev/zero or a FIFO planted there is never read or waited on."""
    try:
        fd = os.open(folder / STAMP, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, 256).decode("utf-8", "replace")
    finally:
        os.close(fd)


def write_generated(folder: Path, seed: int, *, scale: float = 1.0, start: str = DEFAULT_START,
                    effect: float = 1.0, read_only: bool = False, design=None,
                    keep_others: bool = False) -> Path:
    """``folder`` holding the sample company generated with ``seed``, ``scale``, ``start``
    and ``effect`` (`synth.generate`); kept when its stamp shows the same arguments and
    generator, else (re)written through a sibling temporary folder renamed into place.
    ``read_only``: files 0444 and the folder 0555 (the hub's learner folders).
    ``design``: an evaluation design (`crm_course.designs.Design`) instead of the sample.
    ``keep_others``: an existing folder is kept and only the generated files in it are
    replaced, one by one (``crm-course data generate --force`` into a folder with other files)."""
    folder = Path(folder)
    made_by = hashlib.sha256(
        f"{seed}:{scale:g}:{effect:g}:{start}:{generator_fingerprint()}"
        f"{'' if design is None else ':' + design.name}".encode()).hexdigest()
    if _made_by(folder) == made_by:
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    dataset = generate(seed=seed, scale=scale, start=start, effect=effect, design=design)
    write_tables(dataset.tables, dataset.metadata, tmp)
    (tmp / STAMP).write_text(made_by)
    if read_only:
        for path in tmp.iterdir():
            path.chmod(0o444)
        tmp.chmod(0o555)
    if keep_others and folder.is_dir():
        for path in sorted(tmp.iterdir()):
            path.replace(folder / path.name)
        tmp.chmod(0o755)
        tmp.rmdir()
        return folder
    if _made_by(folder) == made_by:  # another process finished first: use its copy
        tmp.chmod(0o755)
        shutil.rmtree(tmp)
        return folder
    if folder.exists():  # made by other arguments or an older generator
        folder.chmod(0o755)
        shutil.rmtree(folder)
    try:
        tmp.rename(folder)
    except OSError:  # another process renamed its copy in between
        tmp.chmod(0o755)
        shutil.rmtree(tmp)
    return folder


def cache_folder(seed: int, scale: float = 1.0, effect: float = 1.0,
                 design: str | None = None) -> Path:
    """The cache folder (`paths.cache_dir`) for a generated dataset: its name holds
    ``seed``, ``scale``, ``effect``, the design's name (``design``, None: the sample) and
    the generator's fingerprint, so each combination has its own folder."""
    prefix = "" if design is None else f"design-{design}-"
    return cache_dir() / (f"{prefix}seed-{seed}-scale-{scale:g}-effect-{effect:g}-"
                          f"{generator_fingerprint()}")


def generated_dataset(seed: int, scale: float = 1.0, effect: float = 1.0,
                      design=None) -> Path:
    """The cache folder (`cache_folder`) holding the dataset for ``seed``, ``scale``,
    ``effect`` and ``design`` (`crm_course.designs.Design`, None: the sample), generating
    it if missing."""
    folder = cache_folder(seed, scale, effect, None if design is None else design.name)
    return write_generated(folder, seed, scale=scale, effect=effect, design=design)


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
