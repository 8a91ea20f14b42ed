"""The PySide6 editor: windows, canvas, panels, dialogs, undo commands, workers."""
