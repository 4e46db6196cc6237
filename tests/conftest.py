from __future__ import annotations

import functools
import gc
import json
import os
import pickle
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from auditor import fixture as fixture_module
    from auditor.engine import AuditResult
    from auditor.intents import Intent


def _temporary_files_in_memory(minimum: int = 2 << 30) -> None:
    """Temporary directories (tmp_path, and what the code under test makes) on /dev/shm when it is a
    writable tmpfs with room, unless TMPDIR says where: the tests rewrite small files thousands of
    times, and ext4 flushes a file that is truncated and rewritten (auto_da_alloc), a few
    milliseconds each. Set before pytest picks its base temporary directory; xdist's workers
    inherit it."""
    if os.environ.get("TMPDIR"):
        return
    try:
        shm = os.statvfs("/dev/shm")
    except OSError:
        return
    if shm.f_bavail * shm.f_frsize >= minimum and os.access("/dev/shm", os.W_OK | os.X_OK):
        os.environ["TMPDIR"] = "/dev/shm"
        tempfile.tempdir = None  # gettempdir() reads TMPDIR again


_temporary_files_in_memory()


def _packs_discovered_once_per_path() -> None:
    """`engine.discover_packs` reads every distribution's entry points on the path (a couple of
    milliseconds), and the suite audits in process over a thousand times: here it is read once per
    `sys.path` (a test that installs a pack puts it on the path, and is discovered anew)."""
    from auditor import engine

    discover = engine.discover_packs
    found = functools.cache(lambda path: tuple(discover()))
    engine.discover_packs = lambda: list(found(tuple(sys.path)))


def _plugins_imported_as_they_are() -> None:
    """pytest rewrites the asserts of every module of a plugin's distribution, hypothesis's 70-odd
    included, and (where PYTHONDONTWRITEBYTECODE is set) in every process again: about a second per
    xdist worker. Their asserts are not the suite's; the suite's own (tests/) are rewritten as ever.
    Nothing changes if pytest's hook no longer holds the set of names to rewrite."""
    for hook in sys.meta_path:
        marked = getattr(hook, "_must_rewrite", None)
        if isinstance(marked, set):
            marked -= {"hypothesis", "_hypothesis_globals", "_hypothesis_pytestplugin", "xdist"}


_plugins_imported_as_they_are()

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def _repository_fixtures_read_once() -> None:
    """The suite reads the repository's fixtures a couple of thousand times: `fixture.read_source`
    of one of them (by an absolute path under fixtures/) reads and validates it from disk once per
    worker, then hands out a fresh copy of what it read (unpickled: a caller may change its copy).
    No test writes into fixtures/ (`_fixtures_stay_as_they_are` checks it); every other path (what
    the tests write, relative paths) and every error are the reader's own."""
    from auditor import fixture as fixture_module

    read = fixture_module.read_source
    seen: dict[str, bytes] = {}

    def read_source(path: Path | str) -> fixture_module.SnapshotSource:
        given = Path(path)
        if not (given.is_absolute() and given.is_relative_to(FIXTURES)):
            return read(path)
        key = str(given)
        if key not in seen:
            seen[key] = pickle.dumps(read(path))
        copy: fixture_module.SnapshotSource = pickle.loads(seen[key])
        return copy

    fixture_module.read_source = read_source


def _runs_tests(config: pytest.Config) -> bool:
    """False in pytest-xdist's controller, which only hands out what its workers collected: it
    never imports the auditor (a few tenths of a second before the workers can start)."""
    return hasattr(config, "workerinput") or not config.getoption("numprocesses", None)


def pytest_configure(config: pytest.Config) -> None:
    if _runs_tests(config):
        _packs_discovered_once_per_path()
        _repository_fixtures_read_once()


def _fixture_files() -> dict[str, tuple[int, int]]:
    """Every file under fixtures/ but the goldens (`--update-golden` rewrites them; no reader reads
    them), with its modification time and size."""
    return {
        str(f): (stat.st_mtime_ns, stat.st_size)
        for f in FIXTURES.rglob("*")
        if f.name != "expected.json" and f.is_file()
        for stat in [f.stat()]
    }


@pytest.fixture(scope="session", autouse=True)
def _fixtures_stay_as_they_are() -> Iterator[None]:
    """fixtures/ is read once per worker (`_repository_fixtures_read_once`): no test may change it."""
    before = _fixture_files()
    yield
    after = _fixture_files()
    changed = sorted(f for f in before.keys() | after.keys() if before.get(f) != after.get(f))
    assert not changed, f"a test changed fixtures/ (read once per worker, tests/conftest.py): {changed[:5]}"


INTENTS = "intents.yaml"  # a scenario's intents, passed to its audit as `--intent` would (tests only)
CONFIG = "azroute.toml"  # a scenario's configuration, passed to its audit as `--config` would (tests only)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="Rewrite fixtures/*/expected.json from current output."
    )


@pytest.fixture
def serve() -> Iterator[Any]:
    """`serve(fixture=TESTBED, **ServeOptions)`: an ArmServer on loopback, closed after the test
    (tests/live_helpers.py, imported only where a test asks for it: the SDK takes a while to import)."""
    from tests.live_helpers import serving

    yield from serving()


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def fixture_names() -> list[str]:
    """Every scenario and published design (`designs/<name>`), relative to `fixtures/`."""
    found = [*FIXTURES.glob("*/fixture.json"), *FIXTURES.glob("designs/*/fixture.json")]
    return sorted(p.parent.relative_to(FIXTURES).as_posix() for p in found)


def audit(path: Path | str) -> AuditResult:
    from auditor.engine import load_rules, run
    from auditor.fixture import load_fixture

    target = Path(path)
    if not target.is_absolute() and not target.exists():
        target = FIXTURES / target
    return run(load_fixture(target), load_rules(), **scenario_options(target))


def scenario_intents(root: Path) -> tuple[Intent, ...]:
    """The scenario's `intents.yaml`, or none."""
    from auditor.intents import load_intents

    file = (root if root.is_dir() else root.parent) / INTENTS
    return load_intents(file) if file.is_file() else ()


def scenario_options(root: Path) -> dict[str, Any]:
    """What the scenario's audit is given besides the snapshot: its `intents.yaml` (as `--intent`)
    and its `azroute.toml` (as `--config`: suppressions, severity overrides, rule options)."""
    from auditor.config import load as load_config
    from auditor.engine import load_rules

    folder = root if root.is_dir() else root.parent
    options: dict[str, Any] = {"intents": scenario_intents(folder)}
    file = folder / CONFIG
    if file.is_file():
        display = file.relative_to(ROOT).as_posix() if file.is_relative_to(ROOT) else str(file)
        config = load_config(file, [r.id for r in load_rules()], display=display)
        options.update(suppressions=config.suppressions, severity=config.severity, options=config.options)
    return options


def rules_fired(path: Path | str) -> set[str]:
    return {f.rule for f in audit(path).findings}


Editor = Callable[[str, Callable[[Any], None]], None]


def write_overlay(root: Path, base: Path, documents: list[dict[str, Any]], **manifest: Any) -> Path:
    """An overlay (`azroute-overlay/1`) at `root` on `base`: its ARM documents (one file each) and
    its manifest (`observations` kept unless `manifest` says otherwise)."""
    from auditor.writer import dump_json

    root.mkdir(parents=True, exist_ok=True)
    head = {"format": "azroute-overlay/1", "base": str(base), "name": root.name, "observations": "keep"}
    dump_json(root / "fixture.json", {**head, **manifest})
    for i, doc in enumerate(documents):
        dump_json(root / "arm" / f"change-{i}.json", doc)
    return root


@pytest.fixture
def testbed_copy(tmp_path: Path) -> tuple[Path, Editor]:
    """A writable copy of the testbed and an editor: edit("arm/connections.json", fn) mutates a document."""
    dest = tmp_path / "interop-testbed"
    # the configuration only: the scenario's intents (checked by its own golden) would flag the edits
    shutil.copytree(
        FIXTURES / "interop-testbed", dest, ignore=shutil.ignore_patterns(INTENTS, "expected.json")
    )

    def edit(relative: str, change: Callable[[Any], None]) -> None:
        file = dest / relative
        doc = json.loads(file.read_text())
        change(doc)
        file.write_text(json.dumps(doc, indent=2))

    return dest, edit


def by_name(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for doc in docs:
        if doc.get("name") == name:
            return doc
    raise KeyError(name)


@pytest.fixture
def in_tmp(tmp_path: Path) -> Iterator[Path]:
    """The test runs in its own temporary directory (configuration discovery starts there)."""
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(here)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection built (modules, parametrized cases, hypothesis's tables) lives as long as
    the worker: moved out of the collector's reach, so the collections the tests' audits and
    diffs trigger walk only what the tests build."""
    gc.freeze()
