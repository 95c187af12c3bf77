"""Time in the database: naive UTC columns, zone-aware datetimes in the app's records."""

from __future__ import annotations

from datetime import UTC, datetime


def aware(value: datetime | None) -> datetime | None:
    """A naive UTC value read from the database, as an aware UTC datetime."""
    return value.replace(tzinfo=UTC) if value is not None else None


def naive(value: datetime | None) -> datetime | None:
    """An aware datetime as the naive UTC value the database keeps."""
    return value.astimezone(UTC).replace(tzinfo=None) if value is not None else None
