"""Qt-free clients: ``ClusterClient``, ``PrometheusSource``, ``AlertmanagerClient``.

Every call blocks and raises only :class:`~aioke_desktop.api.errors.ApiError` subclasses,
each with a one-sentence ``message``; the app runs the calls on its task runner.
"""
