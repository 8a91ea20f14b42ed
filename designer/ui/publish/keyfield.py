"""The API key and server fields both publishing dialogs share.

The key is read from the environment or the keyring into a password field,
kept there only, and saved to the keyring when the marketer asks; never to
the settings file.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLineEdit, QWidget

from designer.publish import keys
from designer.publish.klaviyo.client import DEFAULT_BASE_URL
from designer.ui.publish.jobs import Connection


class KeyFields(QWidget):
    def __init__(self, target: str = "klaviyo", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target = target
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.key = QLineEdit(self)
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setObjectName("apiKey")
        self.remember = QCheckBox("Remember in the system keyring", self)
        self.base_url = QLineEdit(DEFAULT_BASE_URL, self)
        self.base_url.setObjectName("baseUrl")
        form.addRow("Private API key:", self.key)
        form.addRow("", self.remember)
        form.addRow("Server:", self.base_url)
        try:
            self.key.setText(keys.get_key(target))
        except keys.MissingKey as exc:
            self.key.setPlaceholderText(str(exc).split(": ", 1)[-1][:80])

    def connection(self) -> Connection:
        if self.remember.isChecked() and self.key.text():
            try:
                keys.set_key(self.target, self.key.text())
            except Exception:  # noqa: BLE001 - no keyring: the key still works for this session
                self.remember.setChecked(False)
                self.remember.setText(f"No keyring here: set {keys.ENV_VARS[self.target]} instead")
        return Connection(self.key.text().strip(), self.base_url.text().strip())
