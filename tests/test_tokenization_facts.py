"""Facts the course states about MRPC, checked with the resolved checkpoint on real data."""

import pytest
from transformers import AutoTokenizer, DataCollatorWithPadding

import course_utils as cu


@pytest.fixture
def mrpc_and_tokenizer(mrpc_dir, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(mrpc_dir))
    raw = cu.load_dataset("nyu-mll/glue", "mrpc")
    return raw, AutoTokenizer.from_pretrained(cu.resolve_checkpoint(announce=False))


def test_first_eight_pairs_lengths_and_padding(mrpc_and_tokenizer):
    raw, tokenizer = mrpc_and_tokenizer

    def tokenize_function(example):
        return tokenizer(example["sentence1"], example["sentence2"], truncation=True)

    tokenized = raw.map(tokenize_function, batched=True)
    assert {name: len(split) for name, split in tokenized.items()} == {"train": 3668, "validation": 408, "test": 1725}
    assert {"input_ids", "token_type_ids", "attention_mask"} <= set(tokenized["train"].column_names)
    samples = tokenized["train"][:8]
    samples = {k: v for k, v in samples.items() if k not in ["idx", "sentence1", "sentence2"]}
    assert [len(x) for x in samples["input_ids"]] == [50, 59, 47, 67, 59, 50, 62, 32]
    batch = DataCollatorWithPadding(tokenizer=tokenizer)(samples)
    assert {k: list(v.shape) for k, v in batch.items()} == {
        "input_ids": [8, 67],
        "token_type_ids": [8, 67],
        "attention_mask": [8, 67],
        "labels": [8],
    }


def test_sentence_pair_format(mrpc_and_tokenizer):
    _, tokenizer = mrpc_and_tokenizer
    encoded = tokenizer("This is the first sentence.", "This is the second one.")
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"])
    assert tokens[0] == "[CLS]" and tokens.count("[SEP]") == 2 and tokens[-1] == "[SEP]"
    first_sep = tokens.index("[SEP]")
    assert encoded["token_type_ids"] == [0] * (first_sep + 1) + [1] * (len(tokens) - first_sep - 1)
