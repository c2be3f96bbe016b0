"""Sphinx configuration of the course site (python -m course_tools.build_site stages and builds it).

The site shows the notebooks as committed: stored outputs, nothing executed.
Everything it loads is local, so it works in a classroom without internet.
"""

from pathlib import Path

project = "微调一个预训练模型 · Hugging Face LLM 课程第 3 章"
author = "hf-course-zh"
copyright = "hf-course-zh（Apache-2.0）"
language = "zh_CN"  # also selects Sphinx's Chinese search (word splitting by jieba)

extensions = ["myst_nb"]
exclude_patterns = ["_extra", "Thumbs.db", ".DS_Store"]

# Notebooks: stored outputs only.
nb_execution_mode = "off"
# No widget manager and no require.js from a CDN: the course's widgets all carry a
# static text/html view, which is what the site shows.
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [
    ("*", "application/vnd.jupyter.widget-view+json", None),
    ("*", "application/javascript", None),
]
nb_merge_streams = True
myst_heading_anchors = 3
# Sphinx adds MathJax (from a CDN) only to pages with math; the course has none,
# and tests/test_site.py fails if a remote script ever appears.
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header", "misc.highlighting_failure"]

html_theme = "sphinx_book_theme"
html_title = "微调一个预训练模型（第 3 章）"
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,  # each lesson page has its own visible download link
    "use_fullscreen_button": False,
}
# pydata-sphinx-theme logs "Got invalid theme mode" to the console on a first visit
# unless a default mode is set.
html_context = {"default_mode": "light"}
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_extra_path = ["_extra"]  # the .ipynb files, next to their pages
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None

# Chinese search: jieba splits the text into words; these course terms stay whole
# (and their parts are indexed too), so searching 学习率 or 混合精度 finds the lessons.
html_search_options = {"dict": str(Path(__file__).resolve().parent / "search_words.txt")}
