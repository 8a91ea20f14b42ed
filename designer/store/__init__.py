"""The event store: customers, events and imports in SQLAlchemy; importers; sample data."""
