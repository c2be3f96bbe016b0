"""One-call interactive explorers for the data lessons.

Each function returns an ``Explorer``: an ipywidgets container whose
``controls`` dict holds its input widgets and whose ``html`` widget holds the
rendered view. Changing a control (by hand or in code) re-renders ``html``,
so tests can drive an explorer without a browser. Outside a widget frontend
the explorer shows, or prints, a static view of its current state.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

import ipywidgets as widgets

from .errors import CourseError
from .frontend import StaticFallbackBox, finish
from .padding import PaddingStats, padding_stats

DEFAULT_SENTENCE1 = "The company said its quarterly profit rose 9 percent."
DEFAULT_SENTENCE2 = "Quarterly profit was up 9 percent, according to the company."

_TABLE = "<table border='1' cellpadding='3' style='border-collapse:collapse;font-family:monospace'>"
# token_type_ids 0 / 1: the two sentences of a pair
_SEGMENT_COLORS = ("#e8f0fe", "#fdebd3")


class ExplorerError(CourseError):
    """An explorer was given something it cannot show."""


class Explorer(StaticFallbackBox):
    """Controls on top, the rendered view (``html.value``) below; re-rendered on every change."""

    def __init__(self, controls: Mapping[str, widgets.Widget], render: Callable[[], str], **kwargs):
        self.controls = dict(controls)
        self.html = widgets.HTML()
        self._render = render
        for control in self.controls.values():
            control.observe(self.refresh, names="value")
        self.refresh()
        super().__init__([widgets.HBox(list(self.controls.values())), self.html], **kwargs)

    def refresh(self, _change=None) -> None:
        self.html.value = self._render()

    def static_html(self) -> str:
        return self.html.value


def _cell(value, tag: str = "td", style: str = "") -> str:
    attribute = f" style='{style}'" if style else ""
    return f"<{tag}{attribute}>{html.escape(str(value))}</{tag}>"


def _splits(dataset) -> dict:
    """A DatasetDict (or any mapping of splits) as a dict; a single Dataset as one split."""
    if hasattr(dataset, "keys") and not hasattr(dataset, "features"):
        return {name: dataset[name] for name in dataset.keys()}
    return {"dataset": dataset}


# ---------------------------------------------------------------- datasets


def _describe_value(feature, value) -> str:
    names = getattr(feature, "names", None)
    if names is not None and isinstance(value, int):
        if 0 <= value < len(names):
            return f"{value}（{feature.int2str(value)}）"
        return f"{value}（这个划分没有公开标签）"
    return str(value)


def explore_dataset(raw_datasets, split: str | None = None, index: int = 0, static: bool | None = None) -> Explorer:
    """Browse a DatasetDict: pick a split and an index, see every column (label names spelled out)."""
    splits = _splits(raw_datasets)
    if not splits:
        raise ExplorerError("数据集里没有任何划分", "传入 load_dataset 返回的 DatasetDict。")
    names = list(splits)
    split = split if split in splits else names[0]
    split_control = widgets.Dropdown(options=names, value=split, description="划分")
    index_control = widgets.IntSlider(
        value=min(max(index, 0), len(splits[split]) - 1),
        min=0,
        max=max(len(splits[split]) - 1, 0),
        description="下标",
        continuous_update=False,
    )

    def on_split(change) -> None:
        # Keep the slider inside the new split; a clamp of .value re-renders through its own observer.
        index_control.max = max(len(splits[change["new"]]) - 1, 0)

    split_control.observe(on_split, names="value")

    def render() -> str:
        dataset = splits[split_control.value]
        i = index_control.value
        if len(dataset) == 0:
            return f"<p>划分 <b>{html.escape(split_control.value)}</b> 是空的。</p>"
        row = dataset[i]
        rows = "".join(
            f"<tr>{_cell(column, 'th')}{_cell(_describe_value(dataset.features[column], row[column]))}</tr>"
            for column in dataset.column_names
        )
        return (
            f"<div><p>划分 <b>{html.escape(split_control.value)}</b>，第 {i} 行（共 {len(dataset)} 行）</p>"
            f"{_TABLE}{rows}</table></div>"
        )

    explorer = Explorer({"split": split_control, "index": index_control}, render)
    return finish(explorer, static)


# ---------------------------------------------------------------- tokenizer


def explore_tokenizer(
    tokenizer,
    sentence1: str = DEFAULT_SENTENCE1,
    sentence2: str = DEFAULT_SENTENCE2,
    static: bool | None = None,
) -> Explorer:
    """Type a sentence pair; see tokens, input_ids and token_type_ids aligned, and the decoded pair."""
    first = widgets.Text(value=sentence1, description="句子 A", layout=widgets.Layout(width="48%"))
    second = widgets.Text(value=sentence2, description="句子 B", layout=widgets.Layout(width="48%"))

    def render() -> str:
        text_a, text_b = first.value, second.value
        encoded = tokenizer(text_a, text_b) if text_b.strip() else tokenizer(text_a)
        ids = list(encoded["input_ids"])
        tokens = tokenizer.convert_ids_to_tokens(ids)
        type_ids = encoded.get("token_type_ids")
        header = "".join(_cell(i, "th", "color:#888") for i in range(len(ids)))
        rows = [f"<tr>{_cell('位置', 'th')}{header}</tr>"]
        colors = [_SEGMENT_COLORS[t % 2] for t in type_ids] if type_ids is not None else ["#fff"] * len(ids)
        rows.append(
            f"<tr>{_cell('token', 'th')}"
            + "".join(_cell(tok, "td", f"background:{c}") for tok, c in zip(tokens, colors, strict=True))
            + "</tr>"
        )
        rows.append(f"<tr>{_cell('input_ids', 'th')}" + "".join(_cell(i) for i in ids) + "</tr>")
        if type_ids is not None:
            rows.append(f"<tr>{_cell('token_type_ids', 'th')}" + "".join(_cell(t) for t in type_ids) + "</tr>")
            note = "蓝色是句子 A（token_type_ids = 0），橙色是句子 B（= 1）。"
        else:
            note = "这个分词器不返回 token_type_ids：对应的模型不需要区分两个句子。"
        decoded = tokenizer.decode(ids)
        return (
            f"<div><p>共 {len(ids)} 个 token。{note}</p>"
            f"<div style='overflow-x:auto'>{_TABLE}{''.join(rows)}</table></div>"
            f"<p>解码回文本：<code>{html.escape(decoded)}</code></p></div>"
        )

    explorer = Explorer({"sentence1": first, "sentence2": second}, render)
    return finish(explorer, static)


# ---------------------------------------------------------------- padding


def _shape(stats: PaddingStats) -> tuple[int, int]:
    """(rows, width) of the one batch that ``stats`` counts."""
    return (stats.examples, stats.total_tokens // stats.examples if stats.examples else 0)


def padding_report(
    dataset, tokenizer, batch_size: int, num_batches: int, max_length: int
) -> list[tuple[PaddingStats, PaddingStats]]:
    """(dynamic, fixed) padding of each of the first ``num_batches`` batches, as DataCollatorWithPadding pads them.

    Dynamic pads each batch to its longest row; fixed pads to ``max_length``
    (``padding="max_length"``). Each side is a one-batch ``PaddingStats``.
    """
    from transformers import DataCollatorWithPadding

    columns = [name for name in tokenizer.model_input_names if name in dataset.column_names]
    if "input_ids" not in columns:
        raise ExplorerError(
            "这个数据集还没有分词（没有 input_ids 列）",
            "先用 dataset.map(tokenize_function, batched=True) 分词，再把结果交给 explore_padding。",
        )
    dynamic = DataCollatorWithPadding(tokenizer=tokenizer)
    inputs = dataset.select_columns(columns)
    report = []
    for batch in range(num_batches):
        start = batch * batch_size
        if start >= len(inputs):
            break
        block = inputs[start : start + batch_size]
        features = [dict(zip(block, values, strict=True)) for values in zip(*block.values(), strict=True)]
        lengths = [len(ids) for ids in block["input_ids"]]
        # A row longer than max_length cannot be padded down to it; the fixed length then grows to fit.
        fixed = DataCollatorWithPadding(tokenizer=tokenizer, padding="max_length", max_length=max(max_length, *lengths))
        report.append((padding_stats([dynamic(features)]), padding_stats([fixed(features)])))
    return report


class PaddingExplorer(Explorer):
    """Padding explorer; ``report`` holds the (dynamic, fixed) ``PaddingStats`` of the batches shown."""

    def __init__(self, data, tokenizer, max_length: int, batch_size: int, num_batches: int):
        self.data = data
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.report: list[tuple[PaddingStats, PaddingStats]] = []
        controls = {
            "batch_size": widgets.IntSlider(
                value=batch_size, min=1, max=64, description="batch_size", continuous_update=False
            ),
            "num_batches": widgets.IntSlider(
                value=num_batches, min=1, max=20, description="批次数", continuous_update=False
            ),
        }
        super().__init__(controls, self._render_report)

    def _render_report(self) -> str:
        self.report = padding_report(
            self.data,
            self.tokenizer,
            self.controls["batch_size"].value,
            self.controls["num_batches"].value,
            self.max_length,
        )
        if not self.report:
            return "<p>数据集是空的。</p>"
        head = "".join(
            _cell(name, "th") for name in ("批次", "样本数", "动态填充形状", "填充占比", "固定长度形状", "填充占比")
        )
        rows = [f"<tr>{head}</tr>"]
        for number, (dynamic, fixed) in enumerate(self.report, start=1):
            shapes = (_shape(dynamic), f"{dynamic.share:.0%}", _shape(fixed), f"{fixed.share:.0%}")
            cells = (number, dynamic.examples, *shapes)
            rows.append("<tr>" + "".join(_cell(value) for value in cells) + "</tr>")
        dynamic_total = sum((dynamic for dynamic, _ in self.report), PaddingStats(0, 0, 0, 0))
        fixed_total = sum((fixed for _, fixed in self.report), PaddingStats(0, 0, 0, 0))
        summary = (
            f"前 {len(self.report)} 个批次共有 {dynamic_total.real_tokens} 个真实 token。"
            f"动态填充要算 {dynamic_total.total_tokens} 个位置（填充占 {dynamic_total.share:.0%}），"
            f"填充到 max_length={self.max_length} 要算 {fixed_total.total_tokens} 个位置"
            f"（填充占 {fixed_total.share:.0%}）。"
        )
        return f"<div>{_TABLE}{''.join(rows)}</table><p>{summary}</p></div>"


def explore_padding(
    dataset,
    tokenizer,
    max_length: int = 128,
    batch_size: int = 8,
    num_batches: int = 5,
    static: bool | None = None,
) -> PaddingExplorer:
    """Compare fixed (max_length) and dynamic padding on the first batches of a tokenized dataset.

    ``dataset`` is a tokenized Dataset, or a DatasetDict (its train split is used).
    """
    splits = _splits(dataset)
    data = splits.get("train", next(iter(splits.values())))
    return finish(PaddingExplorer(data, tokenizer, max_length, batch_size, num_batches), static)


__all__ = [
    "Explorer",
    "ExplorerError",
    "PaddingExplorer",
    "explore_dataset",
    "explore_padding",
    "explore_tokenizer",
    "padding_report",
]
