"""One ``requests.Session`` per target, retrying what is safe to retry.

urllib3's ``Retry`` repeats idempotent calls (GET, PUT, DELETE...) on 429 and
5xx, honouring ``Retry-After`` and otherwise backing off exponentially with
jitter up to a cap. Creates (POST) are never repeated here: a create that
failed half-way may have happened, so the publisher decides, after looking.
Every call carries a timeout.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRY_STATUSES = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class RetryPolicy:
    total: int = 5
    backoff_factor: float = 0.5
    backoff_jitter: float = 0.25
    backoff_max: float = 30.0
    #: Methods repeated; None: urllib3's idempotent ones. A caller whose every call carries an
    #: idempotency key (the runtime's webhook deliveries) may repeat POST too.
    methods: frozenset[str] | None = None

    def retry(self) -> Retry:
        return Retry(total=self.total, connect=self.total, read=self.total, status=self.total,
                     backoff_factor=self.backoff_factor, backoff_jitter=self.backoff_jitter,
                     backoff_max=self.backoff_max, status_forcelist=RETRY_STATUSES,
                     allowed_methods=self.methods or Retry.DEFAULT_ALLOWED_METHODS,
                     respect_retry_after_header=True, raise_on_status=False)


def make_session(headers: dict[str, str], policy: RetryPolicy | None = None) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=(policy or RetryPolicy()).retry())
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(headers)
    return session


def retries_of(response: requests.Response) -> int:
    """How many times urllib3 repeated the call that gave ``response``."""
    retries = getattr(getattr(response, "raw", None), "retries", None)
    return len(retries.history) if retries is not None and retries.history else 0
