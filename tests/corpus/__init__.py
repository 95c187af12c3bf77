"""Files the tests read as they are kept: `bad/` holds the bad input corpus (its README says what each is)."""

from pathlib import Path

BAD = Path(__file__).parent / "bad"
