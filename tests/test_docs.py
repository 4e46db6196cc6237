"""Generated documents stay in sync with the code that generates them."""

from __future__ import annotations

import json
import re
from typing import Any

import typer

from auditor.cli import app
from auditor.model import Snapshot
from tests.cli import azroute
from tests.conftest import ROOT


def test_rules_md_is_generated() -> None:
    expected = azroute("rules", "--format", "markdown").stdout
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


def test_readme_command_table_is_generated_from_the_cli() -> None:
    from auditor.cli_docs import command_table, readme_with_table

    readme = (ROOT / "README.md").read_text()
    assert readme == readme_with_table(readme, command_table(app)), (
        "the README's command table is stale: python -m auditor.cli_docs --write"
    )
    assert "| `azroute networks [PATH] [--format table\\|json]` |" in readme


def test_help_has_readable_metavars_and_says_which_output_option_does_what() -> None:
    from auditor.cli_docs import command_table

    commands = [line.split("`")[1].split()[1] for line in command_table(app).splitlines()[2:]]
    assert {"audit", "diff", "plan", "networks", "routes"} <= set(commands)
    for command in commands:
        text = azroute(command, "--help").stdout
        assert text.startswith("Usage:"), command
        internals = re.findall(r"<(?:list\[[^>]*\]|str|path|int|float|bool|text|\w+ range)>", text)
        assert not internals, (command, internals)  # typer's own type names
    audit = " ".join(azroute("audit", "--help").stdout.split())
    for option in ("-o FILE", "--out DIR", "--output FORMAT=PATH"):
        assert option in audit
    # each of the three names the others, so none is mistaken for another
    group: Any = typer.main.get_command(app)
    params = group.commands["audit"].params
    helps = {opt: p.help for p in params for opt in p.opts if opt in ("-o", "--out", "--output")}
    assert "--output FORMAT=PATH" in helps["-o"] and "-o FILE" in helps["--out"]
    assert "--output FORMAT=PATH" in helps["--out"] and "-o FILE" in helps["--output"]
