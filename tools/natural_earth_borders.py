"""Derive charts/data/countries_110m.json from Natural Earth's 1:110m countries.

Natural Earth (naturalearthdata.com) is in the public domain. Its 1:110m admin-0 countries
are shipped, as the shapefile `naturalearth_lowres`, inside the geopandas wheels before 1.0;
this script reads that shapefile straight out of the wheel (no geopandas, no network) and
writes each country's rings as lon/lat pairs rounded to 0.01 degree, with its bounding box,
so that the control map can draw borders as plain lines, offline.

    pip download --no-deps -d /tmp/ne "geopandas<1.0"
    python tools/natural_earth_borders.py /tmp/ne/geopandas-0.14.4-py3-none-any.whl
"""

from __future__ import annotations

import json
import struct
import sys
import zipfile
from pathlib import Path
from typing import Any

MEMBER = "geopandas/datasets/naturalearth_lowres/naturalearth_lowres"
OUTPUT = Path(__file__).resolve().parent.parent / "charts" / "data" / "countries_110m.json"
POLYGON = 5


def read_polygons(shp: bytes) -> list[list[list[tuple[float, float]]]]:
    """Each record of an ESRI polygon shapefile as a list of rings of (lon, lat)."""
    shapes = []
    offset = 100  # the file header
    while offset < len(shp):
        _number, words = struct.unpack(">ii", shp[offset : offset + 8])
        content = shp[offset + 8 : offset + 8 + 2 * words]
        offset += 8 + 2 * words
        (kind,) = struct.unpack("<i", content[:4])
        if kind != POLYGON:
            raise ValueError(f"shape type {kind}, expected polygons ({POLYGON})")
        parts, points = struct.unpack("<ii", content[36:44])
        starts = struct.unpack(f"<{parts}i", content[44 : 44 + 4 * parts])
        flat = struct.unpack(f"<{2 * points}d", content[44 + 4 * parts :])
        pairs = list(zip(flat[0::2], flat[1::2], strict=True))
        ends = [*starts[1:], points]
        shapes.append([pairs[start:end] for start, end in zip(starts, ends, strict=True)])
    return shapes


def read_table(dbf: bytes, encoding: str) -> list[dict[str, str]]:
    """The rows of a dBASE table, every value as stripped text."""
    records, header, size = struct.unpack("<IHH", dbf[4:12])
    fields = []
    for start in range(32, header - 1, 32):
        descriptor = dbf[start : start + 32]
        name = descriptor[:11].split(b"\0", 1)[0].decode("ascii")
        fields.append((name, descriptor[16]))
    rows = []
    for n in range(records):
        record = dbf[header + n * size : header + (n + 1) * size]
        position, row = 1, {}  # byte 0 is the deletion flag
        for name, length in fields:
            row[name] = record[position : position + length].decode(encoding).strip()
            position += length
        rows.append(row)
    return rows


def country(row: dict[str, str], rings: list[list[tuple[float, float]]]) -> dict[str, Any]:
    rounded = [[[round(lon, 2), round(lat, 2)] for lon, lat in ring] for ring in rings]
    lons = [lon for ring in rounded for lon, _ in ring]
    lats = [lat for ring in rounded for _, lat in ring]
    return {
        "name": row["name"],
        "iso_a3": row["iso_a3"],
        "bbox": [min(lons), min(lats), max(lons), max(lats)],
        "rings": rounded,
    }


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        shp = archive.read(f"{MEMBER}.shp")
        dbf = archive.read(f"{MEMBER}.dbf")
        encoding = archive.read(f"{MEMBER}.cpg").decode().strip() or "latin-1"
    rows = read_table(dbf, "latin-1" if encoding.upper() == "ISO-8859-1" else encoding)
    shapes = read_polygons(shp)
    data = {
        "source": "Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries (public domain), "
        "as shipped in geopandas<1.0 (naturalearth_lowres); derived by "
        "tools/natural_earth_borders.py",
        "countries": sorted(
            (country(row, rings) for row, rings in zip(rows, shapes, strict=True)),
            key=lambda c: c["name"],
        ),
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{OUTPUT}: {len(data['countries'])} countries, {OUTPUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
