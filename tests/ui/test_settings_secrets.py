"""A database password never lands in the settings file: the keyring keeps it, and
without a keyring it is not kept at all and the editor asks for it on the next start."""

from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as NoKeyring

from designer.ui import credentials, prefs
from designer.ui.backtest.store_panel import SETTINGS_KEY
from editor_driver import close_window, make_window

URL = "postgresql+psycopg://shop:s3cr%40t-pw@db.example:5432/events?sslmode=require"
BARE = "postgresql+psycopg://shop@db.example:5432/events?sslmode=require"


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


@pytest.fixture
def use_keyring():
    previous = keyring.get_keyring()

    def use(backend):
        keyring.set_keyring(backend)
        return backend

    yield use
    keyring.set_keyring(previous)


def settings_text(settings_dir) -> str:
    files = list(settings_dir.rglob("*.ini"))
    assert files, "the settings were written somewhere else"
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def test_the_password_goes_to_the_keyring_and_comes_back(isolated_user_files, use_keyring):
    ring = use_keyring(MemoryKeyring())
    s = prefs.settings()
    s.setValue(SETTINGS_KEY, URL)  # what the store panel does after opening a store
    s.sync()
    text = settings_text(isolated_user_files)
    assert "s3cr" not in text and "t-pw" not in text
    assert "shop@db.example" in text
    assert ring.items == {(credentials.SERVICE, BARE): "s3cr@t-pw"}
    assert prefs.settings().value(SETTINGS_KEY) == URL
    assert prefs.store_asks_password() is None


def test_without_a_keyring_the_password_is_not_kept_and_is_asked_for(qtbot, isolated_user_files, use_keyring):
    use_keyring(NoKeyring())
    prefs.settings().setValue(SETTINGS_KEY, URL)
    prefs.settings().sync()
    assert "s3cr" not in settings_text(isolated_user_files)
    assert prefs.settings().value(SETTINGS_KEY) == BARE
    assert prefs.store_asks_password() == BARE
    w = make_window(qtbot)
    opened, asked = [], []
    w.store.open = lambda path, remember=True: opened.append((path, remember))
    w.ask_password = lambda title, text: asked.append(text) or "s3cr@t-pw"
    try:
        w.start_store()
        assert asked and BARE in asked[0] and "s3cr" not in asked[0]
        assert opened == [(URL, True)]
    finally:
        close_window(w)


def test_declining_the_password_question_opens_the_sample_shop(qtbot, use_keyring):
    use_keyring(NoKeyring())
    prefs.settings().setValue(SETTINGS_KEY, URL)
    w = make_window(qtbot)
    opened, samples = [], []
    w.store.open = lambda path, remember=True: opened.append(path)
    w.store.prepare_sample = lambda: samples.append(True)
    w.ask_password = lambda title, text: None
    try:
        w.start_store()
        assert opened == [] and samples == [True]
    finally:
        close_window(w)


def test_a_url_without_a_password_and_a_plain_path_are_kept_as_they_are(isolated_user_files, use_keyring):
    ring = use_keyring(MemoryKeyring())
    for value in ("postgresql://shop@db.example/events", str(isolated_user_files / "shop.db")):
        prefs.settings().setValue(SETTINGS_KEY, value)
        assert prefs.settings().value(SETTINGS_KEY) == value
        assert prefs.store_asks_password() is None
    assert ring.items == {}
