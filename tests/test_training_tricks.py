"""The training-loop tips of lessons 05 and 06, checked on a tiny randomly initialised BERT.

- gradient accumulation: k equal micro-batches, each loss divided by k, give the same
  gradient and the same parameter update as one batch k times larger (05);
- checkpoint and resume: stopping after some steps, saving model + optimizer + scheduler
  state + step with ``torch.save``, loading them into fresh objects and continuing ends
  with the weights of an uninterrupted run (05); the same with Accelerate's
  ``save_state`` / ``load_state`` (06).

Each check also shows that it can fail: leaving out the division by k, or the
optimizer state, gives different weights.
"""

import itertools

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset
from transformers import BertConfig, BertForSequenceClassification, get_scheduler

TOL = 1e-6
VOCAB, LENGTH = 64, 12


def tiny_bert(seed: int = 0, dtype: torch.dtype = torch.float32) -> BertForSequenceClassification:
    """A two-layer BERT with random weights and no dropout, so every step is deterministic."""
    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=LENGTH,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        num_labels=2,
    )
    torch.manual_seed(seed)
    return BertForSequenceClassification(config).to(dtype)


def random_rows(n: int, seed: int = 1) -> TensorDataset:
    """``n`` rows of random token ids with padding at the end of some, and random labels."""
    generator = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(1, VOCAB, (n, LENGTH), generator=generator)
    lengths = torch.randint(LENGTH // 2, LENGTH + 1, (n,), generator=generator)
    attention_mask = (torch.arange(LENGTH) < lengths[:, None]).long()
    input_ids = input_ids * attention_mask  # padding id 0 after each row's length
    labels = torch.randint(0, 2, (n,), generator=generator)
    return TensorDataset(input_ids, attention_mask, labels)


def as_batch(rows) -> dict[str, torch.Tensor]:
    input_ids, attention_mask, labels = rows
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def parameters(model) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in model.named_parameters()}


def assert_same_parameters(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for name in left:
        torch.testing.assert_close(left[name], right[name], rtol=0, atol=TOL, msg=name)


def differs(left: dict, right: dict) -> bool:
    return any((left[name] - right[name]).abs().max().item() > TOL for name in left)


# ---------------------------------------------------------------- gradient accumulation (05)


def one_update(micro_batches: list[dict], divide: bool = True) -> tuple[dict, dict]:
    """Lesson 05's accumulation loop for one optimizer step: (gradients before the step, parameters after it)."""
    model = tiny_bert(dtype=torch.float64)
    model.train()  # dropout is 0: train mode is as deterministic as eval mode here
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)  # the update is proportional to the gradient
    accumulation_steps = len(micro_batches)
    for batch in micro_batches:
        loss = model(**batch).loss
        if divide:
            loss = loss / accumulation_steps
        loss.backward()  # gradients add up in .grad
    gradients = {name: value.grad.detach().clone() for name, value in model.named_parameters()}
    optimizer.step()
    optimizer.zero_grad()
    return gradients, parameters(model)


@pytest.mark.parametrize("k", [2, 4])
def test_k_micro_batches_accumulated_equal_one_batch_k_times_larger(k):
    rows = random_rows(8 * k)
    big_batch = as_batch(rows.tensors)
    micro_batches = [as_batch(rows[i : i + 8]) for i in range(0, 8 * k, 8)]

    big_gradients, big_parameters = one_update([big_batch])
    accumulated_gradients, accumulated_parameters = one_update(micro_batches)

    assert_same_parameters(accumulated_gradients, big_gradients)
    assert_same_parameters(accumulated_parameters, big_parameters)
    assert differs(accumulated_parameters, parameters(tiny_bert(dtype=torch.float64)))  # the step did move them

    # Without dividing each loss by k, the accumulated gradient is k times too large.
    summed_gradients, summed_parameters = one_update(micro_batches, divide=False)
    assert differs(summed_parameters, big_parameters)
    for name, gradient in big_gradients.items():
        torch.testing.assert_close(summed_gradients[name], k * gradient, rtol=0, atol=TOL, msg=name)


# ---------------------------------------------------------------- checkpoint and resume with torch.save (05)

STEPS, STOP_AT, BATCH_SIZE = 12, 5, 4


def make_training(seed: int = 0):
    """Fresh model, optimizer, scheduler and a DataLoader whose shuffled order is fixed by its generator."""
    model = tiny_bert(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    lr_scheduler = get_scheduler("linear", optimizer=optimizer, num_warmup_steps=2, num_training_steps=STEPS)
    generator = torch.Generator().manual_seed(1234)
    dataloader = DataLoader(random_rows(STEPS * BATCH_SIZE), batch_size=BATCH_SIZE, shuffle=True, generator=generator)
    return model, optimizer, lr_scheduler, dataloader


def train_steps(model, optimizer, lr_scheduler, batches) -> int:
    """Lesson 05's loop body over ``batches``; returns how many steps it took."""
    model.train()
    steps = 0
    for rows in batches:
        loss = model(**as_batch(rows)).loss
        loss.backward()
        optimizer.step()
        lr_scheduler.step()
        optimizer.zero_grad()
        steps += 1
    return steps


def save_checkpoint(path, model, optimizer, lr_scheduler, step) -> None:
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "lr_scheduler": lr_scheduler.state_dict(),
            "step": step,
        },
        path,
    )


def resumed_run(path, load_optimizer: bool = True) -> dict:
    """Train STOP_AT steps, save, build everything afresh, load the checkpoint and finish the epoch."""
    model, optimizer, lr_scheduler, dataloader = make_training()
    step = train_steps(model, optimizer, lr_scheduler, itertools.islice(dataloader, STOP_AT))
    save_checkpoint(path, model, optimizer, lr_scheduler, step)
    del model, optimizer, lr_scheduler, dataloader  # "the process ends"

    model, optimizer, lr_scheduler, dataloader = make_training(seed=99)  # other random weights: loading must fix them
    state = torch.load(path)  # weights_only=True (torch's default) reads all of it: tensors, numbers, dicts
    model.load_state_dict(state["model"])
    if load_optimizer:
        optimizer.load_state_dict(state["optimizer"])
        lr_scheduler.load_state_dict(state["lr_scheduler"])
    # The same generator seed gives the same order; skip the batches trained before the stop.
    train_steps(model, optimizer, lr_scheduler, itertools.islice(dataloader, state["step"], None))
    return parameters(model)


def uninterrupted_run() -> dict:
    model, optimizer, lr_scheduler, dataloader = make_training()
    assert train_steps(model, optimizer, lr_scheduler, dataloader) == STEPS
    return parameters(model)


def test_resuming_from_a_checkpoint_ends_where_an_uninterrupted_run_ends(tmp_path):
    path = tmp_path / "checkpoint.pt"
    assert_same_parameters(resumed_run(path), uninterrupted_run())
    assert torch.load(path)["step"] == STOP_AT


def test_resuming_without_the_optimizer_and_scheduler_state_ends_elsewhere(tmp_path):
    """AdamW's moments and the scheduler's position are part of the training state, not only the weights."""
    assert differs(resumed_run(tmp_path / "checkpoint.pt", load_optimizer=False), uninterrupted_run())


# ---------------------------------------------------------------- save_state / load_state with Accelerate (06)


def accelerated_training(tmp_path):
    from accelerate import Accelerator
    from accelerate.utils import ProjectConfiguration

    accelerator = Accelerator(cpu=True, project_config=ProjectConfiguration(project_dir=str(tmp_path)))
    model, optimizer, lr_scheduler, dataloader = make_training()
    model, optimizer, dataloader, lr_scheduler = accelerator.prepare(model, optimizer, dataloader, lr_scheduler)
    return accelerator, model, optimizer, lr_scheduler, dataloader


def accelerated_steps(accelerator, model, optimizer, lr_scheduler, batches) -> None:
    """Lesson 06's loop body: prepared batches are already on accelerator.device."""
    model.train()
    for rows in batches:
        loss = model(**as_batch(rows)).loss
        accelerator.backward(loss)
        optimizer.step()
        lr_scheduler.step()
        optimizer.zero_grad()


def test_accelerate_save_state_and_load_state_resume_like_an_uninterrupted_run(tmp_path):
    accelerator, model, optimizer, lr_scheduler, dataloader = accelerated_training(tmp_path)
    accelerated_steps(accelerator, model, optimizer, lr_scheduler, dataloader)
    uninterrupted = parameters(accelerator.unwrap_model(model))

    accelerator, model, optimizer, lr_scheduler, dataloader = accelerated_training(tmp_path)
    accelerated_steps(accelerator, model, optimizer, lr_scheduler, itertools.islice(dataloader, STOP_AT))
    state_dir = tmp_path / "state"
    accelerator.save_state(str(state_dir))

    accelerator, model, optimizer, lr_scheduler, dataloader = accelerated_training(tmp_path)
    with torch.no_grad():  # the fresh model must really be overwritten by load_state
        for value in model.parameters():
            value.add_(1.0)
    accelerator.load_state(str(state_dir))
    rest = accelerator.skip_first_batches(dataloader, STOP_AT)  # the batches this epoch has not trained on yet
    accelerated_steps(accelerator, model, optimizer, lr_scheduler, rest)
    assert_same_parameters(parameters(accelerator.unwrap_model(model)), uninterrupted)
