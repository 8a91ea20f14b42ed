"""The API key and server fields both publishing dialogs share.

The key is read from the environment or the keyring into a password field,
kept there only, and saved to the keyring when the marketer asks; never to
the settings file. Switching the target (:meth:`KeyFields.set_target`) reads
that target's key and server, and shows the fields it needs beyond them
(Dittofeed's workspace id, from its environment variable).
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLineEdit, QWidget

from designer.publish import keys
from designer.publish.senders import SENDERS
from designer.ui.publish.jobs import Connection


class KeyFields(QWidget):
    def __init__(self, target: str = "klaviyo", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target = target
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.key_label = QLabel(self)
        self.key = QLineEdit(self)
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setObjectName("apiKey")
        self.remember = QCheckBox("Remember in the system keyring", self)
        self.base_url = QLineEdit(self)
        self.base_url.setObjectName("baseUrl")
        self.form.addRow(self.key_label, self.key)
        self.form.addRow("", self.remember)
        self.form.addRow("Server:", self.base_url)
        #: One line edit per target option (name -> field), shown for the targets that need it.
        self.options: dict[str, QLineEdit] = {}
        self.option_labels: dict[str, QLabel] = {}
        for sender in SENDERS.values():
            for opt in sender.options:
                if opt.name not in self.options:
                    edit = QLineEdit(self)
                    edit.setObjectName(opt.name)
                    label = QLabel(f"{opt.label}:", self)
                    self.options[opt.name], self.option_labels[opt.name] = edit, label
                    self.form.addRow(label, edit)
        self.set_target(target)

    def set_target(self, target: str) -> None:
        """Show ``target``'s key (from the environment or the keyring), its default server and its options."""
        sender = SENDERS[target]
        self.target = target
        self.key_label.setText(f"{sender.key_label}:")
        self.key.clear()
        self.remember.setText("Remember in the system keyring")
        self.base_url.setText(sender.default_base_url)
        try:
            self.key.setText(keys.get_key(target))
            self.key.setPlaceholderText("")
        except keys.MissingKey as exc:
            self.key.setPlaceholderText(str(exc).split(": ", 1)[-1][:80])
        wanted = {o.name: o for o in sender.options}
        for name, edit in self.options.items():
            visible = name in wanted
            edit.setVisible(visible)
            self.option_labels[name].setVisible(visible)
            if visible and not edit.text():
                edit.setText(os.environ.get(wanted[name].env, ""))
                edit.setPlaceholderText(f"or set {wanted[name].env}")

    def connection(self) -> Connection:
        if self.remember.isChecked() and self.key.text():
            try:
                keys.set_key(self.target, self.key.text())
            except Exception:  # noqa: BLE001 - no keyring: the key still works for this session
                self.remember.setChecked(False)
                self.remember.setText(f"No keyring here: set {keys.ENV_VARS[self.target]} instead")
        options = {o.name: self.options[o.name].text().strip() for o in SENDERS[self.target].options
                   if self.options[o.name].text().strip()}
        return Connection(self.key.text().strip(), self.base_url.text().strip(), target=self.target,
                          options=options)
