"""The data explorers, built and driven through their controls as a learner would."""

import html

import datasets
import ipywidgets as widgets
import pytest
from transformers import AutoTokenizer

import course_utils as cu
from course_utils.explorers import ExplorerError
from course_utils.frontend import html_to_text
from course_utils.padding import PaddingStats


@pytest.fixture
def sample_raw():
    """The course's own sample: always there (the autouse fixture unsets COURSE_DATA_DIR)."""
    return cu.load_dataset("nyu-mll/glue", "mrpc")


@pytest.fixture
def tokenizer():
    return AutoTokenizer.from_pretrained(cu.resolve_checkpoint(announce=False))


def _tokenize(raw, tokenizer):
    return raw.map(lambda batch: tokenizer(batch["sentence1"], batch["sentence2"], truncation=True), batched=True)


def _text_row(explorer, name):
    """The cells of one row of the rendered table, as plain text."""
    for line in html_to_text(explorer.html.value).splitlines():
        cells = [cell.strip() for cell in line.split(" | ")]
        if cells[0] == name:
            return cells[1:]
    raise AssertionError(f"no row {name!r}")


# ---------------------------------------------------------------- explore_dataset


def test_dataset_explorer_shows_the_chosen_row(sample_raw):
    explorer = cu.explore_dataset(sample_raw, static=False)
    assert isinstance(explorer, widgets.VBox)
    assert isinstance(explorer.html, widgets.HTML)
    assert list(explorer.controls["split"].options) == list(sample_raw)

    explorer.controls["split"].value = "validation"
    explorer.controls["index"].value = 3
    row = sample_raw["validation"][3]
    assert _text_row(explorer, "sentence1") == [row["sentence1"]]
    assert _text_row(explorer, "sentence2") == [row["sentence2"]]
    label_name = sample_raw["validation"].features["label"].int2str(row["label"])
    assert _text_row(explorer, "label") == [f"{row['label']}（{label_name}）"]
    assert _text_row(explorer, "idx") == [str(row["idx"])]


def test_dataset_explorer_keeps_the_index_inside_a_smaller_split(sample_raw):
    explorer = cu.explore_dataset(sample_raw, split="train", index=len(sample_raw["train"]) - 1, static=False)
    explorer.controls["split"].value = "test"
    index = explorer.controls["index"]
    assert index.max == len(sample_raw["test"]) - 1
    assert index.value <= index.max
    assert _text_row(explorer, "sentence1") == [sample_raw["test"][index.value]["sentence1"]]


def test_dataset_explorer_on_real_mrpc(mrpc_dir, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(mrpc_dir))
    raw = cu.load_dataset("nyu-mll/glue", "mrpc")
    explorer = cu.explore_dataset(raw, static=False)
    explorer.controls["split"].value = "validation"
    explorer.controls["index"].value = 87
    assert explorer.controls["index"].max == 407
    assert _text_row(explorer, "sentence2") == [raw["validation"][87]["sentence2"]]


def test_dataset_explorer_names_a_missing_label():
    features = datasets.Features(
        {"sentence1": datasets.Value("string"), "label": datasets.ClassLabel(names=["no", "yes"])}
    )
    hidden = datasets.DatasetDict({"test": datasets.Dataset.from_dict({"sentence1": ["a"], "label": [-1]}, features)})
    explorer = cu.explore_dataset(hidden, static=False)
    assert "没有公开标签" in _text_row(explorer, "label")[0]


def test_explorer_display_data_carries_the_current_view(sample_raw):
    explorer = cu.explore_dataset(sample_raw, static=False)
    explorer.controls["index"].value = 5
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"] == explorer.html.value
    assert sample_raw["train"][5]["sentence1"] in bundle["text/plain"]


def test_static_view_is_printed_when_asked(sample_raw, capsys):
    capsys.readouterr()
    cu.explore_dataset(sample_raw, index=2, static=True)
    assert sample_raw["train"][2]["sentence2"] in capsys.readouterr().out


# ---------------------------------------------------------------- explore_tokenizer


def test_tokenizer_explorer_aligns_tokens_ids_and_types(tokenizer):
    explorer = cu.explore_tokenizer(tokenizer, static=False)
    assert set(explorer.controls) == {"sentence1", "sentence2"}
    explorer.controls["sentence1"].value = "The cat sat on the mat."
    explorer.controls["sentence2"].value = "A cat was sitting on a rug."
    encoded = tokenizer("The cat sat on the mat.", "A cat was sitting on a rug.")
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"])
    assert _text_row(explorer, "token") == tokens
    assert _text_row(explorer, "input_ids") == [str(i) for i in encoded["input_ids"]]
    assert _text_row(explorer, "token_type_ids") == [str(t) for t in encoded["token_type_ids"]]
    assert html.escape(tokenizer.decode(encoded["input_ids"])) in explorer.html.value


def test_tokenizer_explorer_with_one_sentence(tokenizer):
    explorer = cu.explore_tokenizer(tokenizer, sentence2="", static=False)
    tokens = _text_row(explorer, "token")
    assert tokens.count("[SEP]") == 1
    assert set(_text_row(explorer, "token_type_ids")) == {"0"}


# ---------------------------------------------------------------- explore_padding


def _check_padding(explorer, tokenized, batch_size, max_length):
    lengths = [len(ids) for ids in tokenized["input_ids"]]
    assert explorer.report, "no batches shown"
    for number, (dynamic, fixed) in enumerate(explorer.report):
        rows = lengths[number * batch_size : (number + 1) * batch_size]
        assert isinstance(dynamic, PaddingStats) and isinstance(fixed, PaddingStats)
        assert dynamic == PaddingStats(1, len(rows), sum(rows), len(rows) * max(rows) - sum(rows))
        assert fixed == PaddingStats(1, len(rows), sum(rows), len(rows) * max(max_length, *rows) - sum(rows))
        assert dynamic.share <= fixed.share
        assert str((len(rows), max(rows))) in explorer.html.value
        assert str((len(rows), max(max_length, *rows))) in explorer.html.value


def test_padding_explorer_on_the_sample(sample_raw, tokenizer):
    tokenized = _tokenize(sample_raw, tokenizer)
    explorer = cu.explore_padding(tokenized, tokenizer, max_length=128, static=False)
    assert isinstance(explorer.controls["batch_size"], widgets.IntSlider)
    _check_padding(explorer, tokenized["train"], 8, 128)
    before = explorer.report[0][0]

    explorer.controls["batch_size"].value = 4
    assert explorer.report[0][0].examples == 4 and explorer.report[0][0] != before
    _check_padding(explorer, tokenized["train"], 4, 128)

    explorer.controls["num_batches"].value = 2
    assert len(explorer.report) == 2


def test_padding_explorer_grows_the_fixed_length_for_long_rows(sample_raw, tokenizer):
    tokenized = _tokenize(sample_raw, tokenizer)["validation"]
    explorer = cu.explore_padding(tokenized, tokenizer, max_length=16, batch_size=3, static=False)
    _check_padding(explorer, tokenized, 3, 16)


def test_padding_explorer_needs_a_tokenized_dataset(sample_raw, tokenizer):
    with pytest.raises(ExplorerError):
        cu.explore_padding(sample_raw, tokenizer, static=False)


def test_padding_explorer_on_real_mrpc(mrpc_dir, monkeypatch, tokenizer):
    monkeypatch.setenv("COURSE_DATA_DIR", str(mrpc_dir))
    tokenized = _tokenize(cu.load_dataset("nyu-mll/glue", "mrpc"), tokenizer)
    explorer = cu.explore_padding(tokenized, tokenizer, max_length=128, batch_size=8, static=False)
    _check_padding(explorer, tokenized["train"], 8, 128)
    assert explorer.report[0][0].mean_width == 67  # the course's first batch pads to [8, 67]
    assert all(dynamic.share < fixed.share for dynamic, fixed in explorer.report)

    explorer.controls["batch_size"].value = 32
    _check_padding(explorer, tokenized["train"], 32, 128)
    assert explorer.report[0][0].examples == 32
    assert all(dynamic.share < fixed.share for dynamic, fixed in explorer.report)
