"""What an idle runner collects, and when: the young generation once enough was allocated, the middle one when its
turn comes, the old one at most so often."""
import gc

import pytest

from shadeos_core import idle_gc
from shadeos_core.idle_gc import IdleCollector


def garbage(n: int) -> None:
    for _ in range(n):
        a: list[object] = []
        a.append(a)


@pytest.fixture
def collector():
    gc.collect()
    return IdleCollector()


def test_nothing_is_due_until_enough_was_allocated(collector):
    threshold = gc.get_threshold()[0]
    assert not collector.due()
    garbage(threshold // idle_gc.DUE_SHARE + 10)
    assert collector.due()
    assert collector.collect() == 0
    assert gc.get_count()[0] < threshold // idle_gc.DUE_SHARE and not collector.due()


def test_the_middle_generation_is_collected_when_its_turn_comes(collector):
    middle_at = gc.get_threshold()[1]
    for _ in range(middle_at):
        gc.collect(0)  # as many young collections as make the middle one due
    garbage(200)
    assert collector.collect() == 1
    assert gc.get_count()[1] == 0


def test_the_old_generation_is_collected_at_most_so_often(collector, monkeypatch):
    _t0, middle_at, old_at = gc.get_threshold()
    for _ in range(old_at):
        gc.collect(1)  # as many middle collections as make the old one due
    collector.last_full -= idle_gc.FULL_MIN_S + 1
    assert collector.collect() == 2 and gc.get_count()[2] == 0
    for _ in range(old_at):
        gc.collect(1)
    assert collector.collect() != 2  # its turn came again, but the last one was a moment ago
    monkeypatch.setattr(idle_gc, "FULL_MIN_S", 0.0)
    collector.full_took = 3600.0  # a full collection that took an hour waits a hundred hours for the next
    collector.last_full -= 1.0
    for _ in range(old_at):
        gc.collect(1)
    assert collector.collect() != 2


def test_nothing_is_due_while_the_collector_is_off(collector):
    garbage(gc.get_threshold()[0])
    gc.disable()
    try:
        assert not collector.due()
    finally:
        gc.enable()
