"""The compiled Parquet path (column-wise) and the per-row record rules hand out the same events."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from designer.store.arrowrecords import RecordConverter  # noqa: E402
from designer.store.mapping import Mapping  # noqa: E402

from .reading import read_all  # noqa: E402

UTC = timezone.utc


class Spy:
    """Counts the rows the compiled converter handled itself (not handed back to the per-row path)."""

    def __init__(self) -> None:
        self.rows = 0

    def __enter__(self) -> Spy:
        real = RecordConverter.convert
        spy = self

        def convert(converter, table):
            result = real(converter, table)
            if result is not None:
                spy.rows += table.num_rows
            return result

        self._patch = mock.patch.object(RecordConverter, "convert", convert)
        self._patch.start()
        return self

    def __exit__(self, *exc) -> None:
        self._patch.stop()


def typed_table() -> pa.Table:
    """Every column type an export writes, with nulls, blanks and values at the rules' edges."""
    n = 12
    return pa.table({
        "customer_id": pa.array(["c1", " c2 ", None, "", "c1", "1234567890123456789", "c3", "c4", "c5", "c6", "c7", "c8"]),
        "event": pa.array(["view", "Purchase", "view", None, " ", "view", "cart", "view", "view", "view", "view", "view"]).dictionary_encode(),
        "timestamp": pa.array([datetime(2024, 5, 1, 10, i, tzinfo=UTC) for i in range(n)], pa.timestamp("us", tz="UTC")),
        "naive": pa.array([datetime(2024, 5, 1, 10, i) for i in range(n)], pa.timestamp("ms")),
        "day": pa.array([date(2024, 5, i + 1) for i in range(n)], pa.date32()),
        "product_id": pa.array([1, None, 2**53, 2**53 + 1, -5, 0, 7, 8, 9, 10, 11, 12], pa.int64()),
        "small": pa.array([1, 2, None, 4, 5, 6, 7, 8, 9, 10, 11, 12], pa.int8()),
        "price": pa.array([Decimal("12.50"), None, Decimal("80.10"), Decimal("0.00")] + [Decimal("1.00")] * 8, pa.decimal128(10, 2)),
        "ratio": pa.array([0.1, 1.0, None, float("nan"), float("inf"), 1e20, -0.0, 3.5, 2.25, 1.5, 0.5, 0.75], pa.float64()),
        "single": pa.array([0.1] * n, pa.float32()),
        "flag": pa.array([True, False, None] * 4, pa.bool_()),
        "text": pa.array(['a"b', "back\\slash", "", None, "é", "tab\there", "x", "y", "z", "1", "2", "3"]),
        "tags": pa.array([["a", "b"], None, [], ["x"]] * 3, pa.list_(pa.string())),
    })


@pytest.mark.parametrize("batch", [1, 5, 50])
def test_every_column_type_and_nulls_give_the_same_events(tmp_path, batch):
    path = tmp_path / "events.parquet"
    pq.write_table(typed_table(), path, row_group_size=4)
    with Spy() as spy:
        compiled = read_all(path, True, batch)
    assert spy.rows > 0
    assert compiled == read_all(path, False, batch)
    assert [line for line, _ in compiled["rejects"]] == [3, 4, 5]


def test_pseudonymised_dropped_and_renamed_fields_agree(tmp_path):
    path = tmp_path / "events.parquet"
    pq.write_table(typed_table(), path)
    mapping = Mapping(customer="customer_id", event="event", time="timestamp", rename={"text": "note"})
    options = dict(mapping=mapping, pseudonymise=("customer_id", "text", "product_id"), drop=("tags",), salt="s")
    with Spy() as spy:
        compiled = read_all(path, True, 5, **options)
    assert spy.rows == 12
    assert compiled == read_all(path, False, 5, **options)
    assert all(customer.startswith("p_") for customer, *_ in compiled["events"])


def test_epoch_number_times_and_text_times_agree(tmp_path):
    path = tmp_path / "events.parquet"
    table = pa.table({
        "customer_id": pa.array([1, 2, 3, None], pa.int64()),
        "event": ["view"] * 4,
        "timestamp": pa.array(["2024-05-01T10:00:00Z", "1714557600", "not a time", "2024-05-01 10:00:00"]),
        "seconds": pa.array([1714557600, 1714557601, None, 1714557603], pa.int64()),
    })
    pq.write_table(table, path)
    for time in ("timestamp", "seconds"):
        mapping = Mapping(customer="customer_id", event="event", time=time)
        assert read_all(path, True, 10, mapping=mapping) == read_all(path, False, 10, mapping=mapping)


TEXT = st.one_of(st.none(), st.text(max_size=5), st.sampled_from(["view", " ", "", "Purchase", "a\\b"]))
INTS = st.one_of(st.none(), st.integers(-2**63, 2**63 - 1), st.integers(0, 2**40))
FLOATS = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
TIMES = st.one_of(st.none(), st.integers(0, 5 * 10**12), st.integers(-10**15, 10**18))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.one_of(TEXT, INTS.map(lambda v: v)), TEXT, TIMES, INTS, FLOATS, TEXT,
                               st.one_of(st.none(), st.booleans())), min_size=1, max_size=25),
       ids_are_ints=st.booleans(), batch=st.integers(1, 30))
def test_generated_tables_give_the_same_events(rows, ids_are_ints, batch):
    customers = [r[0] if ids_are_ints == isinstance(r[0], int) else None for r in rows]
    table = pa.table({
        "customer_id": pa.array(customers, pa.int64() if ids_are_ints else pa.string()),
        "event": pa.array([r[1] for r in rows], pa.string()),
        "timestamp": pa.array([r[2] for r in rows], pa.int64()),
        "count": pa.array([r[3] for r in rows], pa.int64()),
        "ratio": pa.array([r[4] for r in rows], pa.float64()),
        "note": pa.array([r[5] for r in rows], pa.string()),
        "flag": pa.array([r[6] for r in rows], pa.bool_()),
    })
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.parquet"
        pq.write_table(table, path, row_group_size=7)
        assert read_all(path, True, batch) == read_all(path, False, batch)
