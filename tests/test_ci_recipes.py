"""The GitHub Action, the Azure DevOps template and the CI recipes (examples/ci/): valid against
the published schemas (check-jsonschema's vendored copies, offline), consistent with each other,
safe from script injection, shown in the docs exactly as shipped; pipelines/run.sh builds the
command lines and passes azroute's exit code through."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT

ACTION = ROOT / "action.yml"
TEMPLATE = ROOT / "pipelines" / "azure-devops.yml"
RUN_SH = ROOT / "pipelines" / "run.sh"
GITHUB = sorted((ROOT / "examples" / "ci" / "github").glob("*.yml"))
AZURE = sorted((ROOT / "examples" / "ci" / "azure-devops").glob("*.yml"))
LOCAL_ACTION = "./.github/actions/azroute"
REPORTED = ("0", "1", "3")  # the exits after which azroute wrote its report


def _load(path: Path) -> Any:
    """YAML 1.2, as GitHub and Azure DevOps read it (`on` is a key, not True)."""
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


@functools.cache
def _schema(name: str) -> dict[str, Any]:
    vendor = files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads((vendor / f"{name}.json").read_text(encoding="utf-8"))
    return schema


def _errors(doc: Any, schema: str) -> list[str]:
    validator = jsonschema.Draft7Validator(_schema(schema))
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(doc)]


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def test_the_recipes_exist() -> None:
    names = {p.name for p in GITHUB}
    assert {
        "scheduled-audit.yml",
        "scheduled-audit-commit.yml",
        "pr-terraform.yml",
        "pr-what-if.yml",
    } <= names
    assert {"scheduled-audit.yml", "pr-terraform.yml"} <= {p.name for p in AZURE}


def test_the_action_is_valid_against_the_published_schema() -> None:
    assert _errors(_load(ACTION), "github-actions") == []


@pytest.mark.parametrize("path", GITHUB, ids=lambda p: p.name)
def test_github_workflows_are_valid_against_the_published_schema(path: Path) -> None:
    assert _errors(_load(path), "github-workflows") == []


def test_the_schemas_refuse_what_github_refuses() -> None:
    """The validation can fail: a misspelt key and a step with neither `run` nor `uses`."""
    workflow = _load(GITHUB[0])
    workflow["jobs"]["audit" if "audit" in workflow["jobs"] else next(iter(workflow["jobs"]))]["stepz"] = []
    assert _errors(workflow, "github-workflows")
    action = _load(ACTION)
    action["runs"]["steps"].append({"name": "nothing", "shell": "bash"})
    assert _errors(action, "github-actions")


def test_the_action_installs_from_its_own_checkout_and_runs_the_shared_script() -> None:
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    text = ACTION.read_text(encoding="utf-8")
    assert '"$SOURCE"' in text and "SOURCE: ${{ github.action_path }}" in text
    assert "${{ github.action_path }}/pipelines/run.sh" in text
    assert "pip install azure-route-auditor" not in text
    uses = [s.get("uses", "") for s in action["runs"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)


def test_inputs_and_outputs_referenced_are_declared() -> None:
    action = _load(ACTION)
    inputs, outputs = set(action["inputs"]), set(action["outputs"])
    text = ACTION.read_text(encoding="utf-8")
    assert set(re.findall(r"inputs\.([a-z-]+)", text)) <= inputs
    step_ids = {s["id"] for s in action["runs"]["steps"] if "id" in s}
    for step, name in re.findall(r"steps\.([a-z-]+)\.outputs\.([a-z-]+)", text):
        assert step in step_ids
        if step == "run":
            assert f"{name}=" in text, f"the run step never writes {name}"
    for path in GITHUB:
        workflow = _load(path)
        ours = [s for s in _steps(workflow) if s.get("uses") == LOCAL_ACTION]
        assert ours, f"{path.name} does not use the action"
        for step in ours:
            assert set(step.get("with", {})) <= inputs, path.name
            assert {k for k, v in action["inputs"].items() if v.get("required")} <= set(step["with"])
        for name in re.findall(r"steps\.azroute\.outputs\.([a-z-]+)", path.read_text(encoding="utf-8")):
            assert name in outputs, f"{path.name}: no output {name}"


def test_no_expression_is_interpolated_into_a_script() -> None:
    """Inputs, event fields and step outputs reach scripts through `env`, never spliced into `run`
    (GitHub's script-injection guidance): only the runner's own values may be."""
    scripts = [s["run"] for s in _load(ACTION)["runs"]["steps"] if "run" in s]
    scripts += [s["run"] for p in GITHUB for s in _steps(_load(p)) if "run" in s]
    assert scripts
    for script in scripts:
        assert "${{" not in script, script


def test_scripts_are_valid_bash() -> None:
    scripts = [s["run"] for s in _load(ACTION)["runs"]["steps"] if "run" in s]
    scripts += [s["run"] for p in GITHUB for s in _steps(_load(p)) if "run" in s]
    template = _load(TEMPLATE)
    scripts += [s for s in _strings(template["steps"]) if "\n" in s and ("$" in s or "echo" in s)]
    body = "".join(f"f{i}() {{\n{s}\n}}\n" for i, s in enumerate(scripts))
    check = subprocess.run(["bash", "-n", "-c", body], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    check = subprocess.run(["bash", "-n", str(RUN_SH)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr


def test_exits_are_read_without_bash_e_and_2_and_4_fail() -> None:
    action = _load(ACTION)
    run_step = next(s for s in action["runs"]["steps"] if s.get("id") == "run")
    assert run_step["run"].lstrip().startswith("set +e") and "code=$?" in run_step["run"]
    result = action["runs"]["steps"][-1]["run"]
    cases = {line.strip()[0]: line for line in result.splitlines() if re.match(r"\s*\d\)", line)}
    for code in ("1", "2", "4"):
        assert cases[code].rstrip().endswith(f"exit {code} ;;"), code
    assert "exit" not in cases["0"]
    assert "continue-on-error" not in json.dumps([_load(p) for p in GITHUB])
    template = TEMPLATE.read_text(encoding="utf-8")
    assert template.count("set +e") == 2 and "exit 2 ;;" in template and "exit 4 ;;" in template


def test_pull_request_recipes_sign_in_first_and_fetch_the_scheduled_snapshot() -> None:
    uploaded = {
        s["with"]["name"]
        for p in GITHUB
        for s in _steps(_load(p))
        if s.get("uses", "").startswith("actions/upload-artifact@")
    }
    scheduled = (ROOT / "examples" / "ci" / "github" / "scheduled-audit.yml").read_text(encoding="utf-8")
    for name in ("pr-terraform.yml", "pr-what-if.yml"):
        workflow = _load(ROOT / "examples" / "ci" / "github" / name)
        assert "pull_request" in workflow["on"]
        steps = _steps(workflow)
        login = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("azure/login@"))
        change = next(
            i
            for i, s in enumerate(steps)
            if "terraform plan" in s.get("run", "") or "what-if" in s.get("run", "")
        )
        ours = next(i for i, s in enumerate(steps) if s.get("uses") == LOCAL_ACTION)
        assert login < change < ours
        fetch = next(s for s in steps if "gh run download" in s.get("run", ""))
        assert fetch["run"].lstrip().startswith("set +e")
        artifact = re.search(r"--name (\S+)", fetch["run"])
        assert artifact and artifact.group(1) in uploaded
        assert f".github/workflows/{fetch['env']['WORKFLOW']}" in scheduled  # the file it is saved as
        assert workflow["permissions"]["actions"] == "read"
        diff = steps[ours]["with"]
        assert diff["command"] == "diff" and diff["snapshot"] == "snapshot"


def test_artifacts_are_kept_only_when_the_report_was_written() -> None:
    for path in GITHUB:
        for step in _steps(_load(path)):
            if step.get("uses", "").startswith(("actions/upload-artifact@", "github/codeql-action/")) or (
                step.get("id") == "commit"
            ):
                condition = step.get("if", "")
                assert "!cancelled()" in condition, (path.name, step)
                assert json.dumps(list(REPORTED)) in condition or "steps.commit" in condition


# -- Azure DevOps -------------------------------------------------------------------------------------


def test_the_azure_devops_template_declares_what_it_uses() -> None:
    template = _load(TEMPLATE)
    declared = {p["name"] for p in template["parameters"]}
    used = set(re.findall(r"parameters\.([A-Za-z]+)", TEMPLATE.read_text(encoding="utf-8")))
    assert used == declared
    assert all("type" in p for p in template["parameters"])
    env_names = {k for s in _strings(template["steps"]) for k in re.findall(r"AZROUTE_CI_[A-Z_]+", s)} | set(
        re.findall(r"(AZROUTE_CI_[A-Z_]+):", TEMPLATE.read_text(encoding="utf-8"))
    )
    assert env_names <= set(re.findall(r"AZROUTE_CI_[A-Z_]+", RUN_SH.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", AZURE, ids=lambda p: p.name)
def test_azure_pipelines_use_the_template_with_declared_parameters(path: Path) -> None:
    pipeline = _load(path)
    declared = {p["name"] for p in _load(TEMPLATE)["parameters"]}
    required = {p["name"] for p in _load(TEMPLATE)["parameters"] if "default" not in p}
    repos = {r["repository"]: r for r in pipeline["resources"]["repositories"]}
    assert "azroute" in repos and repos["azroute"]["type"] in {"git", "github"}
    steps = pipeline["steps"]
    assert all(
        isinstance(s, dict)
        and len({"task", "script", "bash", "checkout", "template", "publish"} & set(s)) == 1
        for s in steps
    )
    checkouts = {s["checkout"]: s.get("path") for s in steps if "checkout" in s}
    assert checkouts == {"self": "self", "azroute": "azroute"}  # the template's defaults
    (use,) = [s for s in steps if "template" in s]
    file, _, repo = use["template"].partition("@")
    assert repo == "azroute" and (ROOT / file).resolve() == TEMPLATE
    assert required <= set(use["parameters"]) <= declared
    tasks = [s["task"] for s in steps if "task" in s]
    assert all(re.fullmatch(r"[A-Za-z]+@\d+", t) for t in tasks)
    if use["parameters"].get("command") == "diff":
        fetch = next(s for s in steps if s.get("task", "").startswith("DownloadPipelineArtifact@"))
        assert fetch["inputs"]["artifact"] == "network-snapshot" and fetch["inputs"]["source"] == "specific"
        signed = next(i for i, s in enumerate(steps) if s.get("task", "").startswith("AzureCLI@"))
        assert "terraform plan" in steps[signed]["inputs"]["inlineScript"]
        assert signed < steps.index(use)


# -- pipelines/run.sh ----------------------------------------------------------------------------------


def _run(tmp_path: Path, code: int, **env: str) -> tuple[int, list[str]]:
    """run.sh with a fake azroute that records its arguments and exits `code`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "azroute"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{tmp_path}/args"\nexit {code}\n', encoding="utf-8")
    fake.chmod(0o755)
    (tmp_path / "args").unlink(missing_ok=True)
    environ = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "AZROUTE_CI_SUMMARY": str(tmp_path / "s.md"),
    }
    environ |= {f"AZROUTE_CI_{k.upper()}": v for k, v in env.items()}
    done = subprocess.run(
        ["bash", "-e", str(RUN_SH)], cwd=tmp_path, env=environ, capture_output=True, text=True, check=False
    )
    args = (
        (tmp_path / "args").read_text(encoding="utf-8").splitlines() if (tmp_path / "args").exists() else []
    )
    return done.returncode, args


@pytest.mark.parametrize("code", [0, 1, 2, 3, 4])
def test_run_sh_passes_the_exit_code_through(tmp_path: Path, code: int) -> None:
    assert _run(tmp_path, code, snapshot="snap")[0] == code


def test_run_sh_builds_the_audit_command_line(tmp_path: Path) -> None:
    (tmp_path / "known.json").write_text("{}")
    _code, args = _run(
        tmp_path, 0, subscriptions="s1, s2", snapshot="snap", baseline="known.json", fail_on="warning",
        sarif="out/a.sarif", junit="out/a.xml", config="base.toml", args="--select TRN,PRF",
    )  # fmt: skip
    assert args[0] == "audit"
    line = " ".join(args)
    assert "--subscription s1 --subscription s2 --out snap" in line
    assert "--fail-on warning" in line and "--baseline known.json" in line and "--config base.toml" in line
    assert "--output sarif=out/a.sarif" in line and "--output junit=out/a.xml" in line
    assert "--select TRN,PRF" in line and f"--output markdown={tmp_path / 's.md'}" in line
    assert (tmp_path / "out").is_dir()
    _code, args = _run(tmp_path, 0, subscriptions="all", snapshot="snap", baseline="missing.json")
    assert args[:4] == ["audit", "--all-subscriptions", "--out", "snap"] and "--baseline" not in args


def test_run_sh_builds_the_diff_command_line(tmp_path: Path) -> None:
    code, args = _run(
        tmp_path,
        1,
        command="diff",
        snapshot="snap",
        terraform_plan="plan.json",
        format="json",
        output="d.json",
    )
    assert code == 1
    assert args == [
        "diff", "snap", "--terraform-plan", "plan.json", "--format", "markdown",
        "diff", "snap", "--terraform-plan", "plan.json", "--format", "json",
    ]  # fmt: skip
    assert _run(tmp_path, 0, command="lint", snapshot="snap")[0] == 2


# -- the docs show the shipped files ----------------------------------------------------------------------

MARKER = re.compile(r"<!-- recipe: (\S+) -->\n```ya?ml\n(.*?)```\n", re.S)
FENCE = re.compile(r"```ya?ml\n(.*?)```\n", re.S)


def _docs() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_recipe_in_the_docs_is_a_shipped_file() -> None:
    shown: set[Path] = set()
    for doc in _docs():
        text = doc.read_text(encoding="utf-8")
        for name, body in MARKER.findall(text):
            file = (ROOT / name).resolve()
            assert file.is_file(), f"{doc.name}: {name} is not shipped"
            assert body == file.read_text(encoding="utf-8"), f"{doc.name}: {name} differs from the file"
            shown.add(file)
        rest = MARKER.sub("", text)
        for body in FENCE.findall(rest):
            doc_ = _load_text(body)
            pipeline = isinstance(doc_, dict) and bool({"jobs", "steps", "runs", "stages"} & set(doc_))
            assert not pipeline, f"{doc.name}: a pipeline inlined instead of shipped:\n{body[:200]}"
    assert {p.resolve() for p in [*GITHUB, *AZURE]} <= shown, "every recipe is shown in the docs"


def _load_text(text: str) -> Any:
    try:
        return YAML(typ="safe", pure=True).load(text)
    except Exception:  # a fragment, not a document
        return None


def test_no_doc_installs_from_a_package_index() -> None:
    """azroute is not on a package index: no command shown or shipped installs it from one (the
    docs may say so in prose)."""
    for path in [*_docs(), ACTION, TEMPLATE, *GITHUB, *AZURE, ROOT / "Dockerfile"]:
        text = path.read_text(encoding="utf-8")
        code = "".join(re.findall(r"```.*?```", text, re.S)) if path.suffix == ".md" else text
        assert not re.search(r"pip install (-\S+ )*azure-route-auditor\b", code), path.name
