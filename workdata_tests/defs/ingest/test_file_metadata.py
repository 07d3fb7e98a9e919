"""What a loaded file's partition says about how it was read."""

from workdata.core.outcome import FileOutcome
from workdata.core.records import FileStatus
from workdata.defs.ingest.assets import file_metadata


def test_a_text_files_encoding_and_a_workbooks_sheet_are_in_its_metadata():
    csv = FileOutcome("annuity_income", "a.csv", "h", FileStatus.SUCCESS, 2, 2, encoding="utf-16")
    book = FileOutcome("annuity_income", "b.xlsx", "h", FileStatus.SUCCESS, 2, 2, sheets=("数据",))
    assert file_metadata(csv, "etl_20241130_101500_abc123")["encoding"].value == "utf-16"
    assert "encoding" not in file_metadata(book, "etl_20241130_101500_abc123")
    assert file_metadata(book, "etl_20241130_101500_abc123")["sheets"].value == "数据"
