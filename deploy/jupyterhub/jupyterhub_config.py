# The course on one server: what JupyterHub does for every learner.
#
# The Littlest JupyterHub (TLJH): copy this file to /opt/tljh/config/jupyterhub_config.d/
# and run `sudo tljh-config reload hub`. TLJH brings the rest: users (one Unix user per
# learner, "jupyter-<name>"), log in, HTTPS, memory limits and idle culling
# (`tljh-config set limits.memory 1G`, `tljh-config set services.cull.timeout 3600`).
# Install the course in both of TLJH's environments:
#   sudo /opt/tljh/hub/bin/pip install /srv/crm-course/course    (the hook runs here)
#   sudo /opt/tljh/user/bin/pip install /srv/crm-course/course   (the learners' kernels)
# Plain JupyterHub on one server: `jupyterhub -f local_config.py` shows a whole setup
# (`make hub` runs it on 127.0.0.1 with demo users); this file is part of it.
#
# Settings (environment of the hub):
#   CRM_COURSE_DIR      a checkout of the course: its exercises/ and notebooks/ are copied
#                       into each learner's home when absent (default /srv/crm-course/course)
#   CRM_COURSE_HUB_DIR  the hub's course folder (default /srv/crm-course), holding
#     secret            the course secret, 0600, made here on first start. Learners' datasets
#                       are derived from it and their user names; it never reaches a
#                       learner's server. Grade with it:
#                       CRM_COURSE_SECRET=$(sudo cat /srv/crm-course/secret) \
#                         crm-course grade --exchange /srv/crm-course/exchange --out grades
#     datasets/<user>/  each learner's dataset, theirs alone (folder 0500, files 0400,
#                       in datasets/ 0711: nobody lists it)
#     exchange/         submissions (inbox/<user>/, one folder per learner, theirs, 0700)
#                       and roster.csv (the hub's users; `crm-course grade --exchange`)
#     grades/           the instructor page's grading runs (one folder per run)
#   CRM_COURSE_INSTRUCTORS  hub users (comma-separated) in the group `instructors`, who
#                       open the instructor page at /services/course-instructor/
#                       (crm_course.instructor: submissions, grading, gradebook, class
#                       report, feedback, Canvas and Moodle CSV); admins may open it too
#   CRM_COURSE_INSTRUCTOR_PORT  the page's loopback port (default 907: below 1024, so no
#                       learner's process can bind it first; the service refuses a port
#                       any user may bind when run by root)
import os
import secrets
import sys
from pathlib import Path

from crm_course.hub import QUIET_LAB_ARGS, pre_spawn_hook

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

COURSE = Path(os.environ.get("CRM_COURSE_DIR", "/srv/crm-course/course"))
HUB_DIR = Path(os.environ.get("CRM_COURSE_HUB_DIR", "/srv/crm-course"))

os.umask(0o077)  # the hub's database, roster, secret and grading runs: its own alone
HUB_DIR.mkdir(parents=True, exist_ok=True)
SECRET_FILE = HUB_DIR / "secret"
if not SECRET_FILE.exists():
    fd = os.open(SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))

try:  # under TLJH, learner "ana" is the Unix user "jupyter-ana", made at first start:
    # make it before the hook fills its home (TLJH's own functions, as its spawner does)
    from tljh.normalize import generate_system_username
    from tljh.user import ensure_user

    def unix_user(spawner):
        name = generate_system_username("jupyter-" + spawner.user.name)
        ensure_user(name)
        return name
except ImportError:  # elsewhere the hub's user name is the Unix user's
    unix_user = None

# Before each server starts: course copy, personal dataset, inbox (crm_course.hub).
# The server's environment gets CRM_COURSE_DATA and CRM_COURSE_EXCHANGE, not the secret.
c.Spawner.pre_spawn_hook = pre_spawn_hook(
    COURSE, HUB_DIR / "datasets", HUB_DIR / "exchange", SECRET_FILE.read_text().strip(),
    unix_user=unix_user)

# Learners land in their exercises, in a JupyterLab without news pop-up or update check.
c.Spawner.default_url = "/lab/tree/exercises"
c.Spawner.args = list(QUIET_LAB_ARGS)

# The instructor page: a hub service holding the course secret (it grades), running as
# the hub's user (it reads every inbox and writes every learner's feedback). The hub
# lets in only holders of its access scope: the group `instructors` and admins.
INSTRUCTOR = "course-instructor"
c.JupyterHub.services.append({
    "name": INSTRUCTOR, "display": True, "oauth_no_confirm": True,
    "url": f"http://127.0.0.1:{os.environ.get('CRM_COURSE_INSTRUCTOR_PORT', '907')}",
    "command": [sys.executable, "-m", "crm_course.instructor", "--exchange",
                str(HUB_DIR / "exchange"), "--out", str(HUB_DIR / "grades")],
    "environment": {"CRM_COURSE_SECRET": SECRET_FILE.read_text().strip()}})
c.JupyterHub.load_groups = {"instructors": {"users": [
    u for u in os.environ.get("CRM_COURSE_INSTRUCTORS", "").split(",") if u]}}
c.JupyterHub.load_roles.append({
    "name": "course-instructor", "groups": ["instructors"],
    "scopes": [f"access:services!service={INSTRUCTOR}"]})
