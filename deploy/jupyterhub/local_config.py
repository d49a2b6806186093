# A whole JupyterHub on one machine for trying the course's flow: `make hub` (or
# `crm-course hub`) runs it on 127.0.0.1 with demo learners and an instructor; the tests
# run it on free ports. Run as root, each learner is their own Unix user, `crm-<name>`
# (made on first start, no login shell, home STATE/homes/<name> 0700, dataset 0500),
# as on a class's server; run as anyone else, every server runs as that one user
# (SimpleLocalProcessSpawner): fine for a demo, nothing keeps learners apart.
#
# Settings (environment; `crm_course.hub.local_hub` sets them):
#   CRM_COURSE_HUB_DIR   state: hub database, cookie secret, homes/, datasets/, exchange/
#   CRM_HUB_PORT, CRM_HUB_API_PORT, CRM_HUB_PROXY_API_PORT   loopback ports
#   CRM_COURSE_INSTRUCTOR_PORT   the instructor page's loopback port (below 1024 as root)
#   CRM_HUB_LEARNERS     user names, comma-separated; CRM_HUB_INSTRUCTOR  the admin
#   CRM_HUB_PASSWORD     the shared demo password (8 characters or more)
import os
import pwd
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATE = Path(os.environ["CRM_COURSE_HUB_DIR"]).resolve()
PER_USER = os.getuid() == 0
if PER_USER:  # nothing the hub makes is readable by learners unless made so on purpose
    os.umask(0o077)
    STATE.chmod(0o711)
    (STATE / "homes").mkdir(exist_ok=True)
    (STATE / "homes").chmod(0o711)
os.environ["CRM_COURSE_INSTRUCTORS"] = os.environ["CRM_HUB_INSTRUCTOR"]
load_subconfig(str(HERE / "jupyterhub_config.py"))  # noqa: F821 - JupyterHub's
c = get_config()  # noqa: F821

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
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120  # a loaded 2-core machine took over 30 s to answer
# stopping: each server and each managed service (the idle culler, the instructor page)
# gets SIGINT, then SIGTERM, then SIGKILL, 3 s apart (defaults 10, 5, 5 s: with services
# stopped one after the other, a loaded machine's hub took over 60 s to exit on SIGTERM)
c.LocalProcessSpawner.interrupt_timeout = 3
c.LocalProcessSpawner.term_timeout = 3
c.LocalProcessSpawner.kill_timeout = 3

if PER_USER:
    from jupyterhub.spawner import LocalProcessSpawner

    from crm_course.hub import ensure_unix_user, pre_spawn_hook, unix_name
    from crm_course.identity import learner_key

    def unix_user(spawner) -> str:
        """The learner's Unix user, made (or its home set) before their first start."""
        name = unix_name(spawner.user.name)
        ensure_unix_user(name, STATE / "homes" / learner_key(spawner.user.name),
                         spawner.user.name)
        return name

    class CourseSpawner(LocalProcessSpawner):
        """LocalProcessSpawner with hub user `ana` run as the Unix user `crm-ana`."""

        def make_preexec_fn(self, name):
            return super().make_preexec_fn(unix_name(name))

        def user_env(self, env):
            account = pwd.getpwnam(unix_name(self.user.name))
            return {**env, "USER": account.pw_name, "HOME": account.pw_dir,
                    "SHELL": account.pw_shell}

    c.JupyterHub.spawner_class = CourseSpawner
    c.Spawner.pre_spawn_hook = pre_spawn_hook(
        Path(os.environ["CRM_COURSE_DIR"]), STATE / "datasets", STATE / "exchange",
        (STATE / "secret").read_text().strip(), homes=STATE / "homes", unix_user=unix_user)
else:  # one Unix user for all: homes are folders under the state folder
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "homes" / "{username}")

learners = [u for u in os.environ["CRM_HUB_LEARNERS"].split(",") if u]
instructor = os.environ["CRM_HUB_INSTRUCTOR"]
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["CRM_HUB_PASSWORD"]
c.Authenticator.allowed_users = {*learners, instructor}
c.Authenticator.admin_users = {instructor}

# idle servers are stopped after an hour (jupyterhub-idle-culler, a hub service)
c.JupyterHub.load_roles.append({
    "name": "idle-culler", "services": ["idle-culler"],
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]})
c.JupyterHub.services.append({
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=3600"]})
