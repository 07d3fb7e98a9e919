"""Write the demo inbox (CSV, JSON Lines, Parquet) and return its manifest with ground truth."""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from workdata.core.records import ErrorCategory, ErrorType, FileStatus
from workdata.demo.rows import BAD_BYTES_TOKEN, CSV_DEFECTS, SPECS, VALUE_DEFECTS, Defect, plant

DEFAULT_SEED = 20241130


@dataclass(frozen=True)
class DemoFile:
    """One demo file and what ingesting it must produce."""

    domain: str
    key: str
    rows: int
    status: FileStatus
    category: ErrorCategory | None = None
    defects: tuple[Defect, ...] = ()


def make_rows(domain: str, seed: int, month: str, count: int) -> list[dict[str, str]]:
    """`count` clean rows of `domain`, the same for the same seed."""
    rng = random.Random(f"{seed}:{domain}:{month}")
    return [SPECS[domain].make_row(rng, month, i) for i in range(count)]


def plant_defects(
    domain: str, rows: list[dict[str, str]], classes: tuple[str, ...], ratio: float
) -> tuple[Defect, ...]:
    """Damage about `ratio` of the rows, cycling through `classes`, at least once each."""
    count = max(len(classes), round(len(rows) * ratio))
    step = max(3, (len(rows) - 2) // count)
    positions = range(2, len(rows), step)
    return tuple(
        plant(SPECS[domain], rows, classes[n % len(classes)], p) for n, p in enumerate(positions) if n < count
    )


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> None:
    """Rows as CSV; planted byte defects become real undecodable bytes."""
    header = header or [k for k in rows[0] if k != "__extra__"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        extra = [row["__extra__"]] if "__extra__" in row else []
        writer.writerow([row.get(name, "") for name in header] + extra)
    _write_bytes(path, buffer.getvalue())


def write_jsonl(path: Path, rows: list[dict[str, str]], broken: frozenset[int] = frozenset()) -> None:
    """Rows as JSON Lines; positions in `broken` become truncated JSON."""
    lines = []
    for position, row in enumerate(rows):
        text = json.dumps(row, ensure_ascii=False)
        lines.append(text[: len(text) // 2] if position in broken else text)
    _write_bytes(path, "\n".join(lines) + "\n")


def write_parquet(path: Path, rows: list[dict[str, str]]) -> None:
    """Rows as a Parquet file of text columns (as exported by the source systems)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def _write_bytes(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8").replace(BAD_BYTES_TOKEN.encode("utf-8"), b"\xff\xfe\xfa"))


def write_domain(inbox: Path, domain: str, seed: int, big_rows: int) -> list[DemoFile]:
    """Clean, dirty and broken files of one domain under inbox/<domain>/."""
    root, prefix = inbox / domain, SPECS[domain].prefix
    files: list[DemoFile] = []
    for month, writer, suffix, count in (
        ("2024-07", write_csv, "csv", 2000),
        ("2024-08", write_jsonl, "jsonl", 1000),
        ("2024-09", write_parquet, "parquet", 1500),
    ):
        writer(root / f"{prefix}_{month}.{suffix}", make_rows(domain, seed, month, count))
        files.append(DemoFile(domain, f"{prefix}_{month}.{suffix}", count, FileStatus.SUCCESS))
    files += _dirty_files(root, domain, prefix, seed, big_rows)
    files += _broken_files(root, domain, prefix, seed)
    return files


def _dirty_files(root: Path, domain: str, prefix: str, seed: int, big_rows: int) -> list[DemoFile]:
    rows = make_rows(domain, seed, "2024-10", big_rows)
    csv_defects = plant_defects(domain, rows, VALUE_DEFECTS + CSV_DEFECTS, 0.02)
    write_csv(root / f"{prefix}_2024-10_dirty.csv", rows)
    rows_j = make_rows(domain, seed, "2024-11", 1000)
    json_defects = plant_defects(domain, rows_j, (*VALUE_DEFECTS, "undecodable_bytes"), 0.03)
    # The row after every third defect is cut short (0-based position = the defect's row_index).
    broken = frozenset(d.row_index for d in json_defects[::3])
    json_defects += tuple(Defect(p + 1, "broken_json", ErrorType.MALFORMED_ROW, None) for p in broken)
    write_jsonl(root / f"{prefix}_2024-11_dirty.jsonl", rows_j, broken)
    rows_p = make_rows(domain, seed, "2024-12", 1200)
    parquet_defects = plant_defects(domain, rows_p, VALUE_DEFECTS, 0.05)
    write_parquet(root / f"{prefix}_2024-12_dirty.parquet", rows_p)
    return [
        DemoFile(domain, f"{prefix}_2024-10_dirty.csv", big_rows, FileStatus.PARTIAL, None, csv_defects),
        DemoFile(domain, f"{prefix}_2024-11_dirty.jsonl", 1000, FileStatus.PARTIAL, None, json_defects),
        DemoFile(
            domain,
            f"{prefix}_2024-12_dirty.parquet",
            1200,
            FileStatus.PARTIAL,
            None,
            parquet_defects,
        ),
    ]


def _broken_files(root: Path, domain: str, prefix: str, seed: int) -> list[DemoFile]:
    rows = make_rows(domain, seed, "2025-01", 50)
    header = list(rows[0])
    broken = root / "broken"
    broken.mkdir(parents=True, exist_ok=True)
    (broken / f"{prefix}_empty.csv").write_bytes(b"")
    write_csv(broken / f"{prefix}_header_only.csv", [], header)
    write_csv(broken / f"{prefix}_missing_column.csv", rows, [h for h in header if h != "plan_code"])
    (broken / f"{prefix}_not_csv.csv").write_bytes(random.Random(seed).randbytes(4096))
    write_parquet(broken / f"{prefix}_truncated.parquet", rows)
    data = (broken / f"{prefix}_truncated.parquet").read_bytes()
    (broken / f"{prefix}_truncated.parquet").write_bytes(data[: len(data) // 2])
    malformed, schema = ErrorCategory.DATA_MALFORMED, ErrorCategory.SCHEMA_MISMATCH
    return [
        DemoFile(domain, f"broken/{prefix}_{name}", n, FileStatus.FAILED, category)
        for name, n, category in (
            ("empty.csv", 0, malformed),
            ("header_only.csv", 0, malformed),
            ("missing_column.csv", 50, schema),
            ("not_csv.csv", 0, malformed),
            ("truncated.parquet", 50, malformed),
        )
    ]
