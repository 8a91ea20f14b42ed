"""The node kinds registry: name -> ``Kind`` (defined one block each in ``nodekinds.py``).

One registry serves the palette (label, description, icon, colour), the
inspector (typed fields with editors and starting values), the validator
(ports, config models), the engine's plan (typed configs) and the
compilers. Adding a kind means adding its block to ``nodekinds.ALL``.
"""

from __future__ import annotations

from typing import Any

from designer.model.fieldtypes import WEEKDAYS
from designer.model.kind import END_PORTS_KEY, Field, Kind, NodeConfig, Parsed
from designer.model.nodekinds import ALL, variant_ports

#: The canonical event vocabulary; importers map a dataset's own names onto it.
CANONICAL_EVENTS = (
    "view", "add_to_cart", "remove_from_cart", "checkout_started", "purchase",
    "signup", "email_open", "email_click",
)

KINDS: dict[str, Kind] = {k.name: k for k in ALL}
#: The older name of ``Kind``, kept for callers written against it.
NodeKind = Kind

__all__ = ["CANONICAL_EVENTS", "END_PORTS_KEY", "KINDS", "WEEKDAYS", "Field", "Kind", "NodeConfig", "NodeKind",
           "Parsed", "check_config", "kind", "parse", "summary", "variant_ports"]


def kind(name: str) -> Kind | None:
    return KINDS.get(name)


def _unknown(kind_name: Any) -> Parsed:
    return Parsed(None, (("kind", f"unknown node kind {kind_name!r}; known kinds: {', '.join(KINDS)}"),))


def parse(kind_name: str, config: Any) -> Parsed:
    """A node's config, typed and checked; problems carry paths within the config."""
    spec = KINDS.get(kind_name) if isinstance(kind_name, str) else None
    return spec.parse(config) if spec is not None else _unknown(kind_name)


def check_config(kind_name: str, config: dict) -> list[tuple[str, str]]:
    """Problems in a node's config as (path within config, message) pairs."""
    return list(parse(kind_name, config).problems)


def summary(kind_name: str, config: dict) -> str:
    """One line for the card: 'wait 1 h', 'purchase since entry?'."""
    spec = KINDS.get(kind_name)
    return spec.summary(config) if spec is not None else ""
