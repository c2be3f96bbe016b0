"""course_utils.data and glue_source: the MRPC mirror must give exactly the Hub's MRPC."""

from collections import Counter

import datasets
import pytest

import course_utils as cu
from course_utils import data as cu_data

FIRST_TRAIN = 'Amrozi accused his brother , whom he called " the witness " , of deliberately distorting his evidence .'
FIRST_VALIDATION = "He said the foodservice pie business doesn 't fit the company 's long-term growth strategy ."


@pytest.fixture
def mrpc(mrpc_dir, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(mrpc_dir))
    return cu.load_dataset("nyu-mll/glue", "mrpc")


def test_mirror_gives_the_hub_splits_and_features(mrpc):
    assert isinstance(mrpc, datasets.DatasetDict)
    assert {name: len(split) for name, split in mrpc.items()} == {"train": 3668, "validation": 408, "test": 1725}
    for split in mrpc.values():
        assert split.features == cu_data.mrpc_features()
        assert split.column_names == ["sentence1", "sentence2", "label", "idx"]
    label = mrpc["train"].features["label"]
    assert isinstance(label, datasets.ClassLabel)
    assert label.names == ["not_equivalent", "equivalent"]
    assert mrpc["train"].features["idx"].dtype == "int32"


def test_mirror_label_counts(mrpc):
    counts = {name: Counter(split["label"]) for name, split in mrpc.items()}
    assert counts == {
        "train": {1: 2474, 0: 1194},
        "validation": {1: 279, 0: 129},
        "test": {1: 1147, 0: 578},
    }


def test_mirror_rows_in_file_order(mrpc):
    assert mrpc["train"][0] == {
        "sentence1": FIRST_TRAIN,
        "sentence2": 'Referring to him as only " the witness " , Amrozi accused his brother of deliberately '
        "distorting his evidence .",
        "label": 1,
        "idx": 0,
    }
    # idx is the row's position in its source file, as in the Hub's build: the
    # first validation pair is row 9 of the training file.
    assert mrpc["validation"][0]["sentence1"] == FIRST_VALIDATION
    assert mrpc["validation"][0]["idx"] == 9
    for split in mrpc.values():
        idx = list(split["idx"])
        assert idx == sorted(idx) and len(set(idx)) == len(idx)
    assert list(mrpc["test"]["idx"]) == list(range(1725))
    train_idx, validation_idx = list(mrpc["train"]["idx"]), list(mrpc["validation"]["idx"])
    assert set(train_idx).isdisjoint(validation_idx)
    assert sorted(train_idx + validation_idx) == list(range(4076))


def test_bare_glue_id_is_accepted(mrpc_dir, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(mrpc_dir))
    assert len(cu.load_dataset("glue", "mrpc")["validation"]) == 408


def test_second_load_comes_from_cache(mrpc_dir, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DATA_DIR", str(mrpc_dir))
    cu.load_dataset("nyu-mll/glue", "mrpc")
    entries = list(cu_data.cache_root().iterdir())
    assert len(entries) == 1 and entries[0].name.startswith("glue-mrpc-")

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the cached dataset should have been reused")

    monkeypatch.setattr(cu_data, "build_from_source_files", no_rebuild)
    again = cu.load_dataset("nyu-mll/glue", "mrpc")
    assert len(again["train"]) == 3668
    assert "MRPC 原始文件" in capsys.readouterr().out


def test_damaged_cache_entry_is_rebuilt(mrpc_dir, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(mrpc_dir))
    cu.load_dataset("nyu-mll/glue", "mrpc")
    (entry,) = cu_data.cache_root().iterdir()
    for file in entry.rglob("*.arrow"):
        file.write_bytes(b"broken")
    (entry / "dataset_dict.json").write_text("{not json")
    assert len(cu.load_dataset("nyu-mll/glue", "mrpc")["test"]) == 1725


def test_failed_build_leaves_no_cache(mrpc_dir, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(mrpc_dir))

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(datasets.DatasetDict, "save_to_disk", disk_full)
    with pytest.raises(OSError):
        cu.load_dataset("nyu-mll/glue", "mrpc")
    assert list(cu_data.cache_root().iterdir()) == []


def test_offline_without_mirror_uses_the_sample_loudly(capsys):
    sample = cu.load_dataset("nyu-mll/glue", "mrpc")
    out = capsys.readouterr().out
    assert "小样本" in out and "COURSE_DATA_DIR" in out and "HF_HUB_OFFLINE" in out
    assert {name: len(split) for name, split in sample.items()} == {"train": 36, "validation": 12, "test": 12}
    assert sample["train"].features == cu_data.mrpc_features()
    assert set(sample["train"]["label"]) == {0, 1}
    assert cu.choose_data_source().kind == "embedded"


def test_hub_is_used_when_reachable(hub_online, monkeypatch, capsys):
    calls = []

    def fake_load_dataset(path, name=None, **kwargs):
        calls.append((path, name, kwargs))
        return "hub-datasetdict"

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    assert cu.load_dataset("glue", "mrpc", revision="main") == "hub-datasetdict"
    # The bare "glue" id no longer resolves on the Hub; the course id is used.
    assert calls == [("nyu-mll/glue", "mrpc", {"revision": "main"})]
    assert "Hugging Face Hub" in capsys.readouterr().out


def test_hub_failure_falls_back_to_sample(hub_online, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise ConnectionError("connection reset by peer")

    monkeypatch.setattr(datasets, "load_dataset", broken)
    sample = cu.load_dataset("nyu-mll/glue", "mrpc")
    out = capsys.readouterr().out
    assert "ConnectionError" in out and "小样本" in out
    assert len(sample["train"]) == 36


def test_mirror_takes_precedence_over_the_hub(hub_online, mrpc_dir, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(mrpc_dir))
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: pytest.fail("the Hub must not be used"))
    assert cu.choose_data_source().kind == "source"
    assert len(cu.load_dataset("nyu-mll/glue", "mrpc")["train"]) == 3668


def test_other_datasets_go_straight_to_the_library(monkeypatch):
    monkeypatch.setattr(datasets, "load_dataset", lambda path, name=None, **k: (path, name))
    assert cu.load_dataset("nyu-mll/glue", "cola") == ("nyu-mll/glue", "cola")


# --- bad input: each case names the cause and the fix, keeps the original error, caches nothing


def _load_expecting(monkeypatch, folder, *fragments):
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    with pytest.raises(cu.DataSourceError) as caught:
        cu.load_dataset("nyu-mll/glue", "mrpc")
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message
    assert "怎么解决" in message
    root = cu_data.cache_root()
    assert not root.exists() or list(root.iterdir()) == []
    return caught.value


def test_missing_folder(monkeypatch, tmp_path):
    _load_expecting(monkeypatch, tmp_path / "nowhere", "nowhere")


def test_missing_file(monkeypatch, mrpc_copy):
    (mrpc_copy / "dev_ids.tsv").unlink()
    _load_expecting(monkeypatch, mrpc_copy, "缺少文件 dev_ids.tsv")


def test_wrong_header(monkeypatch, mrpc_copy):
    path = mrpc_copy / "msr_paraphrase_test.txt"
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    path.write_text("label\tid1\tid2\ts1\ts2\n" + "".join(lines[1:]), encoding="utf-8")
    _load_expecting(monkeypatch, mrpc_copy, "msr_paraphrase_test.txt", "表头")


def test_file_cut_mid_line(monkeypatch, mrpc_copy):
    path = mrpc_copy / "msr_paraphrase_train.txt"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _load_expecting(monkeypatch, mrpc_copy, "msr_paraphrase_train.txt", "截断")


def test_file_cut_at_line_end(monkeypatch, mrpc_copy):
    path = mrpc_copy / "msr_paraphrase_train.txt"
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    path.write_text("".join(lines[:2001]), encoding="utf-8")
    _load_expecting(monkeypatch, mrpc_copy, "2000", "4076")


def test_not_utf8(monkeypatch, mrpc_copy):
    (mrpc_copy / "dev_ids.tsv").write_bytes(b"\xff\xfe\x00garbage")
    error = _load_expecting(monkeypatch, mrpc_copy, "UTF-8")
    assert isinstance(error.__cause__, UnicodeDecodeError)


def test_missing_file_keeps_the_original_error(mrpc_copy):
    from course_utils.glue_source import read_pairs

    with pytest.raises(cu.DataSourceError) as caught:
        read_pairs(mrpc_copy / "absent.txt")
    assert isinstance(caught.value.__cause__, FileNotFoundError)


# ---------------------------------------------------------------- the dataset card (lesson 01)

# A card in the Hub's format: YAML metadata (dataset_info per config), then a markdown body.
CARD = """---
pretty_name: GLUE (test card)
license: other
task_categories:
- text-classification
task_ids:
- semantic-similarity-classification
dataset_info:
- config_name: mrpc
  features:
  - name: sentence1
    dtype: string
  - name: sentence2
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
          '0': not_equivalent
          '1': equivalent
  - name: idx
    dtype: int32
  splits:
  - name: train
    num_examples: 3668
  - name: validation
    num_examples: 408
  - name: test
    num_examples: 1725
---

# Dataset Card for GLUE

## Table of Contents
- [Dataset Summary](#dataset-summary)

### Dataset Summary

A benchmark of several language understanding tasks.

#### mrpc

Sentence pairs from news articles, labelled by people as meaning the same thing or not.
"""


@pytest.fixture
def sample():
    return cu_data.load_sample("mrpc")


def _card():
    from huggingface_hub import DatasetCard

    return DatasetCard(CARD)


def test_card_offline_reads_the_loaded_data_and_says_so(sample):
    view = cu.load_dataset_card("nyu-mll/glue", "mrpc", sample)
    assert view.source == "info" and view.card is None
    assert "HF_HUB_OFFLINE" in view.reason and "info" in view.reason
    assert view.label_names == ["not_equivalent", "equivalent"]
    assert view.split_sizes == {"train": 36, "validation": 12, "test": 12}
    text = repr(view)
    assert "load_dataset 返回的数据集信息" in text and "ClassLabel" in text and "train 36 行" in text
    assert "没有附带" in text  # description, licence and citation are only on the Hub's card


def test_card_from_the_hub_reads_yaml_and_the_config_paragraph(hub_online, sample, monkeypatch):
    monkeypatch.setattr(cu_data, "_card_from_hub", lambda repo_id: _card())
    view = cu.load_dataset_card("nyu-mll/glue", "mrpc", sample)
    assert view.source == "hub" and view.card is not None
    assert view.split_sizes == {"train": 3668, "validation": 408, "test": 1725}  # the card's, not the sample's
    assert view.label_names == ["not_equivalent", "equivalent"]
    assert view.task_categories == ("text-classification",) and view.license == "other"
    assert view.summary.startswith("Sentence pairs from news articles")  # the mrpc section, not the summary
    assert "DatasetCard.load('nyu-mll/glue')" in repr(view)


def test_card_download_failure_falls_through_to_the_data(hub_online, sample, monkeypatch):
    def dropped(repo_id):
        raise ConnectionError("connection reset by peer")

    monkeypatch.setattr(cu_data, "_card_from_hub", dropped)
    view = cu.load_dataset_card("nyu-mll/glue", "mrpc", sample)
    assert view.source == "info"
    assert "ConnectionError" in view.reason and "缓存里也没有" in view.reason
    assert view.split_sizes == {"train": 36, "validation": 12, "test": 12}


def test_card_from_the_cache_when_offline(sample, tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(CARD, encoding="utf-8")
    monkeypatch.setattr(cu_data.cache, "cached_dataset_card", lambda repo_id: str(readme))
    view = cu.load_dataset_card("nyu-mll/glue", "mrpc", sample)
    assert view.source == "cache" and view.pretty_name == "GLUE (test card)"
    assert "本地缓存里的数据集卡片" in repr(view)


def test_a_damaged_cached_card_is_named_not_raised(sample, monkeypatch):
    def damaged(repo_id):
        raise ValueError("bad YAML")

    monkeypatch.setattr(cu_data, "_card_from_cache", damaged)
    view = cu.load_dataset_card("nyu-mll/glue", "mrpc", sample)
    assert view.source == "info" and "读不出来（ValueError）" in view.reason


def test_card_paragraph_falls_back_to_the_summary_then_the_first_paragraph():
    assert (
        cu_data._card_paragraph(CARD.split("---", 2)[2], "sst2")
        == "A benchmark of several language understanding tasks."
    )
    assert cu_data._card_paragraph("# Title\n\n- a list\n\nFirst words here.\n", None) == "First words here."
    long = cu_data._card_paragraph("x" * 1000, None)
    assert len(long) == cu_data._SUMMARY_CHARS and long.endswith("…")
