"""GeoJSON (RFC 7946): a FeatureCollection, coordinates `[lon, lat]` in WGS84, one Feature
per event (its fields as properties, a fuzzy date as its EDTF text with its earliest and
latest day) or per place (its aliases and its periods of control). An event whose place has
no coordinates has a null geometry, as RFC 7946 allows. Written one feature per line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any

import orjson

Row = dict[str, Any]
_HEAD = '{"type":"FeatureCollection","features":[\n'
_TAIL = "\n]}\n"


def events(rows: Iterable[Row]) -> Iterator[str]:
    """One Feature per event row (list columns already lists)."""
    return _collection(
        _feature(row["id"], row.get("lon"), row.get("lat"), row) for row in rows
    )


def places(rows: Iterable[Row], control: Iterable[Row]) -> Iterator[str]:
    """One Feature per place, with `periods` (its periods of control, in order) and `held_by`
    (the side of its last period, while that period has not ended; else null). `control`
    must be ordered by place, then period."""
    periods = {place: list(of) for place, of in groupby(control, key=itemgetter("place"))}
    features = []
    for row in rows:
        its = [{k: v for k, v in p.items() if k != "place"} for p in periods.get(row["name"], [])]
        last = its[-1] if its else None
        held_by = last["side"] if last is not None and last["end_event"] is None else None
        properties = {**row, "held_by": held_by, "periods": its}
        features.append(_feature(row["name"], row.get("lon"), row.get("lat"), properties))
    return _collection(features)


def _feature(identity: str, lon: float | None, lat: float | None, properties: Row) -> bytes:
    geometry = None if lon is None or lat is None else {
        "type": "Point", "coordinates": [lon, lat]
    }  # fmt: skip
    return orjson.dumps(
        {"type": "Feature", "id": identity, "geometry": geometry, "properties": properties}
    )


def _collection(features: Iterable[bytes]) -> Iterator[str]:
    yield _HEAD
    first = True
    for feature in features:
        yield feature.decode() if first else ",\n" + feature.decode()
        first = False
    yield _TAIL
