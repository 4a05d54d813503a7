"""The reference control plane and sandbox cluster for Aioke Desktop.

Never imports ``aioke_desktop``: an import-linter contract in ``pyproject.toml`` proves it.
"""
