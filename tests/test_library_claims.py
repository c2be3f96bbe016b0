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
