"""JupyterLab asks no "Would you like to get notified about official Jupyter news?" and
checks for no update, by configuration: the pop-up shows whenever the notification
setting ``fetchNews`` is "none" (its default), whatever the server's ``news_url``, so
the answer is given as a default setting (deploy/jupyterlab/labconfig) that `make lab`
and the Zero to JupyterHub image install."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jupyterlab_server.settings_utils import _get_overrides

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "jupyterlab"
PLUGIN = "@jupyterlab/apputils-extension:notification"


def test_jupyterlab_reads_the_answer_from_the_config_path(monkeypatch, tmp_path):
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(CONFIG))
    overrides, error = _get_overrides(str(tmp_path))
    assert error == ""
    assert overrides[PLUGIN] == {"fetchNews": "false", "checkForUpdates": False}


def test_without_it_the_question_would_be_asked(monkeypatch, tmp_path):
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(tmp_path))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path))
    overrides, _ = _get_overrides(str(tmp_path))
    assert overrides.get(PLUGIN, {}).get("fetchNews") != "false"


def test_the_values_are_valid_for_the_plugins_schema():
    import jsonschema
    import jupyterlab

    schema = json.loads((Path(jupyterlab.__file__).parent / "schemas" / "@jupyterlab" /
                         "apputils-extension" / "notification.json").read_text())
    settings = json.loads((CONFIG / "labconfig" / "default_setting_overrides.json")
                          .read_text())[PLUGIN]
    jsonschema.validate(settings, schema)


def test_make_lab_and_the_image_use_it():
    lab = re.search(r"^lab:.*?(?=^\S)", (ROOT / "Makefile").read_text(), re.M | re.S)[0]
    assert "JUPYTER_CONFIG_PATH=$(CURDIR)/deploy/jupyterlab" in lab
    docker = (ROOT / "deploy" / "jupyterhub" / "Dockerfile").read_text()
    assert "COPY deploy/jupyterlab/labconfig /usr/local/etc/jupyter/labconfig" in docker
