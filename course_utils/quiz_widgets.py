"""The quiz's widget front end: one card per question, a running score, and ``run_quiz`` to pick a front end.

Notebook frontends that render ipywidgets show the cards live; elsewhere the
widget prints a static view (see ``frontend``) and the text front end
(``quiz_text``) takes the answers.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import ipywidgets as widgets

from .frontend import StaticFallbackBox, finish, widget_frontend_likely
from .quiz import RESUBMIT_NOTE, Feedback, Question, Quiz, QuizError, format_question
from .quiz_text import answer_hint, show_quiz

MODES = ("auto", "widgets", "text")
AUTO_WIDTH = {"width": "auto"}


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
        hint = html.escape(answer_hint(self.quiz.lesson))
        blocks.append(f"<p>（这里显示的是静态版本：当前环境没有渲染交互控件。{hint}）</p>")
        return "".join(blocks)


def quiz_widget(quiz: Quiz | None = None, static: bool | None = None, lesson: str | None = None) -> QuizWidget:
    """The interactive quiz (of one lesson if asked); prints its static view when asked or outside IPython."""
    return finish(QuizWidget(quiz if quiz is not None else Quiz(lesson=lesson)), static)


def run_quiz(mode: str = "auto", lesson: str | None = None) -> QuizWidget | None:
    """Start the quiz (all questions, or one lesson's check questions).

    ``mode``: ``"widgets"``, ``"text"``, or ``"auto"`` (widgets inside a Jupyter/Colab kernel).
    """
    if mode not in MODES:
        raise QuizError(f"不认识的模式「{mode}」", f"mode 只能是 {' / '.join(MODES)}。")
    if mode == "widgets" or (mode == "auto" and widget_frontend_likely()):
        return quiz_widget(lesson=lesson)
    show_quiz(lesson=lesson)
    return None


__all__ = ["QuestionCard", "QuizWidget", "quiz_widget", "run_quiz"]
