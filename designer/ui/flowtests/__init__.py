"""The Tests panel: flow unit tests in the editor."""
