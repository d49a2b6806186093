# A whole JupyterHub on one machine for trying the course's flow: `make hub` (or
# `crm-course hub`) runs it on 127.0.0.1 with demo learners and an instructor; the tests
# run it on free ports. Everything runs as one Unix user (SimpleLocalProcessSpawner):
# fine for a demo, not for a class, where each learner needs their own Unix user (TLJH)
# or pod (Kubernetes) so that file permissions keep learners apart.
#
# Settings (environment; `crm_course.hub_local` sets them):
#   CRM_COURSE_HUB_DIR   state: hub database, cookie secret, homes/, datasets/, exchange/
#   CRM_HUB_PORT, CRM_HUB_API_PORT, CRM_HUB_PROXY_API_PORT   loopback ports
#   CRM_HUB_LEARNERS     user names, comma-separated; CRM_HUB_INSTRUCTOR  the admin
#   CRM_HUB_PASSWORD     the shared demo password (8 characters or more)
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
load_subconfig(str(HERE / "jupyterhub_config.py"))  # noqa: F821 - JupyterHub's
c = get_config()  # noqa: F821

STATE = Path(os.environ["CRM_COURSE_HUB_DIR"]).resolve()
BIN = Path(sys.executable).parent

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ["CRM_HUB_PORT"])
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ["CRM_HUB_API_PORT"])
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['CRM_HUB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.command = [str(HERE / "node_modules" / ".bin" /
                                       "configurable-http-proxy")]
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")

# one Unix user for all: homes are folders under the state folder
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "homes" / "{username}")
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.args = [*c.Spawner.args, *(["--allow-root"] if os.getuid() == 0 else [])]
c.Spawner.start_timeout = 120

learners = [u for u in os.environ["CRM_HUB_LEARNERS"].split(",") if u]
instructor = os.environ["CRM_HUB_INSTRUCTOR"]
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["CRM_HUB_PASSWORD"]
c.Authenticator.allowed_users = {*learners, instructor}
c.Authenticator.admin_users = {instructor}

# idle servers are stopped after an hour (jupyterhub-idle-culler, a hub service)
c.JupyterHub.load_roles = [{
    "name": "idle-culler", "services": ["idle-culler"],
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]}]
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=3600"]}]
