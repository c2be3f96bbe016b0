"""course_tools.flops: the FLOPs formula, useful vs padded FLOPs, the batch-shape recorder, the matmul peak."""

from types import SimpleNamespace

import pytest
import torch

from course_tools import flops

# layers 2, hidden 4, intermediate 8 at s = 3, by hand:
# 4·h² = 64, 2·h·i = 64 → 2·128 = 256; 4·s·h = 48 → 304 per layer, 608 per token forward, 1824 training.
SMALL = SimpleNamespace(num_hidden_layers=2, hidden_size=4, intermediate_size=8)
# layers 1, hidden 2, intermediate 4: forward 2·(16 + 16) + 8·s = 64 + 8s, training 192 + 24s
# → 288 FLOPs per token at s = 4, 240 at s = 2.
TINY = {"num_hidden_layers": 1, "hidden_size": 2, "intermediate_size": 4}


def mask_batch(rows):
    return {"attention_mask": torch.tensor(rows), "input_ids": torch.zeros(len(rows), len(rows[0]), dtype=torch.long)}


# 5 real tokens in 2 × 4 positions, then 5 real tokens in 3 × 2 positions
BATCHES = [mask_batch([[1, 1, 1, 0], [1, 1, 0, 0]]), mask_batch([[1, 1], [1, 1], [1, 0]])]


def test_flops_per_token_by_hand():
    assert flops.forward_flops_per_token(SMALL, 3) == 608
    assert flops.training_flops_per_token(SMALL, 3) == 1824
    assert flops.training_flops_per_token(TINY, 4) == 288  # a mapping works too
    # the attention term grows with the padded length: 4·h·layers·3 = 48 more per extra position
    assert flops.training_flops_per_token(SMALL, 4) - flops.training_flops_per_token(SMALL, 3) == 3 * 4 * 4 * 2


def test_flops_per_token_reads_a_transformers_config():
    from transformers import BertConfig

    config = BertConfig(num_hidden_layers=2, hidden_size=4, intermediate_size=8, num_attention_heads=2)
    assert flops.training_flops_per_token(config, 3) == 1824
    with pytest.raises(ValueError, match="intermediate_size"):
        flops.training_flops_per_token({"num_hidden_layers": 1, "hidden_size": 2}, 3)


def test_batch_shapes_from_the_attention_mask():
    shapes = [flops.batch_shape(batch) for batch in BATCHES]
    assert shapes == [flops.BatchShape(5, 2, 4), flops.BatchShape(5, 3, 2)]
    assert [shape.padded_tokens for shape in shapes] == [8, 6]


def test_useful_flops_count_real_tokens_only():
    shapes = [flops.batch_shape(batch) for batch in BATCHES]
    # useful: 5 real tokens at s = 4 and 5 at s = 2; padded: 8 positions at s = 4 and 6 at s = 2
    assert flops.useful_flops(TINY, shapes) == 5 * 288 + 5 * 240 == 2640
    assert flops.padded_flops(TINY, shapes) == 8 * 288 + 6 * 240 == 3744
    summary = flops.flops_summary(TINY, shapes)
    assert summary["real_tokens"] == 10 and summary["padded_tokens"] == 14 and summary["examples"] == 5
    assert summary["padding_compute_share"] == pytest.approx(1 - 2640 / 3744)
    # the compute share is not the token share (1 − 10/14): the longer batch costs more per token
    assert summary["padding_compute_share"] != pytest.approx(1 - 10 / 14)


def test_no_padding_means_no_padding_share():
    full = [flops.batch_shape(mask_batch([[1, 1, 1], [1, 1, 1]]))]
    assert flops.useful_flops(TINY, full) == flops.padded_flops(TINY, full)
    assert flops.flops_summary(TINY, full)["padding_compute_share"] == 0.0
    assert flops.padding_compute_share(0, 0) == 0.0
    with pytest.raises(ValueError):
        flops.padding_compute_share(2.0, 1.0)


def test_utilisation():
    assert flops.utilisation(50e9, 200.0) == pytest.approx(0.25)
    assert flops.utilisation(50e9, None) is None


def test_the_recorder_passes_batches_through_and_records_their_shapes():
    recorder = flops.ShapeRecorder(lambda features: mask_batch(features))
    batch = recorder([[1, 1, 0], [1, 0, 0]])
    assert batch["attention_mask"].shape == (2, 3)
    recorder([[1]])
    assert recorder.shapes == [flops.BatchShape(3, 2, 3), flops.BatchShape(1, 1, 1)]


def test_matmul_peak_is_positive_on_a_tiny_matrix():
    for dtype in ("fp32", "bf16", torch.float32):
        assert flops.matmul_peak(dtype, n=32, repeats=2, best_of=2, warmup=1) > 0
    peaks = flops.measure_peaks(n=16, repeats=1, best_of=1)
    assert peaks["fp32"] > 0 and peaks["bf16"] > 0 and peaks["n"] == 16
    with pytest.raises(ValueError, match="unknown dtype"):
        flops.matmul_peak("fp8", n=8)
