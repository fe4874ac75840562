"""NCRONTAB schedules of timer triggers: six fields, seconds first, UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devhost.timers import Schedule, ScheduleError

T0 = datetime(2026, 3, 14, 10, 15, 30, 500_000, tzinfo=UTC)  # a Saturday


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("* * * * * *", datetime(2026, 3, 14, 10, 15, 31, tzinfo=UTC)),
        ("*/10 * * * * *", datetime(2026, 3, 14, 10, 15, 40, tzinfo=UTC)),
        ("0 */5 * * * *", datetime(2026, 3, 14, 10, 20, 0, tzinfo=UTC)),
        ("0 30 9 * * *", datetime(2026, 3, 15, 9, 30, 0, tzinfo=UTC)),
        ("0 0 9-17 * * Mon-Fri", datetime(2026, 3, 16, 9, 0, 0, tzinfo=UTC)),
        ("0 0 0 1 Jan *", datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC)),
        ("0 0 12 * * 0", datetime(2026, 3, 15, 12, 0, 0, tzinfo=UTC)),
        ("0 0 12 * * 7", datetime(2026, 3, 15, 12, 0, 0, tzinfo=UTC)),
        ("5,45 15 10 14 3 *", datetime(2026, 3, 14, 10, 15, 45, tzinfo=UTC)),
        ("0 0 0 29 2 *", datetime(2028, 2, 29, 0, 0, 0, tzinfo=UTC)),
    ],
)
def test_the_next_occurrence_follows_the_ncrontab_fields(
    expression: str, expected: datetime
) -> None:
    assert Schedule.parse(expression).next_after(T0) == expected


def test_an_occurrence_is_strictly_after_the_moment() -> None:
    at = datetime(2026, 3, 14, 10, 20, 0, tzinfo=UTC)
    assert Schedule.parse("0 */5 * * * *").next_after(at) == at.replace(minute=25)


@pytest.mark.parametrize(
    "expression", ["* * * * *", "60 * * * * *", "* * * 0 * *", "x * * * * *", "*/0 * * * * *"]
)
def test_a_schedule_that_is_not_six_valid_fields_is_refused(expression: str) -> None:
    with pytest.raises(ScheduleError):
        Schedule.parse(expression)


def test_a_schedule_that_never_occurs_is_refused() -> None:
    with pytest.raises(ScheduleError):
        Schedule.parse("0 0 0 31 2 *").next_after(T0)
