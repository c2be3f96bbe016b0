"""Padding accounting, the length histogram and the throughput helper (lesson 03)."""

import io

import pytest
import torch
from matplotlib.figure import Figure
from torch.utils.data import BatchSampler, DataLoader, RandomSampler
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification, DataCollatorWithPadding
from transformers.trainer_pt_utils import LengthGroupedSampler

import course_utils as cu
from course_utils.checkpoint import packaged_checkpoint
from course_utils.padding import PaddingStats, compare_throughput, padding_from_lengths

LENGTHS = [5, 9, 3, 9, 7, 2]


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(packaged_checkpoint())


def features_of_lengths(lengths, label=0):
    """Tokenizer-shaped features whose input_ids have exactly the given lengths."""
    return [
        {"input_ids": [101] + [2000 + n] * (n - 2) + [102], "attention_mask": [1] * n, "label": label} for n in lengths
    ]


def test_padding_stats_counts_exactly_on_a_collated_batch(tokenizer):
    batch = DataCollatorWithPadding(tokenizer=tokenizer)(features_of_lengths(LENGTHS))
    assert list(batch["input_ids"].shape) == [6, 9]
    stats = cu.padding_stats([batch])
    # By hand: width 9, so 4 + 0 + 6 + 0 + 2 + 7 padding positions.
    assert stats == PaddingStats(batches=1, examples=6, real_tokens=35, padding_tokens=19)
    assert stats.total_tokens == 54
    assert stats.share == pytest.approx(19 / 54)
    assert stats.mean_width == 9


def test_padding_stats_fixed_length_and_several_batches(tokenizer):
    fixed = DataCollatorWithPadding(tokenizer=tokenizer, padding="max_length", max_length=16)
    batches = [fixed(features_of_lengths(LENGTHS[:4])), fixed(features_of_lengths(LENGTHS[4:]))]
    stats = cu.padding_stats(batches)
    assert stats == PaddingStats(batches=2, examples=6, real_tokens=35, padding_tokens=6 * 16 - 35)


def test_padding_from_lengths_matches_the_collator(tokenizer):
    index_batches = [[0, 2], [1, 3, 5], [4]]
    dynamic = padding_from_lengths(LENGTHS, index_batches)
    # By hand: widths 5, 9, 7 -> (0 + 2) + (0 + 0 + 7) + 0.
    assert dynamic == PaddingStats(batches=3, examples=6, real_tokens=35, padding_tokens=9)
    collator = DataCollatorWithPadding(tokenizer=tokenizer)
    features = features_of_lengths(LENGTHS)
    collated = [collator([features[i] for i in indices]) for indices in index_batches]
    assert cu.padding_stats(collated) == dynamic
    fixed = padding_from_lengths(LENGTHS, index_batches, max_length=10)
    assert fixed.padding_tokens == 60 - 35 and fixed.mean_width == 10


def test_padding_from_lengths_refuses_sequences_longer_than_max_length():
    with pytest.raises(ValueError, match="max_length"):
        padding_from_lengths(LENGTHS, [[0, 1]], max_length=8)


def test_padding_stats_needs_an_attention_mask():
    with pytest.raises(ValueError, match="attention_mask"):
        cu.padding_stats([{"input_ids": torch.ones(2, 3)}])


@pytest.fixture
def mrpc_train_lengths(mrpc_dir, monkeypatch, tokenizer):
    monkeypatch.setenv("COURSE_DATA_DIR", str(mrpc_dir))
    train = cu.load_dataset("nyu-mll/glue", "mrpc")["train"]
    encoded = tokenizer(list(train["sentence1"]), list(train["sentence2"]), truncation=True)
    return [len(ids) for ids in encoded["input_ids"]]


def test_strategies_are_ordered_on_real_mrpc(mrpc_train_lengths):
    lengths = mrpc_train_lengths
    assert len(lengths) == 3668 and lengths[:8] == [50, 59, 47, 67, 59, 50, 62, 32]
    generator = torch.Generator().manual_seed(42)
    random_batches = list(BatchSampler(RandomSampler(range(len(lengths)), generator=generator), 8, drop_last=False))
    grouped = LengthGroupedSampler(8, lengths=lengths, generator=generator)
    grouped_batches = list(BatchSampler(grouped, 8, drop_last=False))
    assert sorted(i for b in grouped_batches for i in b) == list(range(len(lengths)))

    fixed = padding_from_lengths(lengths, random_batches, max_length=128)
    dynamic = padding_from_lengths(lengths, random_batches)
    length_grouped = padding_from_lengths(lengths, grouped_batches)
    assert fixed.real_tokens == dynamic.real_tokens == length_grouped.real_tokens == sum(lengths)
    assert fixed.padding_tokens == 128 * len(lengths) - sum(lengths)
    assert fixed.share > dynamic.share > length_grouped.share > 0
    # Length grouping removes most of what dynamic padding still pads.
    assert length_grouped.padding_tokens < dynamic.padding_tokens / 4


def test_plot_length_histogram_returns_a_figure():
    fig = cu.plot_length_histogram([50, 59, 47, 67, 59, 50, 62, 32], max_length=128)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [67, 128]
    assert sum(patch.get_height() for patch in ax.patches) == 8
    fig.savefig(io.BytesIO(), format="png")


def test_plot_length_histogram_rejects_empty_input():
    with pytest.raises(ValueError):
        cu.plot_length_histogram([])


def tiny_model():
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, num_labels=2
    )
    return BertForSequenceClassification(config)


def tiny_loader(batches=4, batch_size=2, width=6):
    rows = [
        {
            "input_ids": torch.randint(1, 64, (width,)),
            "attention_mask": torch.ones(width, dtype=torch.long),
            "labels": i % 2,
        }
        for i in range(batches * batch_size)
    ]
    return DataLoader(rows, batch_size=batch_size)


def test_throughput_trains_for_real():
    model = tiny_model()
    before = [p.detach().clone() for p in model.parameters()]
    speed = compare_throughput(model, {"only": tiny_loader()}, steps=2, device="cpu")["only"]
    assert speed > 0
    assert model.training
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True)), "no optimizer step"


def test_throughput_uses_the_given_optimizer_and_needs_timed_batches():
    model = tiny_model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    assert compare_throughput(model, {"only": tiny_loader(batches=3)}, steps=10, optimizer=optimizer)["only"] > 0
    assert optimizer.state, "the given optimizer was not stepped"
    with pytest.raises(ValueError, match="热身"):
        compare_throughput(model, {"only": tiny_loader(batches=1)}, steps=1, optimizer=optimizer)


def test_compare_throughput_takes_turns_and_reports_every_loader():
    model = tiny_model()
    order = []

    def recording(name, loader):
        for batch in loader:
            order.append(name)
            yield batch

    loaders = {"short": recording("short", tiny_loader(width=4)), "long": recording("long", tiny_loader(width=12))}
    speeds = cu.compare_throughput(model, loaders, steps=3, device="cpu")
    assert set(speeds) == {"short", "long"} and all(v > 0 for v in speeds.values())
    # One warm-up batch each, then strictly alternating steps.
    assert order == ["short", "long"] + ["short", "long"] * 3
