"""GLUE MRPC metric (accuracy and F1) as a local 🤗 Evaluate module.

The course loads the metric with ``evaluate.load("glue", "mrpc")``, which
downloads the module from the Hub. This file is the offline stand-in: load it
with ``evaluate.load(path_to_this_file)`` and it behaves the same way
(``add_batch``, ``add``, ``compute``; keys ``accuracy`` and ``f1``), with the
arithmetic done by scikit-learn, as in the Hub's module.
"""

import datasets
import evaluate
from sklearn.metrics import accuracy_score, f1_score

_DESCRIPTION = "GLUE MRPC metric: accuracy and binary F1 (positive class 1 = equivalent)."
_KWARGS_DESCRIPTION = """
Args:
    predictions: predicted labels (0 or 1), one per example.
    references: gold labels (0 or 1), one per example.
Returns:
    accuracy: share of predictions equal to the references.
    f1: binary F1 score of class 1.
Example:
    >>> metric = evaluate.load("course_utils/glue_mrpc.py")
    >>> metric.compute(predictions=[0, 1, 1], references=[0, 1, 0])
    {'accuracy': 0.6666666666666666, 'f1': 0.6666666666666666}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class GlueMrpc(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}),
        )

    def _compute(self, predictions, references):
        return {
            "accuracy": float(accuracy_score(references, predictions)),
            "f1": float(f1_score(references, predictions)),
        }
