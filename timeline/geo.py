"""Distances on the Earth, and the grid that finds what lies near a point without a scan."""

from __future__ import annotations

import math

EARTH_KM = 6371.0  # the mean radius
CELL_DEGREES = 0.01  # a grid cell: about 1.1 km of latitude


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points in WGS84 degrees (haversine)."""
    phi1, lam1, phi2, lam2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin((lam2 - lam1) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(math.sqrt(min(1.0, h)))


Cell = tuple[int, int]


def cell(lat: float, lon: float) -> Cell:
    """The grid cell a point lies in."""
    return math.floor(lat / CELL_DEGREES), math.floor(lon / CELL_DEGREES)


def around(lat: float, lon: float, km: float) -> list[Cell]:
    """The cells that hold every point within `km` of a point: its own and enough about it
    (more of them east and west where a degree of longitude is short)."""
    row, column = cell(lat, lon)
    cell_km = distance_km(0, 0, CELL_DEGREES, 0)
    rows = math.ceil(km / cell_km)
    wide = max(math.cos(math.radians(min(abs(lat) + CELL_DEGREES * (rows + 1), 89.0))), 1e-3)
    columns = min(math.ceil(km / (cell_km * wide)), 36_000)
    return [
        (row + i, column + j)
        for i in range(-rows, rows + 1)
        for j in range(-columns, columns + 1)
    ]
