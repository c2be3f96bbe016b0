"""GLUE SST-2 from its source files: exactly what the Hub's nyu-mll/glue sst2 gives (facts from the data README)."""

from collections import Counter

import datasets
import pytest

import course_utils as cu
from course_utils import data as cu_data


@pytest.fixture(scope="module")
def sst2(sst2_dir, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_SST2_DIR", str(sst2_dir))
        patch.setenv("COURSE_CACHE_DIR", str(tmp_path_factory.mktemp("sst2-cache")))
        return cu.load_dataset("nyu-mll/glue", "sst2")


def test_splits_and_features(sst2):
    assert {name: len(split) for name, split in sst2.items()} == {"train": 67349, "validation": 872, "test": 1821}
    for split in sst2.values():
        assert split.features == cu_data.sst2_features()
        assert split.column_names == ["sentence", "label", "idx"]
    assert sst2["train"].features["label"].names == ["negative", "positive"]
    assert sst2["train"].features["idx"].dtype == "int32"


def test_label_counts(sst2):
    assert Counter(sst2["train"]["label"]) == {1: 37569, 0: 29780}
    assert Counter(sst2["validation"]["label"]) == {1: 444, 0: 428}
    assert set(sst2["test"]["label"]) == {-1}  # the Hub stores -1 for the unlabelled test split


def test_first_rows(sst2):
    assert sst2["train"][0] == {"sentence": "hide new secretions from the parental units ", "label": 0, "idx": 0}
    assert sst2["validation"][0] == {
        "sentence": "it 's a charming and often affecting journey . ",
        "label": 1,
        "idx": 0,
    }
    assert sst2["test"][0] == {"sentence": "uneasy mishmash of styles and genres .", "label": -1, "idx": 0}
    assert list(sst2["test"]["idx"]) == list(range(1821))


def test_offline_without_files_uses_the_sst2_sample(capsys):
    sample = cu.load_dataset("nyu-mll/glue", "sst2")
    out = capsys.readouterr().out
    assert "小样本" in out and "COURSE_SST2_DIR" in out
    assert {name: len(split) for name, split in sample.items()} == {"train": 36, "validation": 12, "test": 12}
    assert sample["train"].features == cu_data.sst2_features()
    assert Counter(sample["train"]["label"]) == {0: 18, 1: 18}
    assert set(sample["test"]["label"]) == {-1}


def test_mrpc_and_sst2_sources_are_independent(sst2_dir, monkeypatch):
    monkeypatch.setenv("COURSE_SST2_DIR", str(sst2_dir))
    assert cu.choose_data_source("sst2").kind == "source"
    assert cu.choose_data_source("mrpc").kind == "embedded"


def test_unknown_config_is_refused_clearly():
    with pytest.raises(cu.DataSourceError) as caught:
        cu.choose_data_source("qqp")
    assert "qqp" in str(caught.value) and "怎么解决" in str(caught.value)


# --- damaged files: the cause, the fix, the original error kept, nothing cached


@pytest.fixture
def sst2_copy(sst2_dir, tmp_path):
    import shutil

    target = tmp_path / "sst2"
    shutil.copytree(sst2_dir, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


def _expect(monkeypatch, folder, *fragments):
    monkeypatch.setenv("COURSE_SST2_DIR", str(folder))
    with pytest.raises(cu.DataSourceError) as caught:
        cu.load_dataset("nyu-mll/glue", "sst2")
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "怎么解决" in message and "COURSE_SST2_DIR" in message
    root = cu_data.cache_root()
    assert not root.exists() or [p for p in root.iterdir() if not p.name.startswith(".")] == []
    return caught.value


def test_missing_folder(monkeypatch, tmp_path):
    _expect(monkeypatch, tmp_path / "nowhere", "nowhere")


def test_missing_file(monkeypatch, sst2_copy):
    (sst2_copy / "dev.tsv").unlink()
    _expect(monkeypatch, sst2_copy, "缺少文件 dev.tsv")


def test_wrong_header(monkeypatch, sst2_copy):
    path = sst2_copy / "train.tsv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("text\tlabel\n" + "".join(lines[1:]), encoding="utf-8")
    _expect(monkeypatch, sst2_copy, "train.tsv", "表头")


def test_file_cut_mid_line(monkeypatch, sst2_copy):
    path = sst2_copy / "dev.tsv"
    data = path.read_bytes()
    cut = data.rindex(b"\t", 0, len(data) // 2)  # the last line ends right before its label
    path.write_bytes(data[:cut])
    _expect(monkeypatch, sst2_copy, "dev.tsv", "截断")


def test_file_cut_at_line_end(monkeypatch, sst2_copy):
    path = sst2_copy / "test.tsv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:1001]), encoding="utf-8")
    _expect(monkeypatch, sst2_copy, "1000", "1821")


def test_not_utf8(monkeypatch, sst2_copy):
    (sst2_copy / "test.tsv").write_bytes(b"\xff\xfe\x00garbage")
    error = _expect(monkeypatch, sst2_copy, "UTF-8")
    assert isinstance(error.__cause__, UnicodeDecodeError)


def test_dataset_api_sees_a_real_datasetdict(sst2):
    assert isinstance(sst2, datasets.DatasetDict)
