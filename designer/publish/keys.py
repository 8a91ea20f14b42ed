"""API keys: from the environment or the OS keyring, never from a file.

The environment wins (CI, a one-off shell); otherwise the keyring holds the
key under the service name below. A key is passed to the client and nowhere
else: it is not logged, saved, or put in an error message.
"""

from __future__ import annotations

import os

from designer import identity

#: The keyring service API keys are filed under (one entry per target).
SERVICE = f"{identity.APP_NAME} API keys"
ENV_VARS = {"klaviyo": "KLAVIYO_API_KEY", "hubspot": "HUBSPOT_TOKEN", "dittofeed": "DITTOFEED_ADMIN_KEY",
            "runtime": "FLOW_RUNTIME_TOKEN"}


class MissingKey(Exception):
    """No key to be had; the message says how to give one."""


def get_key(target: str) -> str:
    env = ENV_VARS[target]
    value = os.environ.get(env)
    if value:
        return value
    try:
        import keyring
        import keyring.errors

        value = keyring.get_password(SERVICE, target)
    except Exception as exc:  # a missing or broken backend: say what to do instead
        raise MissingKey(f"no {target} API key: the system keyring is unavailable ({type(exc).__name__}); "
                        f"set the environment variable {env}") from None
    if not value:
        raise MissingKey(f"no {target} API key: set the environment variable {env} or store it in the "
                        f"keyring (service {SERVICE!r}, user {target!r})")
    return value


def set_key(target: str, value: str) -> None:
    """Keep a key in the OS keyring (the editor's Publish dialog)."""
    import keyring

    keyring.set_password(SERVICE, target, value)
