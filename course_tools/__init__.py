"""Maintainer tools of the course, one module per command (``python -m course_tools.NAME``).

* ``refresh_outputs``: re-run the lessons and store their outputs and run record
  (``--times-only`` records the quick-mode times of ``site/quick_run.json``);
* ``render_numbers``: write the reference run's measured numbers into the prose;
* ``export_loop``: write lesson 06's ``#| export`` cells to ``course_utils/accelerate_loop.py``
  and rebuild its "05 → 06" diff cell;
* ``build_site`` (with ``site_pages``): the course site; ``build_slides``: the lesson decks;
  ``mark_slides``: the slide metadata the decks are built from;
* ``benchmark`` and ``checkpoint_cost``: the benchmarks whose results the course quotes
  (``course_utils/benchmark_reference.json``, ``course_utils/checkpoint_cost.json``,
  written through ``package_data``).

They run from a clone of the repository, which puts this package beside
``course_utils``. ``course_utils`` never imports this package, and the
notebooks' Colab cell does not install it (``pyproject.toml`` packages only
``course_utils``): learners never need these tools.
"""
