"""deploy/jupyterhub/config.yaml against the Zero to JupyterHub chart's own values schema
(vendored in deploy/jupyterhub/schema: no network, no cluster), and the settings the
grading sandbox needs in the hub pod (item 5 of issue 29)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "jupyterhub"


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads((DEPLOY / "schema" / "values.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((DEPLOY / "config.yaml").read_text(encoding="utf-8"))


def _merged(defaults, override):
    """Helm's merge of a values file over the chart's: maps merge key by key, anything
    else replaces, null removes the key."""
    if not isinstance(defaults, dict) or not isinstance(override, dict):
        return copy.deepcopy(override)
    out = copy.deepcopy(defaults)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merged(out.get(key), value)
    return out


def _errors(schema: dict, values: dict) -> list[str]:
    defaults = yaml.safe_load((DEPLOY / "schema" / "values.yaml").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(_merged(defaults, values))]


def test_the_values_file_passes_the_charts_schema(schema, values):
    assert _errors(schema, values) == []
    assert _errors(schema, {}) == []  # the chart's own defaults pass too


def test_the_merge_follows_helm():
    assert _merged({"a": {"b": 1, "c": [1]}, "d": 2}, {"a": {"c": [2]}, "d": None}) \
        == {"a": {"b": 1, "c": [2]}}


@pytest.mark.parametrize("path, value", [
    (("singleuser", "memroy"), {"limit": "1G"}),       # a misspelt key
    (("hub", "extraPodSpecs"), {"hostUsers": False}),  # a plural that does not exist
    (("singleuser", "storage", "type"), "nfs"),        # a value outside the enum
    (("cull", "timeout"), "an hour"),                  # a string for a number
])
def test_a_wrong_key_or_value_fails_the_schema(schema, values, path, value):
    wrong = copy.deepcopy(values)
    node = wrong
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    errors = _errors(schema, wrong)
    assert errors, f"{'.'.join(path)} = {value!r} was accepted"
    assert all(path[-1] in e or repr(value) in e or path[-2] in e for e in errors), errors


def test_the_schema_is_the_charts_version(values):
    """The vendored schema and the chart version config.yaml installs are one version."""
    note = (DEPLOY / "schema" / "README.md").read_text(encoding="utf-8")
    installed = re.search(r"--version (\S+)", (DEPLOY / "config.yaml").read_text())[1]
    assert f"`jupyterhub/jupyterhub` {installed}" in note and f"tag {installed}" in note
    hub_image = re.search(r"k8s-hub:(\S+)", (DEPLOY / "Dockerfile").read_text())[1]
    assert hub_image == installed


def test_the_hub_pod_can_run_the_sandbox(values):
    """What bubblewrap needs as a normal user, in a pod with its own user namespace, and
    nothing that would make the hub privileged on the node."""
    hub = values["hub"]
    assert hub["extraPodSpec"]["hostUsers"] is False
    ctx = hub["containerSecurityContext"]
    assert ctx["procMount"] == "Unmasked" and ctx["runAsUser"] == 1000
    assert ctx["seccompProfile"]["type"] == "Unconfined"
    assert ctx["appArmorProfile"]["type"] == "Unconfined"
    assert ctx["allowPrivilegeEscalation"] is False and ctx["capabilities"]["drop"] == ["ALL"]
    assert "privileged" not in ctx and "add" not in ctx["capabilities"]
    assert "--no-sandbox" not in json.dumps(values)


def test_both_images_install_the_sandbox_tools():
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    assert len(stages) == 2
    for stage in stages:
        for package in ("bubblewrap", "util-linux", "libseccomp2"):
            assert package in stage, (stage.split()[0], package)
