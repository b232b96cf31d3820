"""The course kit: chapter order, exercises and reading time, read from the book's own sources.

``course.yml`` says what each chapter teaches and what it assumes; the chapter files give the rest
(title, exercises, word count), so the instructor page never drifts from the chapters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORDS_PER_MINUTE = 200
MINUTES_PER_EXERCISE = 10


@dataclass(frozen=True)
class Exercise:
    label: str
    prompt: str  # the first sentence of the exercise


@dataclass(frozen=True)
class ChapterInfo:
    docname: str
    title: str
    teaches: str
    prerequisites: tuple[str, ...]
    exercises: tuple[Exercise, ...]
    words: int

    @property
    def minutes(self) -> int:
        """Reading time at 200 words a minute plus ten minutes an exercise, rounded up to 5 minutes."""
        total = self.words / WORDS_PER_MINUTE + MINUTES_PER_EXERCISE * len(self.exercises)
        return int(-(-total // 5) * 5)


def toc_chapters(root: Path = ROOT) -> list[str]:
    """Docnames of the chapters in ``_toc.yml`` (files under ``chapters/``), in book order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    out = []
    for part in toc.get("parts", []):
        for chapter in part.get("chapters") or []:
            name = re.sub(r"\.(md|ipynb)$", "", chapter["file"])
            if name.startswith("chapters/"):
                out.append(name)
    return out


_EXERCISE = re.compile(r"```\{exercise-start\}[^\n]*\n(?::label:\s*(?P<label>\S+)\n)?(?::[^\n]*\n)*```\n(?P<body>.*?)```\{exercise-end\}",
                       re.S)


def parse_chapter(path: Path) -> tuple[str, list[Exercise], int]:
    """The title, the exercises and the prose word count of one MyST chapter."""
    text = path.read_text(encoding="utf-8")
    body = re.sub(r"^---\n.*?\n---\n", "", text, count=1, flags=re.S)
    title_match = re.search(r"^# (.+)$", body, re.M)
    if not title_match:
        raise ValueError(f"{path}: no '# ' title line")
    exercises = []
    for m in _EXERCISE.finditer(body):
        prose = " ".join(m.group("body").split())
        first = re.split(r"(?<=[.?!])\s", prose, maxsplit=1)[0]
        exercises.append(Exercise(m.group("label") or "", first))
    prose = re.sub(r"```.*?```", " ", body, flags=re.S)  # code cells and directives' fences
    words = len(re.findall(r"[A-Za-z]{2,}", prose))
    return title_match.group(1).strip(), exercises, words


def chapters(root: Path = ROOT) -> list[ChapterInfo]:
    """Every chapter in the table of contents with its course metadata; an error names a chapter that
    ``course.yml`` does not describe."""
    meta = yaml.safe_load((root / "course.yml").read_text(encoding="utf-8")) or {}
    out = []
    for docname in toc_chapters(root):
        if docname not in meta:
            raise KeyError(f"course.yml has no entry for {docname!r}: add what it teaches and its prerequisites")
        entry = meta[docname]
        title, exercises, words = parse_chapter(root / f"{docname}.md")
        out.append(ChapterInfo(docname, title, entry["teaches"], tuple(entry.get("prerequisites", [])),
                               tuple(exercises), words))
    return out


def exercise_numbers(chapter_list: list[ChapterInfo]) -> dict[str, int]:
    """Exercise label → its number in the book: one numbering, in table-of-contents order, as the chapters'
    own exercise headings number them (sphinx-exercise counts across the book)."""
    numbers: dict[str, int] = {}
    for chapter in chapter_list:
        for exercise in chapter.exercises:
            numbers[exercise.label] = len(numbers) + 1
    return numbers


@dataclass(frozen=True)
class Week:
    title: str
    chapters: tuple[str, ...]
    objectives: tuple[str, ...]


def weeks(root: Path = ROOT) -> list[Week]:
    """The four-week plan in ``course.yml``; an error names a chapter of the book that no week reads, or a week
    that names a page outside the table of contents."""
    meta = yaml.safe_load((root / "course.yml").read_text(encoding="utf-8")) or {}
    plan = [Week(w["title"], tuple(w["chapters"]), tuple(w["objectives"])) for w in meta.get("weeks", [])]
    planned = [c for w in plan for c in w.chapters]
    in_book = toc_chapters(root)
    missing = [c for c in in_book if c not in planned]
    unknown = [c for c in planned if c not in in_book]
    if missing or unknown or len(planned) != len(set(planned)):
        raise ValueError(f"course.yml weeks: chapters not planned {missing}, not in the book {unknown}, "
                         f"or planned twice")
    return plan


def capstone(root: Path = ROOT) -> dict:
    """The capstone assessment in ``course.yml``: title, brief and rubric (criterion, weight in percent)."""
    meta = yaml.safe_load((root / "course.yml").read_text(encoding="utf-8")) or {}
    cap = meta["capstone"]
    if sum(weight for _, weight in cap["rubric"]) != 100:
        raise ValueError("course.yml capstone: the rubric's weights must add up to 100")
    return cap
