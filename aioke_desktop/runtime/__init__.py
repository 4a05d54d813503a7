"""Qt glue without widgets: the task runner every I/O call goes through, pollers, throttles.

Nothing here draws; the pages in :mod:`aioke_desktop.ui` subscribe to what these emit.
"""
