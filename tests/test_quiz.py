"""The quiz: its data (tagged by lesson), answer checking, the score, and both front ends."""

import ast
import copy
import html
import json
import re
from pathlib import Path

import ipywidgets as widgets
import pytest

import course_utils as cu
import course_utils.quiz as quiz_module
import course_utils.quiz_text as quiz_text
import course_utils.quiz_widgets as quiz_widget_module
from course_utils.quiz import LESSONS, Quiz, QuizError, check_answer, load_questions, validate_questions
from course_utils.quiz_text import TextQuiz
from course_utils.quiz_widgets import QuizWidget, quiz_widget

ROOT = Path(__file__).resolve().parents[1]
RAW = json.loads(quiz_module.QUESTIONS_PATH.read_text(encoding="utf-8"))

# Topics the issue asks the quiz to cover, each recognised by words in a question or its options.
TOPICS = {
    "datasets on the Hub": ["Hub", "数据集"],
    "sentence-pair input format": ["[CLS]", "[SEP]"],
    "token_type_ids": ["token_type_ids"],
    "Dataset.map(batched=True)": ["map(", "batched=True"],
    "dynamic padding": ["动态填充"],
    "collate function": ["collate_fn"],
    "new head when num_labels changes": ["num_labels", "头"],
    "TrainingArguments / eval_strategy": ["TrainingArguments", "eval_strategy"],
    "evaluation loop": ["no_grad", "argmax", "add_batch"],
    "why Accelerate": ["Accelerate", "accelerator.prepare"],
    "gather_for_metrics": ["gather_for_metrics"],
    # issue #21: the 2025 chapter's topics and zh-CN 6.mdx's Hub-browsing questions
    "one batch by hand": ["loss.backward()", "optimizer.step()", "labels"],
    "why the text columns are removed": ["remove_columns", "idx", "forward"],
    "fp16=True": ["fp16=True", "loss 缩放"],
    "training without eval_dataset": ["eval_dataset", "eval_strategy", "ValueError"],
    "gradient accumulation": ["gradient_accumulation_steps", "累加"],
    "Adam vs AdamW": ["AdamW", "Adam", "weight_decay"],
    "batches moved to the device": [".to(device)", "同一个设备"],
    "a dataset card's contents": ["数据集卡片", "许可证"],
    "which task a dataset is for": ["features", "任务", "ClassLabel"],
    # issue #21 items 3 and 4: experiment tracking and sharing on the Hub (lesson 04)
    "local tracker vs cloud tracker": ["report_to", "trackio", "wandb", "账号"],
    "what push_to_hub uploads": ["push_to_hub", "README.md", "id2label", "分词器"],
}
# Pitfalls of current library versions that the course avoids.
PITFALLS = [
    "nyu-mll/glue",
    "list(...)",
    "processing_class",
    "evaluation_strategy",
    "torch.optim",
    "group_by_length",
    "accelerate launch --cpu --num_processes 2",
]


def _all_text(item):
    return " ".join([item["question"], *(o["text"] + " " + o["explanation"] for o in item["options"])])


def _wrong_selection(question):
    """A selection that differs from the right answer (and is allowed for the question type)."""
    correct = set(question.correct_indices)
    wrong = [i for i in range(len(question.options)) if i not in correct]
    if not question.multiple:
        return [wrong[0]]
    return sorted(correct | {wrong[0]})


@pytest.fixture(autouse=True)
def fresh_text_quiz(monkeypatch):
    monkeypatch.setattr(quiz_text, "_sessions", {})


# ---------------------------------------------------------------- data


def test_question_file_is_valid():
    assert isinstance(RAW, list) and len(RAW) >= 12
    ids = [item["id"] for item in RAW]
    assert len(set(ids)) == len(ids)
    for item in RAW:
        assert set(item) == {"id", "lesson", "question", "multiple", "options"}, item["id"]
        assert item["lesson"] in LESSONS, item["id"]
        assert isinstance(item["multiple"], bool)
        n_correct = sum(option["correct"] is True for option in item["options"])
        assert n_correct >= 1, item["id"]
        if not item["multiple"]:
            assert n_correct == 1, item["id"]
        for option in item["options"]:
            assert option["text"].strip() and option["explanation"].strip(), item["id"]
    assert len(load_questions()) == len(RAW)


def test_both_single_and_multiple_choice_questions_exist():
    kinds = {item["multiple"] for item in RAW}
    assert kinds == {True, False}


@pytest.mark.parametrize("topic", TOPICS)
def test_topic_is_covered(topic):
    words = TOPICS[topic]
    assert any(all(word in _all_text(item) for word in words) for item in RAW), topic


@pytest.mark.parametrize("pitfall", PITFALLS)
def test_version_pitfall_is_covered(pitfall):
    assert any(pitfall in _all_text(item) for item in RAW), pitfall


def _broken(change):
    data = copy.deepcopy(RAW[:2])
    change(data)
    return data


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d[0]["options"][1].update(correct=True),  # single choice, two right answers
        lambda d: [o.update(correct=False) for o in d[1]["options"]],  # no right answer
        lambda d: d[0]["options"][2].update(explanation=""),  # missing explanation
        lambda d: d[1].pop("multiple"),
        lambda d: d[1].update(id=d[0]["id"]),  # duplicate id
        lambda d: d[0].pop("lesson"),
        lambda d: d[0].update(lesson="08"),  # the final quiz has no check questions of its own
    ],
    ids=[
        "single-two-correct",
        "no-correct",
        "no-explanation",
        "no-multiple",
        "duplicate-id",
        "no-lesson",
        "bad-lesson",
    ],
)
def test_validation_rejects_broken_questions(change):
    with pytest.raises(QuizError):
        validate_questions(_broken(change))


def test_questions_are_package_data():
    # tomllib is Python 3.11+, the project supports 3.10: read the one table by hand.
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    table = re.search(r"^\[tool\.setuptools\.package-data\]\n((?:[^\[\n].*\n)*)", text, re.M).group(1)
    assert re.search(r'^course_utils = \[.*"\*\.json".*\]', table, re.M), table
    assert re.search(r'^"course_utils\.sample_data" = \[.*"\*\.tsv".*\]', table, re.M), table
    assert quiz_module.QUESTIONS_PATH.parent == Path(quiz_module.__file__).parent


# ---------------------------------------------------------------- answer checking and score


@pytest.mark.parametrize("question", load_questions(), ids=lambda q: q.id)
def test_check_answer_verdicts(question):
    right = check_answer(question.id, question.correct_indices)
    assert right.correct
    assert [o.explanation for o in right.options] == [o.explanation for o in question.options]
    assert [o.selected for o in right.options] == [o.correct for o in question.options]
    wrong = check_answer(question.id, _wrong_selection(question))
    assert not wrong.correct
    assert "正确答案" in wrong.text()


def test_multiple_choice_needs_every_right_option():
    question = next(q for q in load_questions() if q.multiple and len(q.correct_indices) >= 2)
    assert not check_answer(question.id, question.correct_indices[:1]).correct


@pytest.mark.parametrize("selection", [[], [99], [0, 1]], ids=["empty", "out-of-range", "two-on-single"])
def test_unusable_answers_are_explained(selection):
    single = next(q for q in load_questions() if not q.multiple)
    with pytest.raises(QuizError):
        check_answer(single.id, selection)


def test_unknown_question_id():
    with pytest.raises(QuizError):
        check_answer("no-such-question", [0])


def test_score_counts_first_answers_and_resets():
    quiz = Quiz()
    first, second = quiz.questions[:2]
    assert quiz.submit(first.id, first.correct_indices).correct
    assert not quiz.submit(second.id, _wrong_selection(second)).correct
    assert (quiz.score, quiz.answered, quiz.total) == (1, 2, len(RAW))
    assert quiz.submit(second.id, second.correct_indices).correct  # feedback still given...
    assert (quiz.score, quiz.answered) == (1, 2)  # ...but only the first answer counts
    assert "1 / 2" in quiz.score_text()
    quiz.reset()
    assert (quiz.score, quiz.answered) == (0, 0)


# ---------------------------------------------------------------- widget front end


def _card(quiz_widget, multiple):
    return next(card for card in quiz_widget.cards.values() if card.question.multiple is multiple)


def test_widget_uses_radio_buttons_and_checkboxes():
    w = quiz_widget(static=False)
    assert isinstance(w, widgets.VBox)
    assert isinstance(_card(w, False).choice, widgets.RadioButtons)
    assert _card(w, False).choice.value is None  # nothing preselected
    assert all(isinstance(box, widgets.Checkbox) for box in _card(w, True).checkboxes)
    assert len(w.cards) == len(RAW)


def test_widget_can_be_driven_and_reset():
    w = quiz_widget(static=False)
    single, multiple = _card(w, False), _card(w, True)

    single.choice.value = single.question.correct_indices[0]
    single.submit_button.click()
    assert "回答正确" in single.feedback.value
    for option in single.question.options:
        assert html.escape(option.explanation) in single.feedback.value
    assert "1 / 1" in w.score_label.value

    for i in _wrong_selection(multiple.question):
        multiple.checkboxes[i].value = True
    multiple.submit_button.click()
    assert "还不对" in multiple.feedback.value
    assert "1 / 2" in w.score_label.value
    assert (w.quiz.score, w.quiz.answered) == (1, 2)

    multiple.select(multiple.question.correct_indices)
    multiple.submit_button.click()
    assert "回答正确" in multiple.feedback.value and "已经计分" in multiple.feedback.value
    assert "1 / 2" in w.score_label.value  # only the first answer counts

    w.reset_button.click()
    assert "0 / 0" in w.score_label.value
    assert single.feedback.value == "" and multiple.feedback.value == ""
    assert single.selected() == () and multiple.selected() == ()


def test_widget_submit_without_a_choice_asks_for_one():
    w = quiz_widget(static=False)
    card = w.card(1)
    card.submit_button.click()
    assert "还没有选择" in card.feedback.value
    assert w.quiz.answered == 0


def test_widget_display_data_carries_a_static_view():
    w = quiz_widget(static=False)
    bundle = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    for item in RAW[:3]:
        assert item["question"] in bundle["text/plain"]
        assert html.escape(item["question"]) in bundle["text/html"]


def test_widget_prints_its_static_view_outside_ipython(capsys):
    quiz_widget()
    out = capsys.readouterr().out
    assert RAW[0]["question"] in out and "cu.answer" in out


# ---------------------------------------------------------------- text front end


def test_show_quiz_prints_numbered_options(capsys):
    cu.show_quiz()
    out = capsys.readouterr().out
    for number, item in enumerate(RAW, start=1):
        assert f"第 {number} 题" in out and item["question"] in out
        for i, option in enumerate(item["options"], start=1):
            assert f"{i}. {option['text']}" in out


def test_answer_prints_feedback_and_running_score(capsys):
    questions = load_questions()
    right = [i + 1 for i in questions[0].correct_indices]
    cu.answer(1, right[0] if len(right) == 1 else right)
    out = capsys.readouterr().out
    assert "回答正确" in out and "1 / 1" in out
    assert all(option.explanation in out for option in questions[0].options)

    wrong = [i + 1 for i in _wrong_selection(questions[1])]
    cu.answer(2, wrong if questions[1].multiple else wrong[0])
    out = capsys.readouterr().out
    assert "还不对" in out and "1 / 2" in out

    right = [i + 1 for i in questions[1].correct_indices]
    cu.answer(2, right if questions[1].multiple else right[0])
    out = capsys.readouterr().out
    assert "回答正确" in out and "已经计分" in out and "1 / 2" in out

    cu.reset_quiz()
    assert "0 / 0" in capsys.readouterr().out


@pytest.mark.parametrize("bad", [(0, 1), (1, "A"), (999, 1)])
def test_answer_rejects_bad_numbers(bad):
    with pytest.raises(QuizError):
        cu.answer(*bad)


def test_run_quiz_modes(monkeypatch, capsys):
    assert isinstance(cu.run_quiz("widgets"), QuizWidget)
    capsys.readouterr()
    assert cu.run_quiz("text") is None
    assert RAW[0]["question"] in capsys.readouterr().out

    monkeypatch.setattr(quiz_widget_module, "widget_frontend_likely", lambda: True)
    assert isinstance(cu.run_quiz(), QuizWidget)
    monkeypatch.setattr(quiz_widget_module, "widget_frontend_likely", lambda: False)
    assert cu.run_quiz() is None
    with pytest.raises(QuizError):
        cu.run_quiz("gui")


def test_no_widget_frontend_outside_a_kernel(monkeypatch):
    from course_utils.frontend import widget_frontend_likely

    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert widget_frontend_likely() is False


def test_notebook_08_shows_both_front_ends():
    nb = json.loads((ROOT / "notebooks" / "08_recap_quiz.ipynb").read_text(encoding="utf-8"))
    code = ["".join(cell["source"]) for cell in nb["cells"] if cell["cell_type"] == "code"]
    assert any("cu.run_quiz()" in source for source in code)  # the final quiz draws from every lesson
    answered = [cell for cell in nb["cells"] if cell["cell_type"] == "code" and "cu.answer(" in "".join(cell["source"])]
    assert answered, "the notebook demonstrates the text front end"
    for cell in answered:  # executed, and the stored output shows the feedback and the score
        text = "".join("".join(output.get("text", "")) for output in cell["outputs"])
        assert "当前得分" in text and ("回答正确" in text or "还不对" in text)


# ---------------------------------------------------------------- check questions per lesson


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_has_three_to_eleven_check_questions(lesson):
    questions = load_questions(lesson=lesson)
    # A few per lesson; 04 covers the most ground (Trainer, evaluation, tracking, sharing, hyperparameter search).
    assert 3 <= len(questions) <= 11, (lesson, [q.id for q in questions])  # 00_intro and README say 3–11
    assert all(question.lesson == lesson for question in questions)


def test_the_final_quiz_draws_from_every_lesson():
    assert {question.lesson for question in Quiz().questions} == set(LESSONS)
    assert sum(len(load_questions(lesson=lesson)) for lesson in LESSONS) == len(RAW)


@pytest.mark.parametrize("spelling", ["04", 4, "04_trainer"])
def test_lesson_can_be_named_several_ways(spelling):
    assert [q.id for q in Quiz(lesson=spelling).questions] == [q.id for q in load_questions(lesson="04")]


@pytest.mark.parametrize("bad", ["08", "9", "trainer", 0])
def test_unknown_lesson_is_explained(bad):
    with pytest.raises(QuizError, match="检查题"):
        Quiz(lesson=bad)


def test_lesson_quiz_numbers_its_own_questions(capsys):
    lesson_questions = load_questions(lesson="07")
    cu.show_quiz(lesson="07")
    out = capsys.readouterr().out
    assert f"第 {len(lesson_questions)} 题" in out and f"第 {len(lesson_questions) + 1} 题" not in out
    assert lesson_questions[0].question in out and 'lesson="07"' in out

    first = lesson_questions[0]
    choice = [i + 1 for i in first.correct_indices]
    cu.answer(1, choice if first.multiple else choice[0], lesson="07")
    assert "1 / 1" in capsys.readouterr().out
    cu.show_quiz()  # the chapter quiz keeps its own, separate score
    capsys.readouterr()
    assert quiz_text.text_quiz().quiz.answered == 0 and quiz_text.text_quiz("07").quiz.answered == 1


def test_text_quiz_object_has_no_shared_state():
    one, two = TextQuiz(lesson="01"), TextQuiz(lesson="01")
    question = one.quiz.question(1)
    choice = [i + 1 for i in question.correct_indices]
    text = one.answer(1, choice if question.multiple else choice[0])
    assert "回答正确" in text and "1 / 1" in text
    assert two.quiz.answered == 0 and not quiz_text._sessions
    assert "0 / 0" in one.reset()


def test_lesson_widget_shows_only_that_lesson():
    w = quiz_widget(lesson="03", static=False)
    assert [card.question.id for card in w.cards.values()] == [q.id for q in load_questions(lesson="03")]
    assert "lesson=&quot;03&quot;" in w.static_html()


def test_run_quiz_for_a_lesson(capsys):
    assert len(cu.run_quiz("widgets", lesson="05").cards) == len(load_questions(lesson="05"))
    assert cu.run_quiz("text", lesson="05") is None
    out = capsys.readouterr().out
    assert all(q.question in out for q in load_questions(lesson="05"))
    assert load_questions(lesson="06")[0].question not in out


def test_quiz_data_and_text_front_end_import_no_widgets():
    for module in (quiz_module, quiz_text):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not any("ipywidgets" in name or "widget" in name for name in imported), (module.__name__, imported)
