"""Shift the app's WIB cron expressions to the pemda's zone (pure; tested without CDK)."""

from __future__ import annotations

_WILDCARDS = ('*', '?')


def shift_cron(expression: str, hours: int) -> str:
    """Move an AWS cron expression (6 fields, UTC) by whole hours.

    A shift that crosses midnight would also move the day, so it is refused when the expression names
    particular days (day of month or week); daily schedules wrap around freely.
    """
    fields = expression.split()
    if len(fields) != 6:
        raise ValueError(f'AWS cron needs 6 fields: {expression!r}')
    minute, hour, day, month, weekday, year = fields
    if hours == 0 or hour == '*':
        return expression
    values = []
    for part in hour.split(','):
        if not part.isdigit():
            raise ValueError(f'cannot shift the hour field {hour!r} of {expression!r}: use plain hours')
        values.append(int(part) + hours)
    wraps = any(not 0 <= value <= 23 for value in values)
    if wraps and not (day in _WILDCARDS and weekday in _WILDCARDS):
        raise ValueError(f'shifting {expression!r} by {hours}h crosses midnight on particular days')
    shifted = ','.join(str(value) for value in sorted(value % 24 for value in values))
    return ' '.join((minute, shifted, day, month, weekday, year))


def shift_schedule(schedule: str, hours: int) -> str:
    """The same for an EventBridge schedule expression; rate(...) expressions do not depend on the zone."""
    if schedule.startswith('cron(') and schedule.endswith(')'):
        return f'cron({shift_cron(schedule[5:-1], hours)})'
    return schedule
