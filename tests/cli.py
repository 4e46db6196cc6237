"""The one way the tests run `azroute ARGS`: in process, through the click command typer builds once.

`azroute("audit", PATH, "--format", "json")` returns the exit code, stdout and stderr (named, or
unpacked: `code, out, err = azroute(...)`). An exception
the command does not handle fails the test (the installed `azroute` would print "internal error":
never acceptable), and so does "internal error" or a traceback in what it printed. Tests that need
a real process (signals, the module entry point, an installed rule pack, `serve` on a port) use
`subprocess` with `sys.executable -m auditor`, one per area.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any, NamedTuple

import typer
from typer.testing import CliRunner

from auditor.cli import app

_RUNNER = CliRunner()
_COMMAND = typer.main.get_command(app)  # built once: `CliRunner.invoke` rebuilds it on every call


class Outcome(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


def azroute(*args: str, env: Mapping[str, str | None] | None = None, input: str | None = None) -> Outcome:
    """`azroute ARGS` in process; `env` sets (None: removes) environment variables for the call."""
    with _RUNNER.isolation(input=input, env=env) as (out, err, _):
        try:
            _COMMAND.main(args=[str(a) for a in args], prog_name="azroute")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        except Exception as exc:
            raise AssertionError(f"azroute {' '.join(map(str, args))[:200]}: uncaught {exc!r}") from exc
        finally:
            sys.stdout.flush()  # the text wrappers over `out` and `err` buffer
            sys.stderr.flush()
        outcome = Outcome(code, out.getvalue().decode(), err.getvalue().decode())
    assert "internal error" not in outcome.output and "Traceback" not in outcome.output, outcome.output
    return outcome
