"""The quiz's plain-text front end: print the questions, answer by number, see feedback and the score.

``TextQuiz`` holds one quiz's state and prints; it has no global state.
The notebook functions ``show_quiz`` / ``answer`` / ``reset_quiz`` need to
remember the score from one cell to the next, so they keep one ``TextQuiz``
per lesson (``None``: the whole chapter's quiz) in ``_sessions``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .quiz import RESUBMIT_NOTE, Quiz, QuizError, format_question, normalize_lesson


def answer_hint(lesson: str | None) -> str:
    """How to answer, as the learner types it, for the chapter quiz or one lesson's check questions."""
    if lesson is None:
        return "作答：cu.answer(题号, 选项号)；多选题传一个列表，例如 cu.answer(2, [1, 3])"
    call = f'cu.answer(题号, 选项号, lesson="{lesson}")'
    return f'作答：{call}；多选题传一个列表，例如 cu.answer(2, [1, 3], lesson="{lesson}")'


def _as_indices(choice: int | Iterable[int]) -> list[int]:
    values = [choice] if isinstance(choice, int) else list(choice)
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in values):
        raise QuizError("选项要用数字编号表示", "例如 cu.answer(1, 2) 或 cu.answer(2, [1, 3])。")
    return [value - 1 for value in values]


class TextQuiz:
    """A quiz answered by typing: ``show()`` prints questions, ``answer()`` prints feedback and the score."""

    def __init__(self, quiz: Quiz | None = None, lesson: str | None = None):
        self.quiz = quiz if quiz is not None else Quiz(lesson=lesson)
        self.lesson = self.quiz.lesson

    def show(self, *numbers: int) -> str:
        """The questions (all, or the given 1-based numbers) with numbered options, and how to answer."""
        chosen = numbers or range(1, self.quiz.total + 1)
        body = "\n\n".join(format_question(self.quiz.question(n), n) for n in chosen)
        return f"{body}\n\n{answer_hint(self.lesson)}"

    def answer(self, question_number: int, choice: int | Iterable[int]) -> str:
        """Judge an answer (1-based option numbers; a list for multiple choice); the text to print."""
        question = self.quiz.question(question_number)
        scored_before = self.quiz.is_scored(question.id)
        feedback = self.quiz.submit(question.id, _as_indices(choice))
        lines = [f"第 {question_number} 题（{question.kind}）：{question.question}", feedback.text()]
        if scored_before:
            lines.append(RESUBMIT_NOTE)
        lines.append(self.quiz.score_text())
        return "\n".join(lines)

    def reset(self) -> str:
        self.quiz.reset()
        return "已重新开始：" + self.quiz.score_text()


# One text quiz per lesson (None: the whole chapter), so answers in different cells add up.
_sessions: dict[str | None, TextQuiz] = {}


def text_quiz(lesson: str | None = None) -> TextQuiz:
    """The text quiz behind show_quiz() / answer() / reset_quiz() for a lesson (or the whole chapter)."""
    key = None if lesson is None else normalize_lesson(lesson)
    if key not in _sessions:
        _sessions[key] = TextQuiz(lesson=key)
    return _sessions[key]


def show_quiz(*numbers: int, lesson: str | None = None) -> None:
    """Print the questions (all, or the given 1-based numbers) with numbered options."""
    print(text_quiz(lesson).show(*numbers))


def answer(question_number: int, choice: int | Iterable[int], lesson: str | None = None) -> None:
    """Answer a question by number (1-based options; a list for multiple choice); prints feedback and score."""
    print(text_quiz(lesson).answer(question_number, choice))


def reset_quiz(lesson: str | None = None) -> None:
    """Start the text quiz (of a lesson, or the whole chapter) over."""
    print(text_quiz(lesson).reset())


__all__ = ["TextQuiz", "answer", "answer_hint", "reset_quiz", "show_quiz", "text_quiz"]
