"""What a node kind is: its typed config, its ports, its card line, its palette entry.

One ``Kind`` per kind (see ``nodekinds.py``) is read by every consumer: the
loader and the validator parse configs with ``Kind.parse`` (once per config:
``Node`` caches the result), the inspector builds its form from ``Kind.fields``
(the config model's fields and their ``Editor`` metadata), the engine's plan
reads the typed config, the canvas the summary and the ports, the palette the
label, colour and icon.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, NamedTuple

from pydantic import ConfigDict, Field as _Field, TypeAdapter, ValidationError

from designer.model import bounds
from designer.model.fieldtypes import Editor, FlowModel, Name, problems

#: How deep a node's config sits in the file (document, nodes, node, config), for the nesting bound.
CONFIG_DEPTH = 4
#: Config key naming output ports that end the journey on purpose (no open-port error).
END_PORTS_KEY = "end_ports"


class NodeConfig(FlowModel):
    """Base of every kind's config: the ports that may stay open on purpose."""

    #: The field a problem of the whole config (fields that disagree) is shown under.
    whole_config_field: ClassVar[str] = ""

    end_ports: list[Name] | None = _Field(default=None)


class Parsed(NamedTuple):
    """A config parsed once: the typed model, or None with the problems (path within config, message).
    A tuple: the loader makes one per node, and a tuple is the cheapest immutable value to make."""

    config: NodeConfig | None
    problems: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Field:
    """One config field as the inspector sees it: which editor, caption, help, what a new node starts with."""

    name: str
    type: str
    label: str
    default: Any = None
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    description: str
    color: str
    config: type[NodeConfig]
    #: The card line, from a typed config.
    summary_of: Callable[[Any], str]
    #: Static output ports, or (``ports_of``) ports derived from the file form of the config, so
    #: that a config still being edited (variants not adding up yet) keeps its ports and edges.
    ports: tuple[str, ...] = ("next",)
    ports_of: Callable[[dict], tuple[str, ...]] | None = field(default=None, compare=False)
    #: The message channel for send kinds ("email", "sms", "webhook"), else None.
    channel: str | None = None
    #: Whether a send is marketing, and so gated by consent, smart sending and quiet hours.
    marketing: bool = False
    #: Whether people who leave by an unconnected port fall out silently (an error).
    branching: bool = False
    #: The longest a journey can stay at the node, in seconds, from a typed config (None: it moves on
    #: at once). The validator sums these along paths to compare the flow's length with its cooldown.
    holds_at_most: Callable[[Any], float] | None = field(default=None, compare=False)

    @property
    def icon(self) -> str:
        return f"{self.name}.svg"

    @property
    def dynamic_ports(self) -> Callable[[dict], tuple[str, ...]] | None:
        return self.ports_of

    def output_ports(self, config: dict) -> tuple[str, ...]:
        return self.ports_of(config) if self.ports_of is not None else self.ports

    @property
    def fields(self) -> tuple[Field, ...]:
        return _fields(self.config)

    def default_config(self) -> dict:
        """The config a new node of this kind starts with."""
        return {f.name: copy.deepcopy(f.default) for f in self.fields if f.default is not None}

    def parse(self, config: Any, *, bounded: bool = False) -> Parsed:
        """The config typed and checked. ``bounded``: its size limits were checked already (the loader)."""
        if not bounded:
            try:
                bounds.check(config, "", CONFIG_DEPTH)
            except bounds.BoundsError as exc:
                return Parsed(None, ((exc.path if exc.path != "$" else "", exc.message),))
        try:
            typed = self.config.model_validate(config)
        except ValidationError as exc:
            found = problems(exc, "", {f.name: f.label.lower() for f in self.fields})
            whole = self.config.whole_config_field
            return Parsed(None, tuple((path or whole, message) for path, message in found))
        return self.check_end_ports(typed, config)

    def check_end_ports(self, typed: NodeConfig, config: dict) -> Parsed:
        ends = typed.end_ports
        if ends:
            ports = self.output_ports(config)
            if any(p not in ports for p in ends):
                have = ", ".join(ports) if ports else "none"
                return Parsed(None, ((END_PORTS_KEY, f"must list output ports of this node: {have}"),))
        return Parsed(typed)

    def summary(self, config: dict, parsed: Parsed | None = None) -> str:
        """The card line; a config with problems shows what can be read of it."""
        parsed = parsed or self.parse(config)
        typed = parsed.config if parsed.config is not None else self._partial(config, parsed)
        try:
            return self.summary_of(typed)
        except (AttributeError, TypeError, ValueError, KeyError):
            return ""

    def _partial(self, config: Any, parsed: Parsed) -> NodeConfig:
        """The readable fields of a config with problems (the others left unset), for its card."""
        if not isinstance(config, dict):
            config = {}
        values: dict[str, Any] = {name: None for name in self.config.model_fields}
        for name, adapter in _field_adapters(self.config).items():
            if name in config:
                try:
                    values[name] = adapter.validate_python(config[name])
                except ValidationError:
                    pass
        return self.config.model_construct(**values)


def _fields(model: type[NodeConfig]) -> tuple[Field, ...]:
    found = _FIELDS.get(model)
    if found is None:
        out = []
        for name, info in model.model_fields.items():
            editor = next((m for m in info.metadata if isinstance(m, Editor)), None)
            if editor is None:
                continue
            out.append(Field(info.alias or name, editor.type, editor.label, editor.initial,
                             info.is_required(), editor.help))
        found = _FIELDS[model] = tuple(out)
    return found


_FIELDS: dict[type, tuple[Field, ...]] = {}
_ADAPTERS: dict[type, dict[str, TypeAdapter]] = {}


def _field_adapters(model: type[NodeConfig]) -> dict[str, TypeAdapter]:
    """One validator per field, for reading the sound fields of a config with problems."""
    found = _ADAPTERS.get(model)
    if found is None:
        found = _ADAPTERS[model] = {
            name: TypeAdapter(Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation,
                              config=ConfigDict(strict=True))
            for name, info in model.model_fields.items()}
    return found
