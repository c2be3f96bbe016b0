"""One term per concept (issue #18, item 5): the prose uses the names the glossary of lesson 00 gives.

The glossary (``## 术语表`` in 00_intro) names each term once with its other name; everywhere else, in the
lessons' markdown and in the check questions, a lesson is a 节 (never a 课), and loss / accuracy are written
as such (损失 / 准确率 appear only in the glossary).
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
QUIZ = ROOT / "course_utils" / "quiz_questions.json"

# a word the glossary replaces -> the glossary's word
OTHER_NAMES = {
    r"第 ?\d+ ?课|这一课|上一课|下一课|本课(?!程)": "节",
    r"损失": "loss",
    r"准确率": "accuracy",
    r"整理函数": "数据整理器",
}


def prose_cells():
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            text = "".join(cell["source"])
            if cell["cell_type"] == "markdown" and not text.startswith("## 术语表"):
                yield f"{path.name}[{index}]", text


def quiz_texts():
    def strings(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)
        elif isinstance(value, str):
            yield value

    for question in json.loads(QUIZ.read_text(encoding="utf-8")):
        for text in strings(question):
            yield f"quiz:{question['id']}", text


def offenders(texts):
    found = []
    for where, text in texts:
        for pattern, word in OTHER_NAMES.items():
            for match in re.finditer(pattern, text):
                found.append(f"{where}: {match.group(0)!r} -> {word}")
    return found


def test_the_glossary_names_each_term_with_its_other_name():
    glossary = next(text for path in NOTEBOOKS[:1] for text in _cells(path) if text.startswith("## 术语表"))
    pairs = (("节", "课程的一个笔记本"), ("loss", "损失"), ("accuracy", "准确率"), ("数据整理器", "data collator"))
    for term, other in pairs:
        assert re.search(rf"^\| {term} \| [^|]*{other}", glossary, flags=re.MULTILINE), term


def _cells(path):
    return ["".join(cell["source"]) for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]]


@pytest.mark.parametrize("source", ["lessons", "quiz"])
def test_the_prose_uses_the_glossarys_words(source):
    texts = prose_cells() if source == "lessons" else quiz_texts()
    assert offenders(texts) == []


def test_the_check_can_fail():
    assert offenders([("x", "第 04 课的损失和准确率")]) == [
        "x: '第 04 课' -> 节",
        "x: '损失' -> loss",
        "x: '准确率' -> accuracy",
    ]
    assert offenders([("x", "本课程的 loss 和 accuracy")]) == []
