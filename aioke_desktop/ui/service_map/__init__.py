"""The service map: the view, its items, and the panel of the clicked service."""
