"""The GDELT bad-input tests again, with every export stored as a Parquet event file."""

from __future__ import annotations

import pytest

from spillover.data import event_files
from tests.test_data_badinput import (  # noqa: F401  (collected here too)
    store,
    test_a_failure_inside_the_gdelt_load_rolls_back,
    test_an_invalid_row_sharing_an_event_id_with_a_valid_one,
    test_blank_lines_are_skipped_and_line_numbers_stay_physical,
    test_gdelt_bad_rows_are_quarantined_with_line_and_reason,
    test_truncated_gdelt_file_keeps_the_complete_lines,
)


@pytest.fixture(autouse=True)
def _as_event_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_files, "EVENT_FILE_BYTES", 0)
