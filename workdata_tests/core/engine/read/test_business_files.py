"""Files as business teams send them, through the real pipeline: every data sheet of a monthly workbook,
totals, blank, filler and repeated-header rows as DROPPED_IN_PIPELINE records, GBK CSVs."""

import gzip
import json

import pytest

from workdata.app import open_store
from workdata.core.engine.read.csv_files import text_encoding
from workdata.core.engine.read.encodings import fallback_encoding
from workdata.core.engine.read.files import read_raw
from workdata.core.ingest_context import Ingest
from workdata.core.operations.invariants import reconciliation_violations
from workdata.core.operations.verify import verify
from workdata.core.pipeline import process_file
from workdata.core.policy import DomainPolicy, ReaderSettings
from workdata.core.records import ErrorCategory, FileStatus
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.failure_csv import read_failures
from workdata.demo.business_files import (
    COLUMNS,
    write_gbk_csv,
    write_monthly_workbook,
    write_small_totals_csv,
)
from workdata.demo.files import make_rows
from workdata.domains import DOMAINS

INCOME = DOMAINS["annuity_income"]
SEED = 7


def ingest(settings, store, run, key, policy=None):
    context = Ingest(store, run, settings.failure_log_path(run.session_id), policy or DomainPolicy())
    return process_file(INCOME, settings.inbox_dir / INCOME.name / key, key, context)


@pytest.fixture
def inbox(settings):
    folder = settings.inbox_dir / INCOME.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def loaded(store, key):
    with store.connect() as conn:
        return conn.execute(
            "SELECT * FROM annuity_income WHERE _source_file = ? ORDER BY _row_index", [key]
        ).df()


def test_every_data_sheet_of_a_monthly_workbook_loads_and_its_totals_rows_are_dropped(
    inbox, settings, store, run
):
    truth = write_monthly_workbook(inbox / "monthly.xlsx", SEED)
    outcome = ingest(settings, store, run, "monthly.xlsx")
    assert (outcome.status, outcome.rows_total, outcome.rows_loaded) == (FileStatus.SUCCESS, 52, 50)
    assert (outcome.rows_failed, outcome.rows_dropped) == (0, 2)
    assert outcome.sheets == ("2025年4月", "2025年5月")
    assert outcome.skipped_sheets == (("说明", "its header names none of the domain's columns"),)

    rows = loaded(store, "monthly.xlsx")
    april, may = make_rows(INCOME.name, SEED, "2025-04", 30), make_rows(INCOME.name, SEED, "2025-05", 20)
    assert rows["_sheet"].tolist() == ["2025年4月"] * 30 + ["2025年5月"] * 20
    # Excel rows: header on row 3, data from row 4; the second data sheet's rows by SHEET_ROWS.
    assert rows["_row_index"].tolist() == [*range(4, 34), *range(10_000_004, 10_000_024)]
    # Real date cells, 1.234%, 100,000.00 and full-width digits read as their values.
    assert rows["report_month"].dt.strftime("%Y-%m").tolist() == ["2025-04"] * 30 + ["2025-05"] * 20
    source = april + may
    assert rows["fee_rate"].round(7).tolist() == [round(float(r["fee_rate"]), 7) for r in source]
    assert rows["fee_base"].tolist() == [float(r["fee_base"]) for r in source]
    assert rows["invoice_count"].tolist() == [int(r["invoice_count"]) for r in source]

    records = store.failed_records(source_file="monthly.xlsx")
    assert records[["row_index", "error_type", "check"]].values.tolist() == [
        [34, "DROPPED_IN_PIPELINE", "totals_row"],
        [10_000_024, "DROPPED_IN_PIPELINE", "totals_row"],
    ]
    assert json.loads(records["raw_data"].iloc[1])["_sheet"] == "2025年5月"
    assert [d.row_index for d in truth.defects] == records["row_index"].tolist()
    in_csv = read_failures(settings.failure_log_path(run.session_id))
    assert in_csv[["row_index", "error_type"]].values.tolist() == [
        ["34", "DROPPED_IN_PIPELINE"],
        ["10000024", "DROPPED_IN_PIPELINE"],
    ]
    assert reconciliation_violations(store) == []
    report = verify(store, settings.inbox_dir, [INCOME], settings.retry.max_attempts)
    assert report.violations == []


def test_a_pinned_sheet_pattern_reads_only_its_sheets_and_says_why_the_others_were_not(
    inbox, settings, store, run
):
    write_monthly_workbook(inbox / "monthly.xlsx", SEED)
    policy = DomainPolicy(read=ReaderSettings(sheet_pattern="5月"))
    outcome = ingest(settings, store, run, "monthly.xlsx", policy)
    assert (outcome.status, outcome.sheets, outcome.rows_loaded) == (FileStatus.SUCCESS, ("2025年5月",), 20)
    reasons = dict(outcome.skipped_sheets)
    assert set(reasons) == {"2025年4月", "说明"} and "sheet_pattern '5月'" in reasons["2025年4月"]


def test_a_sheet_lacking_a_required_column_is_skipped_with_the_columns_it_lacks(inbox, settings, store, run):
    import xlsxwriter

    rows = make_rows(INCOME.name, SEED, "2025-09", 3)
    book = xlsxwriter.Workbook(str(inbox / "two.xlsx"))
    for name, columns in (("full", COLUMNS), ("partial", [c for c in COLUMNS if c != "plan_code"])):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, columns)
        for r, row in enumerate(rows, start=1):
            sheet.write_row(r, 0, [row[c] for c in columns])
    book.close()
    outcome = ingest(settings, store, run, "two.xlsx")
    assert (outcome.status, outcome.sheets, outcome.rows_loaded) == (FileStatus.SUCCESS, ("full",), 3)
    assert outcome.skipped_sheets == (("partial", "its header lacks the domain's column(s) plan_code"),)


def test_a_totals_row_does_not_push_a_small_file_over_the_bad_row_limit(inbox, settings, store, run):
    write_small_totals_csv(inbox / "small.csv", SEED)
    outcome = ingest(settings, store, run, "small.csv")
    assert (outcome.status, outcome.rows_total, outcome.rows_loaded) == (FileStatus.PARTIAL, 5, 3)
    assert (outcome.rows_failed, outcome.rows_dropped) == (1, 1)
    assert outcome.top_reasons == (
        ("FK_CONSTRAINT_VIOLATION plan_code reference:plans", 1),
    )  # not the totals
    assert reconciliation_violations(store) == []


def test_failfast_names_the_bad_row_not_the_totals_row(inbox, settings, store, run):
    write_small_totals_csv(inbox / "small.csv", SEED)
    outcome = ingest(settings, store, run, "small.csv", DomainPolicy(mode="failfast"))
    assert outcome.status is FileStatus.FAILED and "row 3:" in outcome.user_message


def test_a_file_of_only_blank_and_totals_rows_fails_plainly(inbox, settings, store, run):
    (inbox / "empty.csv").write_text(",".join(COLUMNS) + "\n,,,,,,,,,\n合计,,,,,,,100,,\n", encoding="utf-8")
    outcome = ingest(settings, store, run, "empty.csv")
    assert (outcome.status, outcome.error_category) == (FileStatus.FAILED, ErrorCategory.DATA_MALFORMED)
    assert "no data rows" in outcome.user_message
    assert (outcome.rows_total, outcome.rows_dropped) == (2, 2)


def test_a_gbk_csv_loads_like_its_utf8_twin_with_blank_filler_and_repeated_header_rows_dropped(
    inbox, settings, store, run
):
    truth = write_gbk_csv(inbox / "gbk.csv", SEED)
    twin = inbox.parent / "utf8.csv"  # outside the inbox: the same rows would clash by business key
    twin.write_bytes((inbox / "gbk.csv").read_bytes().decode("gbk").encode("utf-8"))
    gbk = ingest(settings, store, run, "gbk.csv")
    assert (gbk.status, gbk.encoding, gbk.rows_loaded, gbk.rows_dropped) == (
        FileStatus.SUCCESS,
        "gb18030",
        40,
        3,
    )
    assert read_raw(twin).encoding == "utf-8"
    assert read_raw(inbox / "gbk.csv").frame.equals(read_raw(twin).frame)
    assert "华夏养老金管理有限公司" in set(loaded(store, "gbk.csv")["customer_name"])
    # Row numbers stay the file's data lines: the blank line, the filler and the header line count.
    records = store.failed_records(source_file="gbk.csv")
    assert records["row_index"].tolist() == [d.row_index for d in truth.defects] == [16, 27, 28]
    assert set(records["error_type"]) == {"DROPPED_IN_PIPELINE"}
    assert loaded(store, "gbk.csv")["_row_index"].tolist()[15] == 17


def test_a_large_gbk_csv_read_in_blocks_gives_what_reading_it_whole_gives(
    inbox, settings, store, run, tmp_path
):
    write_gbk_csv(inbox / "gbk.csv", SEED)
    whole = ingest(settings, store, run, "gbk.csv")
    # Another home (the same rows would clash by business key with the first file's).
    other = WorkdataSettings(home=tmp_path / "other", logs_dir=tmp_path / "other" / "logs")
    (other.inbox_dir / INCOME.name).mkdir(parents=True)
    big = other.inbox_dir / INCOME.name / "big.csv.gz"
    big.write_bytes(gzip.compress((inbox / "gbk.csv").read_bytes()))
    other_store = open_store(other)
    blocks = DomainPolicy(read=ReaderSettings(stream_over_mb=0, stream_block_mb=0.001, stream_batch_rows=7))
    streamed = ingest(other, other_store, run, "big.csv.gz", blocks)
    assert (streamed.status, streamed.encoding, streamed.rows_loaded, streamed.rows_dropped) == (
        FileStatus.SUCCESS,
        "gb18030",
        40,
        3,
    )
    columns = [*COLUMNS, "_row_index"]
    assert loaded(other_store, "big.csv.gz")[columns].equals(loaded(store, "gbk.csv")[columns])
    assert whole.rows_total == streamed.rows_total == 43


def test_a_domain_that_allows_only_utf8_fails_a_gbk_file_plainly(inbox, settings, store, run):
    write_gbk_csv(inbox / "gbk.csv", SEED)
    outcome = ingest(settings, store, run, "gbk.csv", DomainPolicy(read=ReaderSettings(encodings=("utf-8",))))
    assert (outcome.status, outcome.error_category) == (FileStatus.FAILED, ErrorCategory.DATA_MALFORMED)
    assert "header" in outcome.user_message


def test_utf8_with_a_few_damaged_bytes_stays_utf8_and_only_those_rows_are_malformed(
    inbox, settings, store, run
):
    rows = make_rows(INCOME.name, SEED, "2025-10", 6)
    lines = [",".join(COLUMNS)] + [",".join(r[c] for c in COLUMNS) for r in rows]
    lines[2] = lines[2].replace("Customer", "Kundé")  # valid UTF-8 accents elsewhere
    lines[3] = lines[3].replace("Customer", "Client 张")
    data = ("\n".join(lines) + "\n").encode("utf-8").replace(b"Kund\xc3\xa9", b"Kund\xc3\xa9", 1)
    data = data.replace(b"Customer 00004", b"Cust\xe9mer 00004")  # one Latin-1 byte: damage
    (inbox / "damaged.csv").write_bytes(data)
    outcome = ingest(settings, store, run, "damaged.csv")
    assert (outcome.status, outcome.encoding, outcome.rows_loaded) == (FileStatus.PARTIAL, "utf-8", 5)
    [record] = store.failed_records(source_file="damaged.csv").itertuples()
    assert (record.row_index, record.error_type) == (5, "MALFORMED_ROW")


def test_the_encoding_is_chosen_among_the_allowed_ones():
    chinese = "客户名称,金额\n华夏养老金管理有限公司,100\n".encode("gbk")
    assert text_encoding(chinese, ("utf-8", "utf-16", "gb18030")) == ("gb18030", True)
    assert text_encoding("a,b\n1,2\n".encode("utf-16"), ("utf-8", "utf-16", "gb18030")) == ("utf-16", True)
    assert text_encoding(b"a,b\n1,2\n", ("utf-8", "gb18030")) == ("utf-8", True)
    assert text_encoding(chinese, ("utf-8",)) == ("utf-8", False)  # not allowed: its rows are marked
    assert fallback_encoding(b"\x89PNG\r\n\x1a\n\x00\x00", ("utf-8", "gb18030")) == "utf-8"  # binary
    # Stray bytes in ASCII text stay UTF-8 (their rows MALFORMED), though GB18030 would decode some of
    # them into characters: a wrong character loaded is worse than a row set aside.
    stray = b"a,b\n" + b"x,1\n" * 50 + b"caf\xe9s,2\n" + b"P1,\xff\xfe\xfa\n" * 20
    assert fallback_encoding(stray, ("utf-8", "utf-16", "gb18030")) == "utf-8"
    assert fallback_encoding(b"a,b\ncaf\xe9s,1\n", ("utf-8", "gb18030")) == "utf-8"


def test_sheets_with_different_extra_columns_load_together(inbox, settings, store, run):
    import xlsxwriter

    book = xlsxwriter.Workbook(str(inbox / "extra.xlsx"))
    for name, month, extra in (("Jan", "2025-01", []), ("Feb", "2025-02", ["备注"])):
        sheet = book.add_worksheet(name)
        rows = make_rows(INCOME.name, SEED, month, 3)
        sheet.write_row(0, 0, [*COLUMNS, *extra])
        for r, row in enumerate(rows, start=1):
            sheet.write_row(r, 0, [row[c] for c in COLUMNS] + ["ok"] * len(extra))
    book.close()
    outcome = ingest(settings, store, run, "extra.xlsx")
    assert (outcome.status, outcome.sheets, outcome.rows_loaded) == (FileStatus.SUCCESS, ("Jan", "Feb"), 6)
    assert outcome.extra_columns == ("备注",)
