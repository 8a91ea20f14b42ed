"""Our jinja2 tokens in subjects, SMS and templates, in Klaviyo's template language.

Only plain look-ups with an optional ``default`` translate: ``{{ first_name |
default('there') }}`` becomes ``{{ first_name|default:'there' }}``, an event
property ``{{ event.product_name }}`` stays ``{{ event.product_name }}``, any
other profile property becomes ``{{ person|lookup:'name' }}``. Anything else
(other filters, expressions, ``{% ... %}`` blocks) is left as written and
returned as untranslated, so the caller reports it on its node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Profile fields Klaviyo exposes by their own name in templates.
KLAVIYO_PROFILE_FIELDS = ("first_name", "last_name", "email", "phone_number")

_TOKEN = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.S)
_LOOKUP = re.compile(
    r"^\s*(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\s*"
    r"(?:\|\s*default\s*\(\s*(?P<q>['\"])(?P<default>[^'\"]*)(?P=q)\s*\)\s*)?$")


@dataclass
class Translated:
    text: str
    untranslated: list[str] = field(default_factory=list)


def to_klaviyo(text: str) -> Translated:
    """``text`` with every token that maps rewritten; the others listed."""
    missing: list[str] = []

    def one(match: re.Match) -> str:
        if match.group(2) is not None:
            missing.append(match.group(0))
            return match.group(0)
        m = _LOOKUP.match(match.group(1))
        if not m:
            missing.append(match.group(0))
            return match.group(0)
        name = m.group("name")
        if name.startswith("event.") or name in KLAVIYO_PROFILE_FIELDS:
            ref = name
        elif "." in name:
            missing.append(match.group(0))
            return match.group(0)
        else:
            ref = f"person|lookup:'{name}'"
        if m.group("default") is not None:
            ref += f"|default:'{m.group('default')}'"
        return "{{ " + ref + " }}"

    return Translated(_TOKEN.sub(one, text), missing)


def to_liquid(text: str) -> Translated:
    """Our tokens in Liquid as Dittofeed reads it: profile traits are ``user.NAME``.

    Event properties are not in a Dittofeed message's context, so they stay
    untranslated and the caller reports them.
    """
    missing: list[str] = []

    def one(match: re.Match) -> str:
        m = _LOOKUP.match(match.group(1) or "") if match.group(2) is None else None
        if not m or "." in m.group("name"):
            missing.append(match.group(0))
            return match.group(0)
        ref = f"user.{m.group('name')}"
        if m.group("default") is not None:
            ref += f" | default: '{m.group('default')}'"
        return "{{ " + ref + " }}"

    return Translated(_TOKEN.sub(one, text), missing)


_BACK = re.compile(r"\{\{\s*(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?|person\|lookup:'(?P<prop>\w+)')"
                   r"\s*(?:\|default:'(?P<default>[^']*)')?\s*\}\}")


def from_klaviyo(text: str) -> str:
    """Klaviyo's plain look-ups back in our jinja2 spelling (the pull direction)."""
    def one(m: re.Match) -> str:
        name = m.group("prop") or m.group("name")
        default = m.group("default")
        return "{{ " + name + (f" | default('{default}')" if default is not None else "") + " }}"

    return _BACK.sub(one, text)
