"""Properties over many generated stores (benchmarks/generate.py, seeded by hypothesis)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from projections import tracking
from tests.test_projection_tracking import every_table
from timeline.api import OpsTimeline
from timeline.application import Timeline
from timeline.errors import ImportFailed

Seeds = st.integers(min_value=0, max_value=10_000)
Sizes = st.integers(min_value=20, max_value=80)
Corruptions = st.sampled_from([
    ("truncated", lambda line: line[: len(line) // 2]),
    ("no sources", lambda line: json.dumps({k: v for k, v in json.loads(line).items()
                                            if k != "sources"})),
    ("bad grade", lambda line: line.replace('"reliability": "', '"reliability": "Z', 1)),
    ("unknown key", lambda line: line[:-1] + ', "colour": "red"}'),
    ("not an object", lambda line: "[" + line + "]"),
])  # fmt: skip
PROPERTY = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def lines(n: int, seed: int) -> list[str]:
    return [json.dumps(record, ensure_ascii=False) for record in generate(n, seed)]


def exported(app: Timeline) -> list[dict[str, object]]:
    return [event.record.canonical() for event in app.log()]


@PROPERTY
@given(seed=Seeds, n=Sizes)
def test_export_then_import_gives_the_same_store(tmp_path_factory: pytest.TempPathFactory,
                                                 seed: int, n: int) -> None:  # fmt: skip
    work = tmp_path_factory.mktemp("copy")
    original = Timeline(db=str(work / "original.db"))
    source = work / "events.jsonl"
    source.write_text("\n".join(lines(n, seed)) + "\n", "utf-8")
    original.import_file(source)
    export = work / "export.jsonl"
    export.write_text("".join(json.dumps(r) + "\n" for r in exported(original)), "utf-8")

    copy = Timeline(db=str(work / "copy.db"))
    copy.import_file(export)

    assert exported(copy) == exported(original)
    assert len(exported(copy)) == n


@PROPERTY
@given(seed=Seeds, n=Sizes, cuts=st.lists(st.integers(1, 79), max_size=4))
def test_incremental_projection_equals_a_rebuild_in_bulk(
    tmp_path_factory: pytest.TempPathFactory, seed: int, n: int, cuts: list[int]
) -> None:
    work = tmp_path_factory.mktemp("incremental")
    ops = OpsTimeline(str(work / "store.db"))
    records = lines(n, seed)
    bounds = sorted({0, n, *(cut for cut in cuts if cut < n)})
    for number, (start, end) in enumerate(itertools.pairwise(bounds)):
        part = work / f"part-{number}.jsonl"
        part.write_text("\n".join(records[start:end]) + "\n", "utf-8")
        ops.import_file(part)
    incremental = every_table(ops.views.path)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tracking, "BULK_FROM", 1)  # a rebuild in bulk, as of a large store
        ops.rebuild()

    assert every_table(ops.views.path) == incremental


@PROPERTY
@given(seed=Seeds, n=Sizes, where=st.floats(0, 1, exclude_max=True), corruption=Corruptions)
def test_every_malformed_line_gives_a_located_error_and_stores_nothing(
    tmp_path_factory: pytest.TempPathFactory, seed: int, n: int, where: float,
    corruption: tuple[str, object],
) -> None:  # fmt: skip
    work = tmp_path_factory.mktemp("malformed")
    records = lines(n, seed)
    line = int(where * n)
    _, corrupt = corruption
    records[line] = corrupt(records[line])  # type: ignore[operator]
    path = Path(work / "bad.jsonl")
    path.write_text("\n".join(records) + "\n", "utf-8")
    app = Timeline(db=str(work / "store.db"))

    with pytest.raises(ImportFailed) as failed:
        app.import_file(path)

    assert failed.value.errors[0].line == line + 1
    assert str(failed.value.errors[0]).startswith(f"{path}:{line + 1}: ")
    assert list(app.log()) == []
