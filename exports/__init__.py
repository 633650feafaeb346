"""Data out: the read models' rows as documents that researchers' tools open unchanged.

Each module is rows in, document out, no SQL: what it is given comes from
`projections.tables` (through `timeline.api.OpsTimeline.export`), and what it gives is an
iterator of text pieces, written as they are made.

| format | module | opened by |
|---|---|---|
| `csv` | `spreadsheet` | pandas, spreadsheets (`--bom` for Excel) |
| `jsonl` | (the write side's log: the record format) | `timeline import` |
| `geojson` | `geojson` | geopandas, QGIS (RFC 7946) |
| `timelinejs` | `timelinejs` | Knight Lab's TimelineJS |
| `timemap` | `timemap` | Forensic Architecture's timemap |

The hook for `acled` (ACLED's 31 columns, issue 14): a module `exports/acled.py` with
`document(events, actors, sources) -> Iterator[str]`, whose rows `timeline import --format
acled` reads back as the same events; then its name in FORMATS and a branch in
`OpsTimeline.export` saying which tables it reads.
"""

FORMATS = ("csv", "jsonl", "geojson", "timelinejs", "timemap")
