"""Loading the targets' schemas kept in ``data/`` as JSON Schema validators."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

import jsonschema

DATA = Path(__file__).parent / "data"


def _nullable(schema):
    """OpenAPI 3.0 in JSON Schema: ``nullable: true`` as "the same schema, or null", and
    ``oneOf: [integer, number]`` as "either" (what the description means by it)."""
    if isinstance(schema, list):
        return [_nullable(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _nullable(v) for k, v in schema.items() if k not in ("nullable", "discriminator")}
    if out.get("oneOf") == [{"type": "integer"}, {"type": "number"}]:
        # Every integer is also a number in JSON Schema, so oneOf would refuse all whole numbers.
        out["anyOf"] = out.pop("oneOf")
    if schema.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


@lru_cache(maxsize=None)
def validator(name: str) -> jsonschema.protocols.Validator:
    raw = json.loads((DATA / name).read_text(encoding="utf-8"))
    schema = _nullable(copy.deepcopy(raw))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def errors(name: str, body: dict) -> list[str]:
    """Every schema error in ``body``, each with the JSON path it sits at."""
    return [f"{e.json_path}: {e.message}" for e in validator(name).iter_errors(body)]
