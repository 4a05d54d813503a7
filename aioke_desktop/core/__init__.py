"""The Qt-free domain: what the app knows about a cluster, and the arithmetic it does on it.

Nothing here performs I/O or imports Qt (an import-linter contract proves the second).
"""
