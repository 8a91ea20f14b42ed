"""The flow file's shape as typed models: what the loader checks and the JSON Schema publishes.

The loader reads the file with ``FileShape`` (node configs kept as their file
form, checked per kind afterwards so one bad config is a problem on its
node, not an unreadable file). The published schema (``schema()``, written
to ``docs/flow.schema.json`` by ``python -m designer.model.schema``) puts each
kind's config model in its node, so it accepts every flow the validator
accepts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from typing_extensions import NotRequired, TypedDict

from pydantic import ConfigDict, Field, TypeAdapter, create_model

from designer.model.fieldtypes import FlowModel, JsonValue, Name
from designer.model.kinds import KINDS
from designer.model.settings import Settings

FORMAT = "trigger-flow"
CURRENT_VERSION = 1

Id = Annotated[str, Field(min_length=1)]
Coordinate = Annotated[float, Field(allow_inf_nan=False, ge=-1e9, le=1e9)]
_SHAPE = ConfigDict(extra="forbid", strict=True)


class EdgeFile(TypedDict):
    """An edge: from a node's port to a node. ``port`` may be left out when the source has one port."""

    __pydantic_config__ = _SHAPE  # type: ignore[misc]
    #: (spelled ``from`` in the file)
    from_: Annotated[Id, Field(alias="from")]
    to: Id
    port: NotRequired[Id]


class NodeShape(TypedDict):
    """A node as the loader reads it (plain dicts: no model per node); ``config`` is checked by
    the node's kind afterwards."""

    __pydantic_config__ = _SHAPE  # type: ignore[misc]
    id: Id
    kind: str
    x: NotRequired[Coordinate]
    y: NotRequired[Coordinate]
    config: NotRequired[dict[str, Any]]


class _FileBase(FlowModel):
    format: Literal["trigger-flow"]
    #: Checked (and older versions migrated) before the shape is; the schema says the current one.
    version: Annotated[int, Field(ge=1)]
    id: Name
    name: Name
    description: str = ""
    settings: Settings | None = None
    edges: list[EdgeFile] = Field(default_factory=list)
    #: What was published where (target -> record); publishers write only this.
    publish: dict[str, JsonValue] = Field(default_factory=dict)


class FileShape(_FileBase):
    nodes: list[NodeShape]


FILE_SHAPE = TypeAdapter(FileShape)


def _typed_node(kind: str) -> type[FlowModel]:
    spec = KINDS[kind]
    return create_model(
        f"{spec.config.__name__.removesuffix('Config')}Node", __base__=FlowModel,
        __doc__=f"A {spec.label.lower()} node: {spec.description[:1].lower()}{spec.description[1:]}.",
        id=(Id, ...), kind=(Literal[kind], ...), x=(Coordinate, 0.0), y=(Coordinate, 0.0),
        config=(spec.config, Field(default_factory=dict)))


def schema() -> dict[str, Any]:
    """The flow file's JSON Schema (draft 2020-12), from the same models the loader and validator use."""
    typed = [_typed_node(k) for k in KINDS]
    node = Annotated[Union[tuple(typed)], Field(discriminator="kind")]
    model = create_model("FlowFile", __base__=_FileBase, __doc__="A trigger flow (Trigger Flow Designer).",
                         nodes=(list[node], ...),
                         version=(Annotated[int, Field(ge=1, le=CURRENT_VERSION)], ...))
    out = TypeAdapter(model).json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://trigger-flow-designer.example/flow.schema.json", **out}
