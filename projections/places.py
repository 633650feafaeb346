"""The gazetteer's questions: the places the read models know, by name, near a point, and
the pairs close enough to be one place twice. Plain rows, as every question answers."""

from __future__ import annotations

import math
import sqlite3
from typing import Any

from projections.queries import PLACES_NAMED, Row, fts_words, lists
from timeline import geo
from timeline.errors import InvalidInput
from timeline.names import name_key

_EVENTS_AT = "(SELECT count(*) FROM events e WHERE e.place = p.name) AS events"


def places(
    db: sqlite3.Connection, *, name: str | None = None, near: tuple[float, float] | None = None,
    km: float = 10.0,
) -> list[Row]:  # fmt: skip
    """Every place (or those known by a name like `name`, or within `km` of `near`), with its
    names, kind, coordinates, precision and number of events: by name, or nearest first."""
    where: list[str] = []
    params: list[object] = []
    if name is not None:
        where.append(
            f"p.name IN (SELECT place FROM place_names WHERE key = ? OR place IN ({PLACES_NAMED}))"
        )
        params += [name_key(name), fts_words(name)]
    if near is not None:
        lat, lon = _point(near)
        if not km >= 0:
            raise InvalidInput("km", f"must be a distance of 0 or more, not {km}")
        span = km / 111.0
        wide = span / max(0.01, math.cos(math.radians(lat)))
        where.append("p.lat BETWEEN ? AND ? AND p.lon BETWEEN ? AND ?")
        params += [lat - span, lat + span, lon - wide, lon + wide]
    found = [lists(dict(row)) for row in db.execute(
        f"SELECT p.name, p.aliases, p.kind, p.lat, p.lon, p.precision, {_EVENTS_AT} "
        f"FROM places p WHERE {' AND '.join(where) or '1'} ORDER BY p.name",
        params,
    )]  # fmt: skip
    if near is None:
        return found
    for row in found:
        row["km"] = round(geo.distance_km(near[0], near[1], row["lat"], row["lon"]), 3)
    return sorted((row for row in found if row["km"] <= km), key=lambda row: row["km"])


def duplicate_places(db: sqlite3.Connection, km: float = 1.0) -> list[Row]:
    """Pairs of places within `km` of each other under different names: the same place
    twice, perhaps (an analyst says so by a places_identified event), or two places close
    together. Closest first."""
    if not 0 <= km <= 50:
        raise InvalidInput("km", f"pairs are looked for within 0 to 50 km, not {km}")
    cells: dict[geo.Cell, list[tuple[Any, ...]]] = {}
    for place in db.execute("SELECT name, kind, lat, lon FROM places"):
        cells.setdefault(geo.cell(place[2], place[3]), []).append(tuple(place))
    pairs = []
    for members in cells.values():
        for a in members:
            for cell in geo.around(a[2], a[3], km):
                for b in cells.get(cell, ()):
                    apart = geo.distance_km(a[2], a[3], b[2], b[3])
                    if a[0] < b[0] and apart <= km:
                        pairs.append({"place": a[0], "kind": a[1], "other": b[0],
                                      "other_kind": b[1], "km": round(apart, 3)})  # fmt: skip
    return sorted(pairs, key=lambda pair: (pair["km"], pair["place"], pair["other"]))


def _point(near: tuple[float, float]) -> tuple[float, float]:
    lat, lon = near
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput("near", f"{lat},{lon} is not a point (LAT,LON in WGS84 degrees)")
    return lat, lon
