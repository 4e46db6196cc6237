"""Generated documents stay in sync with the code that generates them."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from auditor.cli import app
from auditor.model import Snapshot
from tests.conftest import ROOT

runner = CliRunner()


def test_rules_md_is_generated() -> None:
    expected = runner.invoke(app, ["rules", "--format", "markdown"]).stdout
    assert (ROOT / "docs" / "rules.md").read_text() == expected, (
        "docs/rules.md is stale: azroute rules --format markdown > docs/rules.md"
    )


def test_model_schema_is_generated() -> None:
    on_disk = json.loads((ROOT / "docs" / "model.schema.json").read_text())
    assert on_disk == Snapshot.model_json_schema(), (
        "docs/model.schema.json is stale: azroute schema > docs/model.schema.json"
    )


def test_readme_quick_start_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line for line in block.splitlines()[1:] if line.strip() and not line.startswith("#")]
    assert len(commands) == 2, commands
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1].strip() in ci, "the README's test command must be what .ci/run calls"


def test_readme_lists_every_command() -> None:
    readme = (ROOT / "README.md").read_text()
    for command in (
        "audit",
        "inventory",
        "routes",
        "paths",
        "collect",
        "serve",
        "rules",
        "explain",
        "schema",
    ):
        assert re.search(rf"azroute {command}\b", readme), command
