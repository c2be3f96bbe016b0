"""course_utils.recipes: TrainingArguments keyword dicts for the course's and the fast CPU recipe."""

import pytest
from transformers import TrainingArguments

import course_utils as cu
from course_utils import hardware, precision_probe, recipes
from course_utils.precision import precision_policy
from course_utils.recipes import course_recipe, recipe


@pytest.mark.parametrize("bf16", [True, False, None])
def test_fast_recipe_is_accepted_by_training_arguments(tmp_path, bf16):
    kwargs = cu.fast_cpu_recipe("cpu", bf16=bf16)
    args = TrainingArguments(output_dir=str(tmp_path), **kwargs)
    assert args.use_cpu and args.train_sampling_strategy == "group_by_length"
    assert args.bf16 is (precision_policy("cpu").mode == "bf16" if bf16 is None else bf16)
    assert not args.fp16
    # warmup_steps below 1 is a ratio of the total steps
    assert args.get_warmup_steps(100) == 10


def test_course_recipe_is_the_course_defaults(tmp_path):
    args = TrainingArguments(output_dir=str(tmp_path), **course_recipe())
    assert args.per_device_train_batch_size == 8
    assert args.learning_rate == pytest.approx(5e-5)
    assert args.num_train_epochs == 3
    assert not args.bf16 and not args.fp16
    assert args.train_sampling_strategy == "random"
    assert args.eval_strategy == "epoch"


def test_fast_recipe_differs_from_the_course_where_it_claims():
    course, fast = course_recipe(), cu.fast_cpu_recipe("cpu", bf16=False)
    assert fast["per_device_train_batch_size"] > course["per_device_train_batch_size"]
    assert fast["warmup_steps"] > course["warmup_steps"] == 0
    assert fast["train_sampling_strategy"] == "group_by_length"
    # Same learning rate and epochs: measured, neither a higher rate nor more epochs helped MiniLM-L6 (recipes.py).
    assert fast["learning_rate"] == course["learning_rate"]
    assert fast["num_train_epochs"] == course["num_train_epochs"]
    assert "bf16" not in fast


def test_no_bf16_on_a_cpu_without_it(monkeypatch, tmp_path):
    # Simulate a CPU where bf16 measured slower: the recipe stays fp32 and still works.
    monkeypatch.delenv("COURSE_PRECISION", raising=False)
    monkeypatch.setattr(precision_probe, "cpu_bf16_speedup", lambda: {"ratio": 0.5})
    kwargs = recipes.fast_cpu_recipe("cpu")
    assert "bf16" not in kwargs
    assert not TrainingArguments(output_dir=str(tmp_path), **kwargs).bf16


def test_bf16_on_cpu_needs_use_cpu(tmp_path):
    # Why the recipe sets use_cpu=True: the Trainer refuses bf16 on a machine without a bf16 GPU otherwise.
    kwargs = cu.fast_cpu_recipe("cpu", bf16=True)
    assert kwargs["use_cpu"] is True
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA machine accepts bf16 without use_cpu")
    kwargs.pop("use_cpu")
    with pytest.raises(ValueError):
        TrainingArguments(output_dir=str(tmp_path), **kwargs)


def test_cpu_bf16_detection_returns_a_bool():
    assert isinstance(hardware.cpu_supports_bf16(), bool)


def test_other_devices():
    assert "use_cpu" not in cu.fast_cpu_recipe("mps")
    assert not cu.fast_cpu_recipe("mps").get("bf16")
    cuda = cu.fast_cpu_recipe("cuda", bf16=False)
    assert cuda.get("fp16") and not cuda.get("bf16")
    assert cu.fast_cpu_recipe("cuda", bf16=True).get("bf16")


def test_recipe_by_name_and_description():
    assert recipe("course") == course_recipe()
    assert recipe("fast", "cpu", bf16=False) == cu.fast_cpu_recipe("cpu", bf16=False)
    with pytest.raises(ValueError, match="未知的配方"):
        recipe("turbo")
    text = cu.describe_recipe("fast", "cpu", bf16=True)
    assert "bf16" in text and "group_by_length" in text and "学习率" in text
    assert "fp32" in cu.describe_recipe("fast", "cpu", bf16=False)
    assert "fp32" in cu.describe_recipe("course")


def test_loop_settings_match_the_training_arguments():
    fast = recipes.loop_settings("fast", "cpu", bf16=True)
    kwargs = cu.fast_cpu_recipe("cpu", bf16=True)
    assert fast["batch_size"] == kwargs["per_device_train_batch_size"]
    assert fast["learning_rate"] == kwargs["learning_rate"]
    assert fast["epochs"] == kwargs["num_train_epochs"]
    assert fast["warmup_ratio"] == pytest.approx(0.1)
    assert fast["group_by_length"] and fast["mixed_precision"] == "bf16"
    assert recipes.loop_settings("fast", "cpu", bf16=False)["mixed_precision"] == "no"
    course = recipes.loop_settings("course")
    assert course == {
        "epochs": 3,
        "batch_size": 8,
        "learning_rate": 5e-5,
        "weight_decay": 0.0,
        "warmup_ratio": 0.0,
        "group_by_length": False,
        "mixed_precision": "no",
    }


def test_curve_learning_rates_follow_the_checkpoint_in_use():
    """Lesson 07 looks its learning rates up for the checkpoint cu.resolve_checkpoint() returned."""
    from course_utils.checkpoint import packaged_checkpoint

    minilm = cu.curve_learning_rates(packaged_checkpoint())
    assert minilm == recipes.CURVE_LEARNING_RATES["minilm"]
    bert = cu.curve_learning_rates("bert-base-uncased")
    assert bert == recipes.CURVE_LEARNING_RATES["bert-base-uncased"]
    # bert-base's healthy rate is inside the BERT paper's fine-tuning range; every regime keeps its meaning
    assert 2e-5 <= bert["healthy"] <= 5e-5
    for rates in (minilm, bert):
        assert set(rates) == {"healthy", "overfitting", "underfitting", "erratic", "early_stopping"}
        assert rates["underfitting"] <= rates["healthy"] / 100 < rates["healthy"] < rates["erratic"]
    # bert-base's other regimes keep MiniLM's measured ratios to the healthy rate (what lesson 07 says)
    assert all(bert[k] / bert["healthy"] == pytest.approx(minilm[k] / minilm["healthy"]) for k in minilm)
    # a cached bert-base folder, or a checkpoint with no entry, gets bert-base's rates
    assert cu.curve_learning_rates("/cache/models--bert-base-uncased/snapshots/abc") == bert
    assert cu.curve_learning_rates("distilbert-base-uncased") == bert
    text = cu.describe_curve_learning_rates("bert-base-uncased")
    assert "2e-5～5e-5" in text and "没有实测" in text
    assert "实测" in cu.describe_curve_learning_rates(packaged_checkpoint())
    assert [recipes.format_rate(r) for r in (1e-4, 2.5e-4, 5e-8)] == ["1e-4", "2.5e-4", "5e-8"]
