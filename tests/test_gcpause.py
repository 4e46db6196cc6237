"""The cyclic collector around long-lived builds (`auditor/gcpause.py`)."""

from __future__ import annotations

import gc

from auditor.gcpause import building, ending, one_command


def _generation(obj: object) -> int | None:
    """The collector's generation holding a tracked object (the young ones are searched: they are
    small; a tracked object in neither is in the oldest, or frozen)."""
    assert gc.is_tracked(obj)
    return next((g for g in (0, 1) if any(o is obj for o in gc.get_objects(generation=g))), 2)


def test_a_build_pauses_the_collector_and_resumes_it() -> None:
    assert gc.isenabled()
    with building():
        assert not gc.isenabled()
        with building():  # nested: still paused, and the outer build resumes it
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_one_command_build_settles_what_it_made_in_the_oldest_generation() -> None:
    gc.collect()
    with one_command(), building():
        made = [[index] for index in range(1000)]
    assert _generation(made[0]) == 2 and _generation(made) == 2
    assert gc.isenabled()


def test_outside_one_command_a_build_leaves_its_objects_young() -> None:
    gc.collect()
    with building():
        made = [[index] for index in range(1000)]
    assert _generation(made[0]) in (0, 1)  # walked by young collections as usual
    with one_command():
        pass
    with building():
        later = [[index] for index in range(10)]
    assert _generation(later[0]) in (0, 1)  # the command's span ended: builds no longer settle


def test_the_end_of_azroute_leaves_what_is_alive_unwalked() -> None:
    frozen = gc.get_freeze_count()  # what the test session froze after collecting (tests/conftest.py)
    made = [[index] for index in range(1000)]
    try:
        ending()
        assert gc.get_freeze_count() >= frozen + len(made)  # shutdown's collection will not walk them
    finally:
        gc.unfreeze()
        if frozen:
            gc.freeze()  # as the session left it
