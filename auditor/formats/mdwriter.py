"""One Markdown writer for `audit` and `diff`: a document of sections that fits a character budget.

A pull-request comment holds at most 65,536 characters, a job summary 1 MiB; a report that does not
fit is cut, never truncated mid-table. Each section has a heading and lines that are always kept
(`head`, `tail`), rows that can be cut (table rows, bullet lines; kept in order, the first the most
important) and a priority (0 first). The budget goes to every section's fixed lines, then to rows,
the most important sections first; a section that loses rows says how many and which command shows
them all. The sections come out in document order whatever their priority.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_MAX_CHARS = 60_000  # a pull-request comment's budget, with room for a wrapper


@dataclass
class Section:
    head: list[str] = field(default_factory=list)  # always kept: heading, intro, table header
    rows: list[str] = field(default_factory=list)  # cut from the end when the budget runs out
    tail: list[str] = field(default_factory=list)  # always kept, after the rows
    priority: int = 0  # 0 first: the rows of lower numbers are kept first
    unit: str = "rows"  # what a row is, for the line saying how many were cut


def render(sections: list[Section], max_chars: int = DEFAULT_MAX_CHARS, *, full: str = "") -> str:
    """The document within `max_chars` characters (when its fixed lines fit): each cut section
    says `… N more {unit} not shown ({full})`."""
    fixed = sum(_size(s.head) + _size(s.tail) for s in sections)
    # every section that may be cut keeps room for its note (the longest it can be); a section
    # that keeps all its rows gives the room back
    notes = {id(s): len(_note(s, len(s.rows), full)) + 1 for s in sections if s.rows}
    budget = max_chars - fixed - sum(notes.values())
    kept: dict[int, int] = {}
    for section in sorted(sections, key=lambda s: s.priority):
        count = 0
        room = notes.get(id(section), 0)
        for row in section.rows:
            cost = len(row) + 1
            last = count + 1 == len(section.rows)
            if cost > budget + (room if last else 0):
                break
            budget -= cost
            count += 1
        if count == len(section.rows):
            budget += room  # nothing cut: no note
        kept[id(section)] = count
    out: list[str] = []
    for section in sections:
        count = kept[id(section)]
        out += section.head + section.rows[:count]
        if count < len(section.rows):
            out.append(_note(section, len(section.rows) - count, full))
        out += section.tail
    text = "\n".join(out).rstrip("\n") + "\n"
    if len(text) > max_chars:  # the fixed lines alone do not fit: cut at a line, and say so
        cut = text[: max(0, max_chars - 80)].rsplit("\n", 1)[0]
        text = cut + f"\n\n… cut at {max_chars} characters ({full or 'see the JSON report'})\n"
    return text


def _note(section: Section, missing: int, full: str) -> str:
    where = f" ({full})" if full else ""
    return f"\n… {missing} more {section.unit} not shown{where}.\n"


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)
