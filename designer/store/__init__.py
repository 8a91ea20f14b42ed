"""The event store: customers, events and imports in SQLAlchemy; importers; sample data.

What other layers use (import from the modules, which stay light):

* ``db.open_store(path_or_url) -> Engine``: create on first use, migrate, WAL.
* ``schema``: the tables (``customers``, ``events``, ``imports``, ``runs``,
  ``meta``, ``erasures``, ``erased_ids``) and their conventions (times in epoch ms UTC,
  properties as JSON text, consent 1/0/NULL).
* ``importer.import_events(store, path, ImportOptions(...), progress=,
  should_stop=)`` and ``rollback.rollback_import`` (also importable from ``importer``); ``profiles.import_customers``;
  ``mapping.PRESETS`` / ``mapping.load_mapping`` for column mappings.
* ``sample.generate(store, customers, days, seed)`` and
  ``sample.ensure_default_store()`` (the editor's first-start store).
* ``privacy.forget(store, external_id)`` (``erased``: erased ids stay refused,
  ``redact``: their values out of kept texts); ``keys``: the pseudonymisation
  key, kept outside the store; ``stats.store_stats(store)``.
* ``settings.store_currency(store) -> str`` (ISO 4217, ``USD`` unless set)
  and ``settings.set_store_currency``.
"""
