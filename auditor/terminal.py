"""The terminal: colour when it helps (a TTY, no NO_COLOR), quiet and verbose modes.

Output that is not a terminal (a pipe, a file, CI logs) is never coloured unless FORCE_COLOR is
set, so what scripts read is the plain text.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable
from typing import TextIO

from rich.console import Console
from rich.text import Text

LOGGER = "azroute"
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_SEVERITY_AT_LINE_START = re.compile(r"^(error|warning|info)\b", re.MULTILINE)


class Mode:
    quiet = False


def colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


def write(text: str, err: bool = False) -> None:
    """Write already-escaped text; on a colour terminal, severities at the start of table rows and
    the summary line are coloured."""
    stream = sys.stderr if err else sys.stdout
    if not colour(stream):
        stream.write(text)
        stream.flush()
        return
    styled = Text(text)
    for match in _SEVERITY_AT_LINE_START.finditer(text):
        styled.stylize(SEVERITY_STYLE[match.group(1)], match.start(), match.end())
    Console(file=stream, force_terminal=True, highlight=False, soft_wrap=True).print(styled, end="")


def configure(quiet: bool, verbose: int) -> None:
    """`-q`: only results and errors; `-v`: what azroute does (INFO), `-vv`: DEBUG. Only azroute's
    own logger: the Azure SDK's request logs are never enabled this way (they may carry headers)."""
    Mode.quiet = quiet
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.ERROR if quiet else level)
    if not any(isinstance(h, _Stderr) for h in logger.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("azroute: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
    logger.propagate = False


class _Stderr(logging.Handler):
    """Writes to whatever sys.stderr is at the time (tests swap it), one escaped line per record."""

    def emit(self, record: logging.LogRecord) -> None:
        from auditor.textsafe import escape

        try:
            sys.stderr.write(escape(self.format(record)) + "\n")
        except Exception:  # a logging failure must never take a command down
            self.handleError(record)


def log() -> logging.Logger:
    return logging.getLogger(LOGGER)


class Stages:
    """Progress of a long command's stages on stderr (rich), only when stderr is a terminal and
    not quiet: `stage(name, total)` starts a bar and returns the function that advances it."""

    def __init__(self, enabled: bool = True) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        self.enabled = enabled and console.is_terminal and not Mode.quiet
        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=True,
        )  # fmt: skip
        self._started = False

    def stage(self, name: str, total: int) -> Callable[[], None]:
        if not self.enabled:
            return lambda: None
        if not self._started:
            self._bar.start()
            self._started = True
        task = self._bar.add_task(name, total=max(total, 1))
        return lambda: self._bar.advance(task)

    def close(self) -> None:
        if self._started:
            self._bar.stop()
            self._started = False
