"""What every import reader hands back: a :class:`Batch` of events and rejects, and the
record limits and reject reasons that CSV, JSON Lines and Parquet reading share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress


#: Why a record holding a NUL character is refused: it would end up inside a stored id or
#: event name that no command line can type (so could never be erased by id).
NUL_BYTE = "NUL character in the record"

#: Longest line (bytes) a JSON Lines record may have, and longest CSV field
#: (characters); longer ones are rejected.
MAX_LINE = 1 << 20


@dataclass
class Batch:
    # One entry per event to store, in file order.
    customers: list[str] = field(default_factory=list)  # external ids
    names: list[str] = field(default_factory=list)  # canonical event names
    times: list[int] = field(default_factory=list)  # epoch ms UTC
    properties: list[str] = field(default_factory=list)  # canonical JSON (designer.store.codec)
    keys: Sequence[int] = field(default_factory=list)  # dedupe keys (designer.store.codec.dedupe_keys)
    rejects: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), in line order
    read: int = 0  # records consumed (events + rejects)
    done: bool = False
    lines: Sequence[int] = field(default_factory=list)  # each event's line (or row) in the file
    # Customers as distinct ids and one code per event (``customers`` then empty): how a batch
    # crosses from the parser process, so the storing side resolves each id once per batch.
    customer_values: list[str] | None = None
    customer_codes: Sequence[int] | None = None
    # With them, from the parser process: each distinct id's code in the whole file so far
    # (designer.store.parallel.CustomerCodebook), valid within ``customer_epoch``; the writer
    # keeps the internal id per code, so an id seen in an earlier batch is not hashed again.
    customer_globals: Sequence[int] | None = None
    customer_epoch: int = 0

    def external_ids(self) -> list[str]:
        """The customer id of each event, however the batch holds them."""
        if self.customer_codes is None:
            return self.customers
        return list(map(self.customer_values.__getitem__, self.customer_codes))

    def without(self, refused: set[str], reason: str) -> "Batch":
        """This batch less the events of the customers in ``refused``, each a reject with ``reason``
        (the customers come back one id per event)."""
        customers = self.external_ids()
        keep = [c not in refused for c in customers]
        rejects = sorted(self.rejects + [(line, reason) for line, k in zip(self.lines, keep) if not k])
        kept = (list(compress(values, keep)) for values in (customers, self.names, self.times,
                                                            self.properties, self.keys, self.lines))
        customers, names, times, properties, keys, lines = kept
        return Batch(customers, names, times, properties, keys, rejects, self.read, self.done, lines)
