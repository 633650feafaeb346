"""The Gazetteer aggregate: every place the store knows, by name and alias.

A record names its place either in full (name, coordinates, kind, aliases) or by a name or
alias already known. The first full mention registers the place; a later full mention with new
aliases adds them. One place per place:

- a full mention of a new name within `SAME_SPOT_KM` of a known place of the same kind is that
  place: its names become the place's aliases (`البوكمال` at Abu Kamal's coordinates); two
  neighbourhoods 250 m apart are two, so the distance is shorter for the smaller kinds;
- a full mention whose name is known but whose coordinates lie more than `SAME_PLACE_KM` away
  is another place: refused (two places must not share a name), unless the mention says the
  area it lies `within`, when it is known by its name qualified by that area;
- an analyst's `places_identified` makes two known places one (`identify`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import event

from timeline import geo
from timeline.domain import Aggregate, stable_id
from timeline.errors import PlaceConflict, UnknownPlace
from timeline.events import Place, read_stored
from timeline.names import did_you_mean, name_key
from timeline.terminal import shown

SAME_PLACE_KM = 10.0  # a known name farther than this from a mention is another place's
SAME_SPOT_KM = {  # a new name this close to a known place of the same kind is that place
    "town": 0.3, "region": 0.3, "neighbourhood": 0.1, "crossing": 0.1, "facility": 0.05,
}  # fmt: skip


def distance_km(a: Place, b: Place) -> float:
    """Great-circle distance between two places."""
    return geo.distance_km(a.lat, a.lon, b.lat, b.lon)


def qualified(name: str, within: str) -> str:
    """A name shared by places far apart, qualified by the area: Hajin (Aleppo, Syria)."""
    return f"{name} ({within})"


class Gazetteer(Aggregate):
    @staticmethod
    def create_id() -> UUID:
        return stable_id("gazetteer", "places")

    @event("Started")
    def __init__(self) -> None:
        self.places: dict[str, Place] = {}
        self.keys: dict[str, str] = {}
        self.grid: dict[geo.Cell, list[str]] = {}  # places by grid cell: those near a point

    def snapshot_state(self) -> dict[str, Any]:
        places = {name: place.model_dump(mode="json", exclude_none=True)
                  for name, place in self.places.items()}  # fmt: skip
        return {"places": places, "keys": self.keys}

    def restore(self, state: dict[str, Any]) -> None:
        self.places = {name: read_stored(Place, orjson.dumps(place))
                       for name, place in state["places"].items()}  # fmt: skip
        self.keys = dict(state["keys"])
        self.grid = {}
        for place in self.places.values():
            self._file(place)

    def _file(self, place: Place) -> None:
        self.grid.setdefault(geo.cell(place.lat, place.lon), []).append(place.name)

    def near(self, place: Place, km: float) -> list[tuple[float, Place]]:
        """The known places within `km` of a place, nearest first, with their distances."""
        found = []
        for cell in geo.around(place.lat, place.lon, km):
            for name in self.grid.get(cell, ()):
                other = self.places[name]
                distance = distance_km(place, other)
                if distance <= km:
                    found.append((distance, other))
        return sorted(found, key=lambda pair: (pair[0], pair[1].name))

    def resolve(self, name: str, field: str = "place") -> Place:
        """The place known by this name or alias; UnknownPlace names the nearest ones."""
        known = self.keys.get(name_key(name))
        if known is None:
            hint = did_you_mean(name, self.keys)
            msg = f"unknown place {shown(name)}: give it in full (name, lat, lon, kind) once{hint}"
            raise UnknownPlace(msg, field)
        return self.places[known]

    def check_place(self, place: Place, field: str = "place") -> Place:
        """The place as it will be known, or PlaceConflict if its name or an alias belongs to
        a place more than SAME_PLACE_KM away. A mention saying the area it lies `within` is
        known instead by its name qualified by that area (the place returned is so named)."""
        other = self._far(place.name, place)
        if other is not None and place.within:
            name = qualified(place.name, place.within)
            if self._far(name, place) is None:
                place = place.model_copy(update={"name": name})
                other = None
        if other is not None:
            raise PlaceConflict(self._conflict(place.name, place, other), field)
        for alias in place.aliases or ():
            other = self._far(alias, place)
            if other is not None:
                raise PlaceConflict(self._conflict(alias, place, other), field)
        return place

    def _far(self, name: str, place: Place) -> Place | None:
        """The other place this name belongs to, if it lies more than SAME_PLACE_KM away."""
        known = self.keys.get(name_key(name))
        if known is None:
            return None
        other = self.places[known]
        return other if distance_km(place, other) > SAME_PLACE_KM else None

    @staticmethod
    def _conflict(name: str, place: Place, other: Place) -> str:
        return (
            f"{shown(name)} is already the name of {shown(other.name)} at {other.lat}, "
            f"{other.lon}, {distance_km(place, other):.0f} km away; give this place a distinct name"
        )

    def learn(self, place: Place) -> str | None:
        """Register a new place, or the new aliases of a known one (check_place first): a new
        name at a known place of the same kind (within SAME_SPOT_KM of it) is its alias. Returns
        what a user should hear of it: that a new name was found to be a known place's."""
        known = self.keys.get(name_key(place.name))
        if known is None:
            for alias in place.aliases or ():
                known = known or self.keys.get(name_key(alias))
        note = None
        if known is None:
            spot_km = SAME_SPOT_KM[place.kind]
            same = [(d, p) for d, p in self.near(place, spot_km) if p.kind == place.kind]
            if not same:
                self._registered(place=place)
                return None
            distance, spot = same[0]
            known = spot.name
            note = (
                f"'{place.name}' is '{known}' (a {place.kind} {distance * 1000:.0f} m away): "
                "recorded as its alias"
            )
        new = tuple(dict.fromkeys(
            name for name in (place.name, *(place.aliases or ())) if name_key(name) not in self.keys
        ))  # fmt: skip
        if new:
            self._aliases_added(name=known, aliases=new)
        return note

    def check_identify(self, place: str, same_as: str) -> tuple[Place, Place]:
        """The two known places a places_identified finds to be one, or the error that
        refuses it: a name unknown, or both names one place already."""
        kept = self.resolve(place, "place")
        other = self.resolve(same_as, "same_as")
        if kept.name == other.name:
            msg = f"'{same_as}' and '{place}' are one place already ('{kept.name}')"
            raise PlaceConflict(msg, "same_as")
        return kept, other

    def identify(self, place: str, same_as: str) -> None:
        """Make the place known as `same_as` one with `place` (check_identify first)."""
        kept, other = self.check_identify(place, same_as)
        self._merged(name=kept.name, other=other.name)

    @event("PlaceRegistered")
    def _registered(self, place: Place) -> None:
        self.places[place.name] = place
        self._file(place)
        for name in (place.name, *(place.aliases or ())):
            self.keys.setdefault(name_key(name), place.name)

    @event("AliasesAdded")
    def _aliases_added(self, name: str, aliases: tuple[str, ...]) -> None:
        place = self.places[name]
        self.places[name] = place.model_copy(update={"aliases": (*(place.aliases or ()), *aliases)})
        for alias in aliases:
            self.keys.setdefault(name_key(alias), name)

    @event("PlacesMerged")
    def _merged(self, name: str, other: str) -> None:
        """`other` is `name`: its names become `name`'s aliases, and it is no more."""
        gone = self.places.pop(other)
        filed = self.grid.get(geo.cell(gone.lat, gone.lon), [])
        if other in filed:
            filed.remove(other)
        kept = self.places[name]
        aliases = (*(kept.aliases or ()), *(
            alias for alias in dict.fromkeys((gone.name, *(gone.aliases or ())))
            if alias not in (kept.aliases or ()) and alias != kept.name
        ))  # fmt: skip
        self.places[name] = kept.model_copy(update={"aliases": aliases})
        for key, known in list(self.keys.items()):
            if known == other:
                self.keys[key] = name
