"""The quiz's data model: questions as data, answer checking and the score.

The questions live in ``quiz_questions.json`` beside this module (a list of
``{id, lesson, question, multiple, options: [{text, correct, explanation}]}``);
``lesson`` is the notebook number ("01" to "07") whose check questions the
question belongs to, and the final quiz (notebook 08) draws from all of them.
``check_answer`` is the single place where an answer is judged; ``Quiz``
keeps the score (each question counts on its first submission).

The front ends live beside it: ``quiz_text`` (``show_quiz`` / ``answer``)
and ``quiz_widgets`` (``quiz_widget`` / ``run_quiz``). Nothing here imports
ipywidgets.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import CourseError

QUESTIONS_PATH = Path(__file__).with_name("quiz_questions.json")
LESSONS = ("01", "02", "03", "04", "05", "06", "07")
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
    lesson: str  # the notebook whose check questions include it, "01" to "07"
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
        raise QuizError(
            problem, f"检查 {QUESTIONS_PATH.name} 里的这道题：每题要有 id、lesson、question、multiple、options。"
        )


def validate_questions(raw: object) -> tuple[Question, ...]:
    """Check the JSON structure and turn it into ``Question`` objects."""
    _require(isinstance(raw, list) and len(raw) > 0, "题库应该是一个非空的列表")
    questions = []
    seen = set()
    for number, item in enumerate(raw, start=1):
        where = f"第 {number} 题"
        _require(isinstance(item, dict), f"{where}不是一个对象")
        for key, kind in (("id", str), ("lesson", str), ("question", str), ("multiple", bool), ("options", list)):
            _require(isinstance(item.get(key), kind), f"{where}缺少字段 {key}，或类型不对")
        _require(item["lesson"] in LESSONS, f"{where}（{item['id']}）的 lesson 应该是 {'、'.join(LESSONS)} 之一")
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
        questions.append(Question(item["id"], item["lesson"], item["question"], item["multiple"], tuple(options)))
    return tuple(questions)


def load_questions(path: str | Path | None = None, lesson: str | None = None) -> tuple[Question, ...]:
    """The validated questions, from the packaged file unless a path is given; only one lesson's if asked."""
    if path is None:
        questions = _packaged_questions()
    else:
        questions = validate_questions(json.loads(Path(path).read_text(encoding="utf-8")))
    if lesson is None:
        return questions
    lesson = normalize_lesson(lesson)
    return tuple(question for question in questions if question.lesson == lesson)


def normalize_lesson(lesson: str | int) -> str:
    """ "04", 4 or "04_trainer" -> "04"; anything else is a QuizError that lists the lessons."""
    text = f"{lesson:02d}" if isinstance(lesson, int) and not isinstance(lesson, bool) else str(lesson)
    number = text.split("_", 1)[0]
    if number not in LESSONS:
        raise QuizError(f"没有第「{lesson}」节的检查题", f'lesson 可以是 {"、".join(LESSONS)}（例如 lesson="04"）。')
    return number


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

    def __init__(self, questions: Iterable[Question] | None = None, lesson: str | None = None):
        if questions is None:
            questions = load_questions(lesson=lesson)
        elif lesson is not None:
            questions = [question for question in questions if question.lesson == normalize_lesson(lesson)]
        self.questions: tuple[Question, ...] = tuple(questions)
        if not self.questions:
            raise QuizError("这份测验里没有题目", "检查题库，或换一个 lesson。")
        self.lesson = None if lesson is None else normalize_lesson(lesson)
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


__all__ = [
    "LESSONS",
    "Feedback",
    "Option",
    "OptionFeedback",
    "Question",
    "Quiz",
    "QuizError",
    "check_answer",
    "format_question",
    "get_question",
    "load_questions",
    "normalize_lesson",
    "validate_questions",
]
