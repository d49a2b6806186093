"""The instructor's page on the course hub: a JupyterHub service, instructors only.

- `lms`: the gradebook as CSV files that Canvas and Moodle import;
- `pages`: the HTML pages (one Jinja2 template, autoescaped, no scripts);
- `service`: the web service (tornado, the hub's OAuth): submissions per learner and
  notebook, grading of the exchange (`crm_course.grading`, through ``crm-course grade
  --exchange``) with its progress, the gradebook, the class report
  (`crm_course.class_report`), each learner's feedback and the exports.
"""
