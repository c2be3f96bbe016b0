"""Run what a lesson's first cells run, in a fresh process, and report the routes taken as JSON.

    PYTHONPATH=. python tests/route_check.py [--preferred MODEL_ID] [--sst2] [--compare-source]

A fresh process matters: the Hugging Face libraries read ``HF_HOME``,
``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` when they are imported. The last line
printed is the JSON report; everything the course printed comes before it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json

PAIR = ("This is the first sentence.", "This is the second one.")  # the course's fixed pair (lesson 02)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preferred", default=None, help="checkpoint to prefer instead of bert-base-uncased")
    parser.add_argument("--sst2", action="store_true", help="also load SST-2")
    parser.add_argument("--compare-source", default=None, help="MRPC source folder to compare the rows with")
    args = parser.parse_args()

    import course_utils as cu

    printed = io.StringIO()
    report: dict = {}
    with contextlib.redirect_stdout(printed):
        env = cu.setup()
        report["setup"] = {"data": env.data_source, "metric": env.metric_source, "checkpoint": env.checkpoint_label}
        raw = cu.load_dataset("nyu-mll/glue", "mrpc")
        report["mrpc_sizes"] = {name: len(split) for name, split in raw.items()}
        report["mrpc_features"] = str(raw["train"].features)
        report["mrpc_first"] = raw["validation"][0]
        if args.compare_source:
            from course_utils.data import build_from_source_files

            built = build_from_source_files(args.compare_source)
            report["equals_source_files"] = all(raw[split].to_list() == built[split].to_list() for split in built)
        if args.sst2:
            sst2 = cu.load_dataset("nyu-mll/glue", "sst2")
            report["sst2_sizes"] = {name: len(split) for name, split in sst2.items()}
        checkpoint = cu.resolve_checkpoint(args.preferred) if args.preferred else cu.resolve_checkpoint()
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(checkpoint)
        report["checkpoint"] = checkpoint
        report["token_ids"] = tokenizer(*PAIR)["input_ids"]
        metric = cu.load_metric("glue", "mrpc")
        report["metric"] = metric.compute(predictions=[0, 1, 1, 1], references=[0, 1, 0, 1])
    report["routes_used"] = cu.routes_used()  # what really served the run, after any fallback
    report["printed"] = printed.getvalue()
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
