"""Writers for tagged rows: JSONL (nested targets and probabilities), CSV and Parquet (flat columns).

Each writer streams: rows are written as they come, so memory stays bounded.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

FORMATS = (".jsonl", ".csv", ".parquet")


def format_of(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"unsupported output format {suffix or '(none)'!r} for {path}; use one of {', '.join(FORMATS)}")
    return suffix


class JsonlWriter:
    def __init__(self, path):
        self.f = open(path, "w", encoding="utf-8", newline="\n")

    def write(self, rows):
        for row in rows:
            self.f.write(json.dumps(row, ensure_ascii=False) + "\n")

    def close(self):
        self.f.close()


class CsvWriter:
    """CSV with the columns of the first row; nested values (lists, dicts) become JSON strings."""

    def __init__(self, path, columns=None):
        self.f = open(path, "w", encoding="utf-8-sig", newline="")  # BOM: Excel reads the Chinese right
        self.columns = columns
        self.writer = None

    def write(self, rows):
        for row in rows:
            if self.writer is None:
                self.columns = self.columns or list(row)
                self.writer = csv.DictWriter(self.f, fieldnames=self.columns, extrasaction="ignore")
                self.writer.writeheader()
            self.writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                                  for k, v in row.items()})

    def close(self):
        if self.writer is None and self.columns:
            csv.writer(self.f).writerow(self.columns)
        self.f.close()


class ParquetWriter:
    """Parquet in row groups of the batches written; needs pyarrow (``pip install xhnlp[parquet]``)."""

    def __init__(self, path, columns=None):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise RuntimeError("writing Parquet needs pyarrow: pip install pyarrow") from None
        self.path, self.columns, self.writer = path, columns, None

    def write(self, rows):
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = [{k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v for k, v in r.items()}
                for r in rows]
        if not rows:
            return
        if self.writer is None:
            self.columns = self.columns or list(rows[0])
            self.schema = pa.Table.from_pylist(rows).select(self.columns).schema
            self.schema = pa.schema([f.with_type(_null_type(f.name)) if pa.types.is_null(f.type) else f
                                     for f in self.schema])
            self.writer = pq.ParquetWriter(self.path, self.schema)
        self.writer.write_table(pa.Table.from_pylist(rows, schema=self.schema))

    def close(self):
        if self.writer is not None:
            self.writer.close()
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({c: pa.array([], _null_type(c)) for c in (self.columns or ["doc"])}), self.path)


def _null_type(name: str):
    """The Arrow type of a column that has no value to infer it from (all None, or no rows)."""
    import pyarrow as pa

    if name.endswith("_score") or name.startswith("p_") or name in ("value", "value_max"):
        return pa.float64()
    if name in ("index", "start", "end", "n_targets"):
        return pa.int64()
    if name == "approx":
        return pa.bool_()
    return pa.string()


def open_writer(path, columns=None, fmt: str | None = None):
    """A streaming writer for ``path``; the format comes from ``fmt`` or the file's suffix."""
    fmt = fmt or format_of(path)
    if fmt == ".jsonl":
        return JsonlWriter(path)
    if fmt == ".csv":
        return CsvWriter(path, columns)
    return ParquetWriter(path, columns)
