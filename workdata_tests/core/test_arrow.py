"""Staged and spilled Parquet files read back in order, holding about one row group at a time."""

import pyarrow as pa
import pyarrow.parquet as pq

from workdata.core.arrow import ROW_GROUP_BYTES, spill_batches, spill_write, spill_writer


def test_batches_come_back_in_order_without_holding_the_file(tmp_path):
    path, groups, rows = tmp_path / "spill.parquet", 24, 20_000
    schema = pa.schema([("row", pa.int64()), ("text", pa.large_string())])
    writer = spill_writer(path, schema, [])
    for group in range(groups):  # one row group per write, ~1 MB each, as blocks are staged
        start = group * rows
        numbers = pa.array(range(start, start + rows), pa.int64())
        writer.write_table(pa.table({"row": numbers, "text": pa.compute.cast(numbers, pa.large_string())}))
    writer.close()
    one_group = path.stat().st_size // groups
    pa.default_memory_pool().release_unused()
    before, most, seen = pa.total_allocated_bytes(), 0, []
    for batch in spill_batches(path, 5_000):
        most = max(most, pa.total_allocated_bytes() - before)
        seen.extend(batch["row"].to_pylist())
    assert seen == list(range(groups * rows))
    # Pre-buffering kept every column chunk read so far: the whole file by the end.
    assert most < 4 * one_group < path.stat().st_size / 4


def test_wide_rows_are_written_in_row_groups_of_a_few_megabytes(tmp_path):
    # DuckDB's Parquet reader holds a row group per thread inside its insert's memory limit.
    wide = pa.table({"raw_data": pa.array(["x" * 4_000] * 6_000, pa.large_string())})  # ~24 MB
    narrow = pa.table({"row": pa.array(range(50_000), pa.int64())})
    for name, table in (("wide", wide), ("narrow", narrow)):
        writer = spill_writer(tmp_path / f"{name}.parquet", table.schema, [])
        spill_write(writer, table)
        writer.close()
    writer = spill_writer(tmp_path / "rows.parquet", wide.schema, [])
    spill_write(writer, wide, ROW_GROUP_BYTES)  # a block of staged rows: bigger groups allowed
    writer.close()
    for name, most in (("wide", 9 << 20), ("rows", 25 << 20)):
        groups = pq.ParquetFile(tmp_path / f"{name}.parquet").metadata
        assert groups.num_row_groups >= 1 + (24 << 20) // most
        assert all(groups.row_group(i).total_byte_size <= most for i in range(groups.num_row_groups))
    assert pq.ParquetFile(tmp_path / "narrow.parquet").metadata.num_row_groups == 1
