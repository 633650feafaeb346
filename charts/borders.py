"""Country borders for orientation on the control map: Natural Earth 1:110m, shipped with the
project (charts/data/countries_110m.json, public domain), so a map needs no network.

At 1:110m a border can be some kilometres off: good for "which country, which side of the
border", not for anything finer. The map says so.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "countries_110m.json"
ORIGIN = "Natural Earth 1:110m (public domain)"

Box = tuple[float, float, float, float]  # west, south, east, north
Ring = list[list[float]]


@cache
def countries() -> list[dict[str, Any]]:
    """Every country: name, iso_a3, bbox [west, south, east, north], rings of [lon, lat]."""
    found: list[dict[str, Any]] = json.loads(DATA.read_text("utf-8"))["countries"]
    return found


def near(view: Box) -> list[dict[str, Any]]:
    """The countries whose bounding box meets a view."""
    west, south, east, north = view
    return [
        country
        for country in countries()
        if country["bbox"][0] <= east
        and country["bbox"][2] >= west
        and country["bbox"][1] <= north
        and country["bbox"][3] >= south
    ]


def lines(found: list[dict[str, Any]]) -> tuple[list[float | None], list[float | None]]:
    """Every ring of these countries as one line: lon and lat lists, rings split by None."""
    lons: list[float | None] = []
    lats: list[float | None] = []
    for country in found:
        for ring in country["rings"]:
            lons += [lon for lon, _ in ring] + [None]
            lats += [lat for _, lat in ring] + [None]
    return lons, lats


def label_points(
    found: list[dict[str, Any]], view: Box, steps: int = 12, avoid: Box | None = None
) -> list[tuple[str, float, float]]:
    """(name, lon, lat) for each country that fills enough of the view to be named: the point
    of a grid over the middle of the view, inside the country and away from the `avoid`
    box, nearest the middle of the country's part of the grid."""
    west, south, east, north = view
    grid = [
        (west + (east - west) * (0.15 + 0.7 * i / (steps - 1)),
         south + (north - south) * (0.15 + 0.7 * j / (steps - 1)))
        for i in range(steps)
        for j in range(steps)
    ]  # fmt: skip
    if avoid is not None:
        margin_lon, margin_lat = (east - west) / steps, (north - south) / steps
        grid = [
            (lon, lat) for lon, lat in grid
            if not (avoid[0] - 2 * margin_lon <= lon <= avoid[2] + 2 * margin_lon
                    and avoid[1] - margin_lat <= lat <= avoid[3] + margin_lat)
        ]  # fmt: skip
    points = []
    for country in found:
        inside = [p for p in grid if any(_contains(ring, *p) for ring in country["rings"])]
        if len(inside) < 3:
            continue
        lon = sum(p[0] for p in inside) / len(inside)
        lat = sum(p[1] for p in inside) / len(inside)
        best = min(inside, key=lambda p: (p[0] - lon) ** 2 + (p[1] - lat) ** 2)
        points.append((country["name"], *best))
    return points


def _contains(ring: Ring, lon: float, lat: float) -> bool:
    """Ray casting: is (lon, lat) inside this ring?"""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside
