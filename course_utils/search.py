"""Hyperparameter search for lesson 04: Optuna when it is installed, a Chinese note otherwise.

``Trainer.hyperparameter_search(backend="optuna", ...)`` needs the ``optuna``
package (PyPI ``optuna``). It is optional for learners: without it the lesson's
search cells are skipped with a message saying how to install it, and the rest
of the lesson runs as before.
"""

from __future__ import annotations

import importlib.util

BACKEND = "optuna"
MISSING = (
    "没有安装 optuna（可选，超参数搜索要用它）：本节的超参数搜索跳过，其余内容不受影响。"
    "想运行这一节：pip install optuna（或在课程仓库里 pip install -r requirements-extras.txt），"
    "装好后重启内核，再从本节开头运行。"
)


def optuna_installed(verbose: bool = True) -> bool:
    """Whether ``optuna`` can be imported; if not, print (when ``verbose``) how to install it."""
    if importlib.util.find_spec(BACKEND) is not None:
        return True
    if verbose:
        print(MISSING)
    return False
