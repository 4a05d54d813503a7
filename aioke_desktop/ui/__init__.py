"""Widgets: the main window, one page a file, dialogs and the small status widgets."""
