"""Token budgets over real ledger files: windows, the team's sum, and when a paused agent may resume."""
from __future__ import annotations

import pytest

from shadeos_agents.budget import DAY, HOUR, Budget, BudgetSpent, UsageLedger

NOW = 1_800_000_000.0


def test_spending_is_counted_per_window_and_old_minutes_drop_out(tmp_path):
    ledger = UsageLedger(tmp_path / "a.b" / "usage.json")
    ledger.add(100, now=NOW - DAY - 120)  # older than a day: forgotten
    ledger.add(200, now=NOW - 2 * HOUR)
    ledger.add(300, now=NOW - 60)
    assert ledger.spent(HOUR, now=NOW) == 300
    assert ledger.spent(DAY, now=NOW) == 500
    assert UsageLedger(tmp_path / "a.b" / "usage.json").spent(DAY, now=NOW) == 500  # it is on disk


def test_a_spent_hour_pauses_until_its_oldest_tokens_leave_the_window(tmp_path):
    ledger = UsageLedger(tmp_path / "t.a" / "usage.json")
    ledger.add(600, now=NOW - 1800)
    ledger.add(500, now=NOW - 60)
    budget = Budget(ledger, per_hour=1000, per_day=None, team_per_day=None)
    with pytest.raises(BudgetSpent) as info:
        budget.check(now=NOW)
    assert info.value.reason == "tokens_per_hour spent (1100/1000)"
    minute = int((NOW - 1800) // 60)
    assert info.value.resume_at == (minute + 1) * 60 + HOUR  # when the 600 tokens leave the hour
    budget.check(now=info.value.resume_at + 1)  # then it may call again


def test_the_team_budget_sums_every_agent_of_the_team_and_no_other(tmp_path):
    for daemon_id, tokens in (("coding.a", 400), ("coding.b", 400), ("other.c", 5000)):
        UsageLedger(tmp_path / daemon_id / "usage.json").add(tokens, now=NOW - 30)
    mine = UsageLedger(tmp_path / "coding.a" / "usage.json")
    budget = Budget(mine, per_hour=None, per_day=None, team_per_day=1000, team_dir=tmp_path, team="coding")
    budget.check(now=NOW)  # 800 of 1000
    UsageLedger(tmp_path / "coding.b" / "usage.json").add(300, now=NOW)
    with pytest.raises(BudgetSpent, match=r"team coding tokens_per_day spent \(1100/1000\)"):
        budget.check(now=NOW)


def test_a_damaged_ledger_counts_as_empty(tmp_path):
    path = tmp_path / "t.a" / "usage.json"
    path.parent.mkdir()
    path.write_text("{not json")
    assert UsageLedger(path).spent(DAY) == 0
