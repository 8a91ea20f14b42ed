"""The flow: nodes, edges, settings, conditions; its JSON file; validation. Pure Python."""
