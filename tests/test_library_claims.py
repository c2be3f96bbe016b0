"""Library behaviours that the lessons' prose states, pinned on the installed versions.

Each test names the lesson text it backs; when a library changes the behaviour,
the test fails and the sentence needs rewriting.
"""

import inspect
from unittest import mock

import pytest
import torch
from transformers import TrainingArguments, training_args


def test_missing_output_dir_is_an_info_message_not_a_warning(tmp_path, monkeypatch):
    """04 [6]: without an output folder TrainingArguments uses trainer_output and says so only at INFO level."""
    monkeypatch.chdir(tmp_path)
    with (
        mock.patch.object(training_args.logger, "info") as info,
        mock.patch.object(training_args.logger, "warning") as warning,
    ):
        args = TrainingArguments(report_to="none")
    assert args.output_dir == "trainer_output"
    messages = [str(call.args[0]) for call in info.call_args_list]
    assert any("No output directory specified" in message for message in messages), messages
    assert not any("output" in str(call.args[0]).lower() for call in warning.call_args_list)


def test_idx_is_an_int32_column_the_model_does_not_take(tiny_bert, tmp_path):
    """03 [9], [31]: idx is Value('int32') (it could become a tensor); it goes because forward() has no idx argument."""
    from datasets import Value
    from transformers import DataCollatorWithPadding, PreTrainedTokenizerFast

    from course_utils.data import mrpc_features

    assert mrpc_features()["idx"] == Value("int32")
    model = tiny_bert()
    parameters = inspect.signature(model.forward).parameters
    assert "idx" not in parameters and "labels" in parameters and "input_ids" in parameters

    # An int column pads into a tensor like any other: idx could be handed to the model ...
    from tokenizers import Tokenizer, models

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel({"[PAD]": 0, "[UNK]": 1}, unk_token="[UNK]")), pad_token="[PAD]"
    )
    batch = DataCollatorWithPadding(tokenizer)([{"input_ids": [1, 1], "idx": 3}, {"input_ids": [1], "idx": 4}])
    assert isinstance(batch["idx"], torch.Tensor) and batch["idx"].tolist() == [3, 4]
    # ... but forward() has no idx argument, so Trainer drops the column (remove_unused_columns=True).
    from datasets import Dataset
    from transformers import Trainer

    trainer = Trainer(model, TrainingArguments(str(tmp_path), report_to="none"))
    kept = trainer._remove_unused_columns(Dataset.from_dict({"input_ids": [[1]], "labels": [0], "idx": [7]}))
    assert kept.column_names == ["input_ids", "labels"]


def test_load_best_model_needs_matching_save_and_eval_strategies_unless_best(tmp_path):
    """07 [30] and its quiz: save_strategy must equal eval_strategy, except save_strategy="best"."""
    common = {"output_dir": str(tmp_path), "load_best_model_at_end": True, "report_to": "none"}
    with pytest.raises(ValueError, match="save and eval strategy to match"):
        TrainingArguments(eval_strategy="steps", save_strategy="epoch", **common)
    with pytest.raises(ValueError, match="multiple"):
        TrainingArguments(eval_strategy="steps", eval_steps=20, save_strategy="steps", save_steps=30, **common)
    TrainingArguments(eval_strategy="steps", eval_steps=20, save_strategy="steps", save_steps=40, **common)
    best = TrainingArguments(eval_strategy="steps", eval_steps=20, save_strategy="best", **common)
    assert best.save_strategy == "best"


def test_accelerator_backward_divides_by_accumulation_steps_and_scales_with_a_scaler():
    """06 [4]: accelerator.backward divides the loss by gradient_accumulation_steps, and multiplies it by the
    loss scale when an fp16 GradScaler is in use; it does not synchronise gradients itself."""
    from accelerate import Accelerator

    accelerator = Accelerator(gradient_accumulation_steps=4, cpu=True)
    weight = torch.nn.Parameter(torch.tensor(1.0))
    accelerator.backward(weight * 2.0)
    assert weight.grad.item() == pytest.approx(0.5)  # d(2w)/dw = 2, divided by 4

    class Scaler:  # stands in for torch's GradScaler (fp16 needs a GPU): scale() multiplies by the loss scale
        def scale(self, loss):
            return loss * 1024.0

    weight.grad = None
    accelerator.scaler = Scaler()
    accelerator.backward(weight * 2.0)
    assert weight.grad.item() == pytest.approx(0.5 * 1024.0)
    source = inspect.getsource(Accelerator.backward)
    assert "all_reduce" not in source and "reduce" not in source.replace("reduce_", "")


def _tiny_trainer(tiny_bert, output_dir, **args):
    """A Trainer of the tiny BERT with a word-level tokenizer and 8 rows of random data (no download)."""
    import numpy as np
    from datasets import Dataset
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast, Trainer

    vocab = {"[PAD]": 0, "[UNK]": 1, **{f"w{i}": i for i in range(2, 50)}}
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="[UNK]")), pad_token="[PAD]"
    )
    rng = np.random.default_rng(0)
    data = Dataset.from_dict({"input_ids": rng.integers(2, 50, (8, 6)).tolist(), "labels": [0, 1] * 4})
    settings = {"report_to": "none", "save_strategy": "no", "use_cpu": True, "disable_tqdm": True, **args}
    model = tiny_bert(labels=("not_equivalent", "equivalent"), vocab_size=len(vocab))
    return Trainer(
        model,
        TrainingArguments(str(output_dir), **settings),
        train_dataset=data,
        eval_dataset=data if settings.get("eval_strategy", "no") != "no" else None,
        processing_class=tokenizer,
    )


@pytest.mark.parametrize("strategy", ["epoch", "steps"])
def test_eval_strategy_without_eval_dataset_fails_when_the_trainer_is_made(tiny_bert, tmp_path, strategy):
    """04 quiz no_eval_dataset: eval_strategy other than "no" and no eval_dataset is a ValueError from Trainer()."""
    from transformers import Trainer

    args = TrainingArguments(str(tmp_path), eval_strategy=strategy, report_to="none")
    with pytest.raises(ValueError, match="didn't pass an `eval_dataset`"):
        Trainer(tiny_bert(), args, train_dataset=[{"input_ids": [1, 2], "labels": 0}])


def test_without_eval_dataset_the_default_trains_and_never_evaluates(tiny_bert, tmp_path):
    """04 quiz no_eval_dataset: the default eval_strategy is "no": training runs, the log has no eval_loss."""
    trainer = _tiny_trainer(tiny_bert, tmp_path, num_train_epochs=1, per_device_train_batch_size=4, logging_steps=1)
    assert trainer.args.eval_strategy == "no" and trainer.eval_dataset is None
    trainer.train()
    assert any("loss" in entry for entry in trainer.state.log_history)
    assert not any(key.startswith("eval_") for entry in trainer.state.log_history for key in entry)
    with pytest.raises(ValueError, match="requires an eval_dataset"):
        trainer.evaluate()


def test_push_to_hub_uploads_the_saved_model_tokenizer_config_and_a_model_card(tiny_bert, tmp_path):
    """04 (分享到 Hub): trainer.push_to_hub() saves to output_dir, writes README.md, uploads the folder."""
    import json
    from pathlib import Path

    from transformers import trainer as trainer_module

    output_dir = tmp_path / "04_trainer"
    trainer = _tiny_trainer(
        tiny_bert, output_dir, eval_strategy="epoch", num_train_epochs=2, per_device_train_batch_size=4
    )
    trainer.train()
    uploads = []

    class FakeApi:  # stands in for the Hub: records what would be sent
        def create_repo(self, repo_id, **kwargs):
            return mock.Mock(repo_id=f"learner/{repo_id}")

        def upload_folder(self, **kwargs):
            folder = Path(kwargs["folder_path"])
            uploads.append({**kwargs, "files": sorted(p.name for p in folder.iterdir())})

    api = FakeApi()
    if hasattr(trainer_module, "hf_api"):  # transformers >= 5.3 calls hf_api().create_repo / .upload_folder
        stand_in = mock.patch.object(trainer_module, "hf_api", return_value=api)
    else:  # the declared floor (5.2) calls huggingface_hub's create_repo / upload_folder imported into the module
        stand_in = mock.patch.multiple(trainer_module, create_repo=api.create_repo, upload_folder=api.upload_folder)
    with stand_in:
        trainer.push_to_hub(commit_message="第 04 课")
    (upload,) = uploads
    assert upload["repo_id"] == "learner/04_trainer"  # no hub_model_id: the output folder's name
    assert upload["ignore_patterns"] == ["_*", "checkpoint-*"]
    assert {
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "training_args.bin",
        "README.md",
    } <= set(upload["files"])
    config = json.loads((output_dir / "config.json").read_text(encoding="utf-8"))
    assert config["id2label"] == {"0": "not_equivalent", "1": "equivalent"}
    card = (output_dir / "README.md").read_text(encoding="utf-8")
    assert "### Training hyperparameters" in card and "### Training results" in card
    assert "Validation Loss" in card and "### Framework versions" in card
    assert "More information needed" in card  # the card asks its author to complete it


@pytest.mark.parametrize(("static_space", "synced"), [(None, True), (False, False)])
def test_push_to_hub_also_syncs_trackio_logs_to_a_static_space(tmp_path, static_space, synced):
    """04 (分享到 Hub): a trainer that reports to trackio publishes its logs as a static Space when it pushes,
    as private as hub_private_repo, unless trackio_static_space_id=False."""
    pytest.importorskip("trackio", reason="trackio 没有安装（pip install -r requirements-extras.txt）")
    from transformers.integrations import TrackioCallback

    callback = TrackioCallback()
    callback._trackio = mock.Mock()
    callback._trackio.context_vars.current_project.get.return_value = "chapter3-mrpc"
    args = TrainingArguments(
        str(tmp_path), report_to="none", project="chapter3-mrpc", trackio_static_space_id=static_space
    )
    state = mock.Mock(is_world_process_zero=True)
    callback.on_push_begin(args, state, None, model=mock.Mock(model_tags=None))
    assert callback._trackio.sync.called == synced
    if synced:
        kwargs = callback._trackio.sync.call_args.kwargs
        assert kwargs["sdk"] == "static" and kwargs["project"] == "chapter3-mrpc"
        assert kwargs["private"] is args.hub_private_repo


def test_trainer_opens_its_trackio_run_by_name_and_resumes_one_of_the_same_name(tmp_path):
    """04 [实验看板]: the Trainer hands project and run_name to trackio.init with resume="allow", so a rerun under
    the same run_name continues the old run (trackio's side: tests/test_tracking.py); hence the timestamped name."""
    pytest.importorskip("trackio", reason="trackio 没有安装（pip install -r requirements-extras.txt）")
    from transformers.integrations import TrackioCallback

    callback = TrackioCallback()
    callback._trackio = mock.Mock()
    args = TrainingArguments(str(tmp_path), report_to="none", project="chapter3-mrpc", run_name="04-course-recipe")
    callback.setup(args, mock.Mock(is_world_process_zero=True), model=None)
    kwargs = callback._trackio.init.call_args.kwargs
    assert (kwargs["project"], kwargs["name"], kwargs["resume"]) == ("chapter3-mrpc", "04-course-recipe", "allow")
