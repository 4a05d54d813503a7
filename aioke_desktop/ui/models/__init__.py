"""Qt item models over plain state (tables behind sort and filter proxies)."""
