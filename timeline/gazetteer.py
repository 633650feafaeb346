"""The Gazetteer aggregate: every place the store knows, by name and alias.

A record names its place either in full (name, coordinates, kind, aliases) or by a name or
alias already known. The first full mention registers the place; a later full mention with new
aliases adds them. A full mention whose name is known but whose coordinates lie more than
`SAME_PLACE_KM` away is refused: two places must not share a name.
"""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import event

from timeline.domain import Aggregate, stable_id
from timeline.errors import PlaceConflict, UnknownPlace
from timeline.events import Place, read_stored
from timeline.names import did_you_mean, name_key
from timeline.terminal import shown

SAME_PLACE_KM = 10.0


def distance_km(a: Place, b: Place) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


class Gazetteer(Aggregate):
    @staticmethod
    def create_id() -> UUID:
        return stable_id("gazetteer", "places")

    @event("Started")
    def __init__(self) -> None:
        self.places: dict[str, Place] = {}
        self.keys: dict[str, str] = {}

    def snapshot_state(self) -> dict[str, Any]:
        places = {name: place.model_dump(mode="json", exclude_none=True)
                  for name, place in self.places.items()}  # fmt: skip
        return {"places": places, "keys": self.keys}

    def restore(self, state: dict[str, Any]) -> None:
        self.places = {name: read_stored(Place, orjson.dumps(place))
                       for name, place in state["places"].items()}  # fmt: skip
        self.keys = dict(state["keys"])

    def resolve(self, name: str, field: str = "place") -> Place:
        """The place known by this name or alias; UnknownPlace names the nearest ones."""
        known = self.keys.get(name_key(name))
        if known is None:
            hint = did_you_mean(name, self.keys)
            msg = f"unknown place {shown(name)}: give it in full (name, lat, lon, kind) once{hint}"
            raise UnknownPlace(msg, field)
        return self.places[known]

    def check_place(self, place: Place, field: str = "place") -> None:
        """Refuse a place whose name or aliases belong to another place."""
        for name in (place.name, *(place.aliases or ())):
            known = self.keys.get(name_key(name))
            if known is None:
                continue
            other = self.places[known]
            if distance_km(place, other) > SAME_PLACE_KM:
                msg = (
                    f"{shown(name)} is already the name of {shown(other.name)} at "
                    f"{other.lat}, {other.lon}, {distance_km(place, other):.0f} km away; "
                    "give this place a distinct name"
                )
                raise PlaceConflict(msg, field)

    def learn(self, place: Place) -> None:
        """Register a new place, or the new aliases of a known one (check_place first)."""
        known = self.keys.get(name_key(place.name))
        if known is None:
            for alias in place.aliases or ():
                known = known or self.keys.get(name_key(alias))
        if known is None:
            self._registered(place=place)
            return
        new = tuple(
            name for name in (place.name, *(place.aliases or ())) if name_key(name) not in self.keys
        )
        if new:
            self._aliases_added(name=known, aliases=new)

    @event("PlaceRegistered")
    def _registered(self, place: Place) -> None:
        self.places[place.name] = place
        for name in (place.name, *(place.aliases or ())):
            self.keys.setdefault(name_key(name), place.name)

    @event("AliasesAdded")
    def _aliases_added(self, name: str, aliases: tuple[str, ...]) -> None:
        place = self.places[name]
        self.places[name] = place.model_copy(update={"aliases": (*(place.aliases or ()), *aliases)})
        for alias in aliases:
            self.keys.setdefault(name_key(alias), name)
