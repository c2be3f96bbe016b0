"""The course site's generated pages, in MyST Markdown: home, routes, glossary, instructor guide.

Each page comes from one source at build time, never from a hand copy:

* the routes page is the README's section "数据、模型和指标从哪里来：六条路线";
* the glossary is the "## 术语表" markdown cell of ``notebooks/00_intro.ipynb``;
* the instructor guide joins ``site/instructor.json`` (goal, demo, pitfalls),
  each notebook's ``metadata.course_run`` (full-mode time and machine),
  ``site/quick_run.json`` (quick-mode times, written by
  ``python -m course_tools.refresh_outputs --quick --times-only``) and the wrong options of
  ``course_utils/quiz_questions.json``.

``python -m course_tools.build_site`` writes these pages into the staged Sphinx source tree.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from course_utils import links

ROOT = Path(__file__).resolve().parents[1]
ROUTES_HEADING = "## 数据、模型和指标从哪里来：六条路线"
GLOSSARY_HEADING = "## 术语表"
QUICK_RUN = ROOT / "site" / "quick_run.json"
REPO_URL = f"https://github.com/{links.GITHUB_REPO}/blob/{links.BRANCH}/"  # where a repository file is shown
TIMES_COMMAND = "python -m course_tools.refresh_outputs --quick --times-only site/quick_run.json"
LOCAL_BADGE = ROOT / "site" / "_static" / "colab-badge.svg"  # the same badge, drawn by the course


def local_badge(markdown: str, badge_path: str) -> str:
    """The Colab badge image from ``badge_path`` instead of Google's server (the link still opens Colab).

    Offline, a classroom's browser could not load Google's image and would show a broken one.
    """
    return markdown.replace(links.BADGE_IMAGE, badge_path)


def lesson_notebooks(root: Path = ROOT) -> list[Path]:
    """The lessons in chapter order: notebooks/00_*.ipynb ... 08_*.ipynb."""
    return sorted((root / "notebooks").glob("0*.ipynb"))


def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def cell_text(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def notebook_title(nb: dict) -> str:
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in cell_text(cell).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise ValueError("笔记本没有一级标题（# ...）")


def promote_headings(markdown: str) -> str:
    """One level up: ``## x`` becomes ``# x``, ``### x`` becomes ``## x`` (code blocks untouched)."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and re.match(r"#{2,6} ", line):
            line = line[1:]
        lines.append(line)
    return "\n".join(lines) + "\n"


def absolute_repo_links(markdown: str) -> str:
    """Links relative to the repository root point at GitHub (the site has no copy of those files)."""
    return re.sub(r"\]\((?!https?://|#|mailto:)([^)\s]+)\)", lambda m: f"]({REPO_URL}{m.group(1)})", markdown)


def readme_section(readme: str, heading: str = ROUTES_HEADING) -> str:
    """The README's section under ``heading`` (up to the next ``## `` heading), headings promoted."""
    lines = readme.splitlines()
    try:
        start = lines.index(heading)
    except ValueError:
        raise ValueError(f"README.md 里找不到标题“{heading}”") from None
    end, fenced = len(lines), False
    for i in range(start + 1, len(lines)):
        fenced ^= lines[i].startswith("```")
        if not fenced and lines[i].startswith("## "):
            end = i
            break
    return promote_headings("\n".join(lines[start:end]).strip())


def routes_page(root: Path = ROOT) -> str:
    section = readme_section((root / "README.md").read_text(encoding="utf-8"))
    title, _, body = section.partition("\n")
    note = "（本页由构建脚本取自仓库的 README.md。）\n"
    return f"{title}\n\n{note}{absolute_repo_links(body)}"


def glossary_page(root: Path = ROOT) -> str:
    intro = root / "notebooks" / "00_intro.ipynb"
    for cell in read_notebook(intro)["cells"]:
        text = cell_text(cell).strip()
        if cell["cell_type"] == "markdown" and text.startswith(GLOSSARY_HEADING):
            body = text[len(GLOSSARY_HEADING) :].strip()
            return (
                f"# 术语表\n\n（本页由构建脚本取自 [00_intro](notebooks/00_intro.ipynb) 的“术语表”一格。）\n\n{body}\n"
            )
    raise ValueError(f"{intro.name} 里没有以“{GLOSSARY_HEADING}”开头的 markdown 格")


def home_page(root: Path = ROOT) -> str:
    """README's title and introduction, then the tables of contents."""
    readme = (root / "README.md").read_text(encoding="utf-8").splitlines()
    first_section = next(i for i, line in enumerate(readme) if line.startswith("## "))
    intro = "\n".join(readme[:first_section]).strip()
    lessons = "\n".join(f"notebooks/{path.stem}" for path in lesson_notebooks(root))
    return (
        f"{intro}\n\n"
        "本站展示的是仓库里提交的笔记本和它们存储的输出（来自一次真实的完整运行），不会重新执行。"
        "每一页顶部都有“在 Colab 中打开”的徽章和下载 `.ipynb` 的链接。\n\n"
        f"```{{toctree}}\n:caption: 课程\n:maxdepth: 1\n\n{lessons}\n```\n\n"
        "```{toctree}\n:caption: 参考\n:maxdepth: 1\n\nroutes\nglossary\ninstructor\n```\n"
    )


def download_note(name: str) -> str:
    """The markdown cell put under a lesson's title on the site: a visible link to its .ipynb."""
    return (
        f'<p class="course-download">📥 <a href="{name}" download>下载笔记本 {name}</a>'
        "：在本地用 Jupyter 打开即可运行（需要先按 README 安装课程环境）。</p>\n"
    )


def format_seconds(seconds: float) -> str:
    """A run time as the guide shows it: ``1195.2 秒（约 20 分钟）``."""
    text = f"{seconds:.1f} 秒"
    return text if seconds < 60 else f"{text}（约 {round(seconds / 60)} 分钟）"


def describe_machine(record: dict) -> str:
    machine = record["machine"]
    gpu = machine.get("gpu") or "无 GPU"
    load = machine.get("load_average")  # taken when the run started
    load_text = "" if load is None else f"，开始时负载 {load}"
    return f"{machine['cpu']}，{machine['cores']} 核，{gpu}{load_text}"


def escape_markdown(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", text)


def wrong_answers(questions: list[dict], lesson: str) -> list[str]:
    """Markdown bullets: each check question of ``lesson`` with its wrong options and their explanations."""
    lines = []
    for question in questions:
        if question.get("lesson") != lesson:
            continue
        lines.append(f"- {escape_markdown(question['question'])}")
        for option in question["options"]:
            if not option["correct"]:
                lines.append(f"  - ✗ {escape_markdown(option['text'])} —— {escape_markdown(option['explanation'])}")
    return lines


def load_quick_runs(path: Path = QUICK_RUN) -> dict:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("mode") != "quick":
        raise ValueError(f"{path} 记录的不是快速模式的用时；请运行 {TIMES_COMMAND}")
    return data


def lesson_section(path: Path, info: dict, quick: dict | None, questions: list[dict]) -> str:
    nb = read_notebook(path)
    lesson = path.stem[:2]
    full = nb["metadata"].get("course_run")
    if not full:
        raise ValueError(f"{path.name} 的元数据里没有 course_run；请先运行 python -m course_tools.refresh_outputs")
    rows = ["| 模式 | 用时 | 机器 |", "| --- | --- | --- |"]
    if quick:
        rows.append(f"| 快速模式（`COURSE_QUICK=1`） | {format_seconds(quick['wall_s'])} | {describe_machine(quick)} |")
    else:
        rows.append(f"| 快速模式（`COURSE_QUICK=1`） | 尚未测量（`{TIMES_COMMAND}`） | — |")
    rows.append(f"| 完整模式 | {format_seconds(full['wall_s'])} | {describe_machine(full)} |")
    demo = "\n".join(f"- {item}" for item in info["demo"])
    pitfalls = "\n".join(f"- {item}" for item in info["pitfalls"])
    wrong = wrong_answers(questions, lesson)
    if wrong:
        wrong_text = "\n".join(wrong)
    elif lesson == "08":
        wrong_text = "章末测验汇总了 01–07 每一节的检查题，错误选项和解析见上面各节。"
    else:
        wrong_text = "这一节没有检查题。"
    return (
        f"(lesson-{lesson})=\n## {lesson} · {notebook_title(nb)}\n\n"
        f"[打开本节](notebooks/{path.stem}.ipynb)\n\n"
        f"**目标**：{info['goal']}\n\n"
        f"**现场演示**：\n\n{demo}\n\n"
        f"**用时**（从头到尾执行整本笔记本，含加载数据和模型）：\n\n" + "\n".join(rows) + "\n\n"
        f"**常见错误答案**（本节检查题的错误选项和解析）：\n\n{wrong_text}\n\n"
        f"**本节避开的新版本库的坑**：\n\n{pitfalls}\n"
    )


def instructor_page(root: Path = ROOT, quick_path: Path = QUICK_RUN) -> str:
    guide = json.loads((root / "site" / "instructor.json").read_text(encoding="utf-8"))["lessons"]
    questions = json.loads((root / "course_utils" / "quiz_questions.json").read_text(encoding="utf-8"))
    quick = load_quick_runs(quick_path)
    runs = quick.get("notebooks", {})
    head = [
        "# 讲师指南",
        "",
        "每一节：一句话目标、现场演示什么、在 CPU 上从头到尾执行要多久（快速模式和完整模式）、"
        "学生常选的错误答案，以及这一节避开的新版本库的坑。用时不是手写的：完整模式来自笔记本元数据里的 "
        "`course_run`（`python -m course_tools.refresh_outputs` 写入），快速模式来自 `site/quick_run.json`"
        f"（`{TIMES_COMMAND}` 写入）。课堂演示一般用快速模式；完整模式的结果已经存在笔记本里，可以直接讲。",
        "",
        "幻灯片：`python -m course_tools.build_slides` 为每一节生成一份 reveal.js 幻灯片，放在 `build/slides/`。",
        "",
    ]
    if quick.get("provisional"):
        head += [f'<p class="course-provisional">⚠️ 快速模式用时是临时数据：{quick["provisional"]}</p>', ""]
    sections = []
    for path in lesson_notebooks(root):
        lesson = path.stem[:2]
        if lesson not in guide:
            raise ValueError(f"site/instructor.json 里没有第 {lesson} 节（{path.name}）")
        sections.append(lesson_section(path, guide[lesson], runs.get(path.stem), questions))
    return "\n".join(head) + "\n" + "\n".join(sections)
