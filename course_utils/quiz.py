"""The end-of-chapter quiz: questions as data, answer checking, a widget and a text front end.

The questions live in ``quiz_questions.json`` beside this module (a list of
``{id, question, multiple, options: [{text, correct, explanation}]}``).
``check_answer`` is the single place where an answer is judged; ``Quiz``
keeps the score (each question counts on its first submission). Two front
ends share them: ``quiz_widget()`` for notebook frontends that render
ipywidgets, and ``show_quiz()`` / ``answer()`` for plain text.
``run_quiz()`` picks one.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ipywidgets as widgets

from .errors import CourseError
from .frontend import StaticFallbackBox, finish, widget_frontend_likely

QUESTIONS_PATH = Path(__file__).with_name("quiz_questions.json")
MODES = ("auto", "widgets", "text")
AUTO_WIDTH = {"width": "auto"}
RESUBMIT_NOTE = "（这道题第一次的作答已经计分，这次只看解析，不改变得分）"


class QuizError(CourseError):
    """The quiz data is malformed, or an answer cannot be understood."""


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    explanation: str


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    multiple: bool
    options: tuple[Option, ...]

    @property
    def correct_indices(self) -> tuple[int, ...]:
        return tuple(i for i, option in enumerate(self.options) if option.correct)

    @property
    def kind(self) -> str:
        return "多选" if self.multiple else "单选"


@dataclass(frozen=True)
class OptionFeedback:
    number: int  # 1-based, as shown to the learner
    text: str
    correct: bool  # whether this option is a right answer
    selected: bool
    explanation: str


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer, with an explanation for every option."""

    question_id: str
    correct: bool
    selected: tuple[int, ...]  # 0-based indices
    options: tuple[OptionFeedback, ...]

    @property
    def correct_numbers(self) -> tuple[int, ...]:
        return tuple(option.number for option in self.options if option.correct)

    def verdict(self) -> str:
        if self.correct:
            return "✅ 回答正确！"
        right = "、".join(str(n) for n in self.correct_numbers)
        return f"❌ 还不对。正确答案：{right}"

    def text(self) -> str:
        lines = [self.verdict()]
        for option in self.options:
            box = "☑" if option.selected else "☐"
            mark = "✔ 正确选项" if option.correct else "✘ 错误选项"
            lines.append(f"  {box} {option.number}. {option.text}")
            lines.append(f"       {mark}：{option.explanation}")
        return "\n".join(lines)

    def html(self) -> str:
        color = "#1a7f37" if self.correct else "#cf222e"
        items = []
        for option in self.options:
            box = "☑" if option.selected else "☐"
            mark = "✔" if option.correct else "✘"
            mark_color = "#1a7f37" if option.correct else "#cf222e"
            items.append(
                f"<li>{box} {option.number}. {html.escape(option.text)}<br>"
                f"<span style='color:{mark_color}'>{mark}</span> {html.escape(option.explanation)}</li>"
            )
        return (
            f"<div><b style='color:{color}'>{html.escape(self.verdict())}</b>"
            f"<ul style='list-style:none;padding-left:0.5em'>{''.join(items)}</ul></div>"
        )


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise QuizError(problem, f"检查 {QUESTIONS_PATH.name} 里的这道题：每题要有 id、question、multiple、options。")


def validate_questions(raw: object) -> tuple[Question, ...]:
    """Check the JSON structure and turn it into ``Question`` objects."""
    _require(isinstance(raw, list) and len(raw) > 0, "题库应该是一个非空的列表")
    questions = []
    seen = set()
    for number, item in enumerate(raw, start=1):
        where = f"第 {number} 题"
        _require(isinstance(item, dict), f"{where}不是一个对象")
        for key, kind in (("id", str), ("question", str), ("multiple", bool), ("options", list)):
            _require(isinstance(item.get(key), kind), f"{where}缺少字段 {key}，或类型不对")
        _require(item["id"] not in seen, f"{where}的 id「{item['id']}」重复了")
        seen.add(item["id"])
        _require(len(item["options"]) >= 2, f"{where}至少要有两个选项")
        options = []
        for option in item["options"]:
            _require(
                isinstance(option, dict)
                and isinstance(option.get("text"), str)
                and isinstance(option.get("correct"), bool)
                and isinstance(option.get("explanation"), str)
                and option["text"].strip()
                and option["explanation"].strip(),
                f"{where}（{item['id']}）有选项缺少 text、correct 或 explanation",
            )
            options.append(Option(option["text"], option["correct"], option["explanation"]))
        n_correct = sum(option.correct for option in options)
        _require(n_correct >= 1, f"{where}（{item['id']}）没有正确选项")
        _require(item["multiple"] or n_correct == 1, f"{where}（{item['id']}）是单选题，却有 {n_correct} 个正确选项")
        questions.append(Question(item["id"], item["question"], item["multiple"], tuple(options)))
    return tuple(questions)


def load_questions(path: str | Path | None = None) -> tuple[Question, ...]:
    """The validated questions, from the packaged file unless a path is given."""
    if path is None:
        return _packaged_questions()
    return validate_questions(json.loads(Path(path).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _packaged_questions() -> tuple[Question, ...]:
    return validate_questions(json.loads(QUESTIONS_PATH.read_text(encoding="utf-8")))


def get_question(question_id: str, questions: Iterable[Question] | None = None) -> Question:
    for question in load_questions() if questions is None else questions:
        if question.id == question_id:
            return question
    raise QuizError(f"没有 id 为「{question_id}」的题目", "用 cu.show_quiz() 查看所有题目。")


def check_answer(
    question_id: str, selected_indices: Iterable[int], questions: Iterable[Question] | None = None
) -> Feedback:
    """Judge an answer (0-based option indices): right only if exactly the correct options are chosen."""
    question = get_question(question_id, questions)
    selected = tuple(sorted(set(int(i) for i in selected_indices)))
    count = len(question.options)
    if not selected:
        raise QuizError("还没有选择任何选项", "至少选一个选项再提交。")
    if any(i < 0 or i >= count for i in selected):
        raise QuizError(f"这道题只有 {count} 个选项（编号 1 到 {count}）", "检查选项编号。")
    if not question.multiple and len(selected) != 1:
        raise QuizError("这是单选题，只能选一个选项", "只保留一个选项再提交。")
    options = tuple(
        OptionFeedback(i + 1, option.text, option.correct, i in selected, option.explanation)
        for i, option in enumerate(question.options)
    )
    return Feedback(question.id, selected == question.correct_indices, selected, options)


class Quiz:
    """Quiz state: which questions were answered and whether the first answer was right."""

    def __init__(self, questions: Iterable[Question] | None = None):
        self.questions: tuple[Question, ...] = tuple(load_questions() if questions is None else questions)
        self.results: dict[str, bool] = {}

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def answered(self) -> int:
        return len(self.results)

    @property
    def score(self) -> int:
        return sum(self.results.values())

    def question(self, number: int) -> Question:
        """A question by its 1-based number, as shown to the learner."""
        if not 1 <= number <= self.total:
            raise QuizError(f"没有第 {number} 题（共 {self.total} 题）", "题号从 1 开始，用 cu.show_quiz() 查看。")
        return self.questions[number - 1]

    def is_scored(self, question_id: str) -> bool:
        """Whether the question already has its scored (first) answer."""
        return question_id in self.results

    def submit(self, question_id: str, selected_indices: Iterable[int]) -> Feedback:
        """Check an answer; the first submission of each question counts towards the score."""
        feedback = check_answer(question_id, selected_indices, self.questions)
        self.results.setdefault(question_id, feedback.correct)
        return feedback

    def reset(self) -> None:
        self.results.clear()

    def score_text(self) -> str:
        return (
            f"当前得分：{self.score} / {self.answered}"
            f"（已答 {self.answered} 题，共 {self.total} 题；每题第一次作答计分）"
        )


def format_question(question: Question, number: int) -> str:
    lines = [f"第 {number} 题（{question.kind}）：{question.question}"]
    lines += [f"   {i}. {option.text}" for i, option in enumerate(question.options, start=1)]
    return "\n".join(lines)


# ---------------------------------------------------------------- text front end

_text_quiz: Quiz | None = None


def text_quiz() -> Quiz:
    """The quiz state behind show_quiz() / answer() / reset_quiz()."""
    global _text_quiz
    if _text_quiz is None:
        _text_quiz = Quiz()
    return _text_quiz


def show_quiz(*numbers: int) -> None:
    """Print the questions (all, or the given 1-based numbers) with numbered options."""
    quiz = text_quiz()
    chosen = numbers or range(1, quiz.total + 1)
    print("\n\n".join(format_question(quiz.question(n), n) for n in chosen))
    print("\n作答：cu.answer(题号, 选项号)；多选题传一个列表，例如 cu.answer(2, [1, 3])")


def _as_indices(choice: int | Iterable[int]) -> list[int]:
    values = [choice] if isinstance(choice, int) else list(choice)
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in values):
        raise QuizError("选项要用数字编号表示", "例如 cu.answer(1, 2) 或 cu.answer(2, [1, 3])。")
    return [value - 1 for value in values]


def answer(question_number: int, choice: int | Iterable[int]) -> None:
    """Answer a question by number (1-based options; a list for multiple choice); prints feedback and score."""
    quiz = text_quiz()
    question = quiz.question(question_number)
    scored_before = quiz.is_scored(question.id)
    feedback = quiz.submit(question.id, _as_indices(choice))
    print(f"第 {question_number} 题（{question.kind}）：{question.question}")
    print(feedback.text())
    if scored_before:
        print(RESUBMIT_NOTE)
    print(quiz.score_text())


def reset_quiz() -> None:
    """Start the text quiz over."""
    text_quiz().reset()
    print("已重新开始：" + text_quiz().score_text())


# ---------------------------------------------------------------- widget front end


class QuestionCard:
    """The widgets of one question: its choice control, a 提交 button and the feedback area."""

    def __init__(self, quiz: Quiz, question: Question, number: int, on_submit):
        self.question = question
        self.number = number
        self._quiz = quiz
        self._on_submit = on_submit
        title = widgets.HTML(f"<b>第 {number} 题（{question.kind}）</b> {html.escape(question.question)}")
        if question.multiple:
            self.checkboxes = [
                widgets.Checkbox(value=False, description=option.text, indent=False, layout=AUTO_WIDTH)
                for option in question.options
            ]
            self.choice = widgets.VBox(self.checkboxes)
        else:
            self.checkboxes = []
            self.choice = widgets.RadioButtons(
                options=[(option.text, i) for i, option in enumerate(question.options)],
                index=None,
                layout=AUTO_WIDTH,
            )
        self.submit_button = widgets.Button(description="提交", button_style="primary")
        self.submit_button.on_click(lambda _button: self.submit())
        self.feedback = widgets.HTML("")
        self.box = widgets.VBox(
            [title, self.choice, self.submit_button, self.feedback],
            layout=widgets.Layout(border="1px solid #ddd", padding="6px", margin="4px 0"),
        )

    def select(self, indices: Iterable[int]) -> None:
        """Set the selection programmatically (0-based option indices)."""
        chosen = set(indices)
        if self.question.multiple:
            for i, box in enumerate(self.checkboxes):
                box.value = i in chosen
        else:
            self.choice.value = next(iter(chosen)) if chosen else None

    def selected(self) -> tuple[int, ...]:
        if self.question.multiple:
            return tuple(i for i, box in enumerate(self.checkboxes) if box.value)
        return () if self.choice.value is None else (self.choice.value,)

    def submit(self) -> Feedback | None:
        scored_before = self._quiz.is_scored(self.question.id)
        try:
            feedback = self._quiz.submit(self.question.id, self.selected())
        except QuizError as err:
            message = html.escape(f"{err.problem}。{err.fix}")
            self.feedback.value = f"<span style='color:#9a6700'>{message}</span>"
            return None
        note = f"<p><i>{html.escape(RESUBMIT_NOTE)}</i></p>" if scored_before else ""
        self.feedback.value = feedback.html() + note
        self._on_submit()
        return feedback

    def clear(self) -> None:
        self.select(())
        self.feedback.value = ""


class QuizWidget(StaticFallbackBox):
    """All questions as cards, a running score and a 重新开始 button."""

    def __init__(self, quiz: Quiz | None = None, **kwargs):
        self.quiz = quiz or Quiz()
        self.score_label = widgets.HTML()
        self.cards = {
            question.id: QuestionCard(self.quiz, question, number, self._update_score)
            for number, question in enumerate(self.quiz.questions, start=1)
        }
        self.reset_button = widgets.Button(description="重新开始", icon="refresh")
        self.reset_button.on_click(lambda _button: self.reset())
        self._update_score()
        header = widgets.HBox([self.score_label, self.reset_button])
        super().__init__([header, *(card.box for card in self.cards.values())], **kwargs)

    def card(self, number: int) -> QuestionCard:
        """A question's card by its 1-based number."""
        return self.cards[self.quiz.question(number).id]

    def _update_score(self) -> None:
        self.score_label.value = f"<b>{html.escape(self.quiz.score_text())}</b>"

    def reset(self) -> None:
        self.quiz.reset()
        for card in self.cards.values():
            card.clear()
        self._update_score()

    def static_html(self) -> str:
        blocks = [f"<p><b>{html.escape(self.quiz.score_text())}</b></p>"]
        for number, question in enumerate(self.quiz.questions, start=1):
            blocks.append(f"<pre>{html.escape(format_question(question, number))}</pre>")
        blocks.append("<p>（这里显示的是静态版本：当前环境没有渲染交互控件。用 cu.answer(题号, 选项号) 作答。）</p>")
        return "".join(blocks)


def quiz_widget(quiz: Quiz | None = None, static: bool | None = None) -> QuizWidget:
    """The interactive quiz; prints its static view when asked or outside IPython."""
    return finish(QuizWidget(quiz), static)


def run_quiz(mode: str = "auto") -> QuizWidget | None:
    """Start the quiz: ``"widgets"``, ``"text"``, or ``"auto"`` (widgets inside a Jupyter/Colab kernel)."""
    if mode not in MODES:
        raise QuizError(f"不认识的模式「{mode}」", f"mode 只能是 {' / '.join(MODES)}。")
    if mode == "widgets" or (mode == "auto" and widget_frontend_likely()):
        return quiz_widget()
    show_quiz()
    return None


__all__ = [
    "Feedback",
    "Option",
    "OptionFeedback",
    "Question",
    "Quiz",
    "QuizError",
    "QuizWidget",
    "answer",
    "check_answer",
    "get_question",
    "load_questions",
    "quiz_widget",
    "reset_quiz",
    "run_quiz",
    "show_quiz",
    "text_quiz",
    "validate_questions",
]
