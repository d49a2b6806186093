"""Recording: answers as JSON (next to the notebook) and the learner's local event log.

Answers are stored as data the grader can judge again: numbers, text, dates, Series and
DataFrames (``orient="split"``-like), figures as the small dict of `charts`. Writes are
atomic (temporary file + rename). Nothing is sent anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import numbers
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..paths import course_home
from .charts import describe_figure, is_figure
from .judge import Opaque

RESULTS_DIR = Path(".crm_course") / "results"


def _scalar(v):
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp | dt.date | dt.datetime):
        return pd.Timestamp(v).isoformat()
    if isinstance(v, pd.Period):
        return str(v)
    if isinstance(v, pd.Timedelta | dt.timedelta):
        return pd.Timedelta(v).isoformat()
    if v is pd.NaT or v is pd.NA:
        return None
    return v if isinstance(v, str | int | float | bool) or v is None else str(v)


def _index(index: pd.Index) -> dict:
    if isinstance(index, pd.MultiIndex):
        return {"kind": "multi", "values": [[_scalar(x) for x in t] for t in index]}
    if isinstance(index, pd.PeriodIndex):
        return {"kind": "period", "freq": index.freqstr, "values": [str(p) for p in index]}
    if isinstance(index, pd.DatetimeIndex):
        return {"kind": "datetime", "values": [_scalar(t) for t in index]}
    return {"kind": "plain", "values": [_scalar(x) for x in index]}


def _unindex(d: dict) -> pd.Index:
    if d["kind"] == "multi":
        return pd.MultiIndex.from_tuples([tuple(t) for t in d["values"]])
    if d["kind"] == "period":
        return pd.PeriodIndex(d["values"], freq=d["freq"])
    if d["kind"] == "datetime":
        return pd.DatetimeIndex(pd.to_datetime(d["values"]))
    return pd.Index(d["values"])


def encode_answer(value) -> dict:
    """A JSON-ready description of ``value`` from which `decode_answer` rebuilds it."""
    if value is Ellipsis:
        return {"type": "ellipsis"}
    if is_figure(value):
        return describe_figure(value)
    if isinstance(value, Opaque):
        return {"type": "other", "type_name": value.type_name, "text": value.text}
    if isinstance(value, bool | np.bool_):
        return {"type": "bool", "value": bool(value)}
    if isinstance(value, numbers.Number):
        return {"type": "number", "value": _scalar(value),
                "int": isinstance(value, numbers.Integral)}
    if isinstance(value, str):
        return {"type": "str", "value": value[:20000]}
    if value is None:
        return {"type": "none"}
    if isinstance(value, pd.Timestamp | dt.date | np.datetime64):
        return {"type": "date", "value": pd.Timestamp(value).isoformat()}
    if isinstance(value, pd.Series) and len(value) <= 10000:
        return {"type": "series", "orient": "split", "name": _scalar(value.name),
                "dtype": str(value.dtype), "index": _index(value.index),
                "data": [_scalar(v) for v in value.tolist()]}
    if isinstance(value, pd.DataFrame) and value.size <= 100000:
        return {"type": "dataframe", "orient": "split", "columns": [str(c) for c in value.columns],
                "index": _index(value.index),
                "data": [[_scalar(v) for v in row] for row in value.itertuples(index=False)]}
    if isinstance(value, tuple | list) and len(value) <= 1000:
        return {"type": type(value).__name__, "items": [encode_answer(v) for v in value]}
    if isinstance(value, dict) and value.get("type") == "figure":
        return value
    return {"type": "other", "type_name": type(value).__name__, "text": repr(value)[:200]}


def decode_answer(d: dict):
    """The value `encode_answer` described (Series/DataFrame/dates rebuilt with pandas). ``d``: the
    dict from `encode_answer`."""
    kind = d.get("type")
    if kind == "ellipsis":
        return Ellipsis
    if kind == "figure":
        return d
    if kind in ("bool", "str"):
        return d["value"]
    if kind == "number":
        v = d["value"]
        return float("nan") if v is None else (int(v) if d.get("int") else float(v))
    if kind == "none":
        return None
    if kind == "date":
        return pd.Timestamp(d["value"])
    if kind == "series" and d.get("dtype", "").startswith("timedelta"):
        return pd.Series(pd.to_timedelta(d["data"]), index=_unindex(d["index"]),
                         name=d.get("name"))
    if kind == "series":
        values = [np.nan if v is None else v for v in d["data"]]
        numeric = d.get("dtype", "").startswith(("int", "float", "uint", "Int", "Float"))
        return pd.Series(values, index=_unindex(d["index"]), name=d.get("name"),
                         dtype=float if numeric and None in d["data"] else
                         (d["dtype"] if numeric else None))
    if kind == "dataframe":
        return pd.DataFrame(d["data"], columns=d["columns"], index=_unindex(d["index"]))
    if kind in ("tuple", "list"):
        items = [decode_answer(x) for x in d["items"]]
        return tuple(items) if kind == "tuple" else items
    return Opaque(d.get("type_name", "object"), d.get("text", ""))


def write_json_atomic(path: Path, data: dict) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and a rename, so a reader never
    sees half a file; NaN raises ValueError."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, sort_keys=True, allow_nan=False, default=str)
    os.replace(tmp, path)


def read_results(path: Path) -> dict:
    """The results file a kernel wrote (raises OSError / ValueError when unreadable). ``path``: the
    results file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        raise ValueError("not a results file")
    return data


# --------------------------------------------------------------------------- event log

def home() -> Path:
    """The learner's local course folder: ``$CRM_COURSE_HOME`` or ``~/.crm-course``
    (`paths.course_home`)."""
    return course_home()


def event_log_path() -> Path:
    """The local event log: events.jsonl in `home`."""
    return home() / "events.jsonl"


def dataset_fingerprint(crm) -> str:
    """12 hex digits identifying a dataset: SHA-256 of its metadata and table sizes, so
    progress on one learner's dataset never mixes with another's."""
    sizes = {name: len(frame) for name, frame in getattr(crm, "tables", {}).items()}
    text = json.dumps({"meta": getattr(crm, "meta", {}), "sizes": sizes}, sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def log_event(exercise: str, question: str | None, action: str, **fields) -> tuple[dict, bool]:
    """Append one event (check / hint / solution) to the local log; never raises.

    Returns the event and whether it was written (the caller keeps unwritten ones). ``exercise`` and
    ``question``: ids (question None for the whole exercise); ``action``: "check", "hint" or
    "solution"; ``fields``: more keys of the event."""
    event = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
             "exercise": exercise, "question": question, "action": action, **fields}
    try:
        path = event_log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event, sort_keys=True, default=str) + "\n")
    except OSError:
        return event, False
    return event, True


def read_events(path: Path | None = None) -> list[dict]:
    """Every readable event of the log (broken lines are skipped). ``path``: the log (default:
    `event_log_path`)."""
    path = Path(path) if path is not None else event_log_path()
    events = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if isinstance(e, dict) and "exercise" in e:
            events.append(e)
    return events
