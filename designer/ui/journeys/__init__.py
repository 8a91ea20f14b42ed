"""The Journeys view: one customer through the flow."""
