"""Plots for the lessons; each function returns a matplotlib Figure (text in English: no CJK font needed)."""

from __future__ import annotations


def plot_length_histogram(lengths, max_length: int | None = None, bins: int = 40, title: str | None = None):
    """Histogram of tokenized lengths, with the longest one and an optional fixed ``max_length`` marked.

    The figure is closed in pyplot before it is returned, so a notebook shows it exactly
    once (as the cell's value) and nothing stays open between calls.
    """
    import matplotlib.pyplot as plt

    lengths = list(lengths)
    if not lengths:
        raise ValueError("lengths 为空：没有可画的长度")
    longest = max(lengths)
    fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    ax.hist(lengths, bins=bins, color="tab:blue", alpha=0.8)
    ax.axvline(longest, color="tab:orange", linestyle="--", label=f"longest = {longest}")
    if max_length is not None:
        ax.axvline(max_length, color="tab:red", label=f"max_length = {max_length}")
        ax.set_xlim(0, max(longest, max_length) * 1.05)
    ax.set_xlabel("tokens per sentence pair")
    ax.set_ylabel("pairs")
    ax.set_title(title or f"Tokenized lengths of {len(lengths):,} pairs (mean {sum(lengths) / len(lengths):.1f})")
    ax.legend()
    plt.close(fig)
    return fig
