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
| `acled` | `acled` | `timeline import --format acled`, ACLED's tools (acledR) |

`acled` reads each chosen event's record as it reads now (`projections.tables.Selection.
readings`), not its row alone: the row has lost what ACLED's columns need (the place as the
event names it, the area it lies within, the order of the actors).
"""

FORMATS = ("csv", "jsonl", "geojson", "timelinejs", "timemap", "acled")
