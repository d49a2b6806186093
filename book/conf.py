"""Sphinx configuration of the course book. Built by `make book` (crm_course.book), which
stages this folder with the lessons, exercises and generated pages; never run on book/
itself. Everything the pages load is bundled: no font, script or style from elsewhere."""

project = "Evaluate and continuously improve your CRM"
author = "the course authors"
copyright = "the course authors, MIT licence"
html_title = "Evaluate and improve your CRM"

# githubpages writes .nojekyll, so a gh-pages branch keeps _static/ and _images/
extensions = ["myst_nb", "sphinx.ext.githubpages"]
exclude_patterns = ["README.md", "_run_box.md", "_extra", ".doctrees"]
suppress_warnings = ["myst.header"]  # README sections start at level 2 on their pages

nb_execution_mode = "off"  # the committed outputs are the book's
nb_ipywidgets_js = {}  # the widget manager comes from a CDN; the book has no widgets
nb_merge_streams = True

html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "search_bar_text": "Search the course…",
}
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_context = {"default_mode": "light"}  # an empty mode logs a console error
html_extra_path = ["_extra"]  # evaluation-report.html, the sample's evaluation report
html_last_updated_fmt = None
html_show_sphinx = False
html_show_search_summary = False  # summaries are fetched: blocked (and an error) on file://
