"""Sticky buckets: the same flag key and stickiness value give the same bucket, everywhere.

The hash is MurmurHash3 (x86, 32 bit, unsigned) over ``"<flag key>:<value>"``, the scheme the
Unleash clients use, so a user's bucket does not depend on the process, the machine or
``PYTHONHASHSEED``. Rollout and variants hash with different seeds so that whether a user is
in a rollout says nothing about which variant they get.
"""

from __future__ import annotations

from collections.abc import Sequence

import mmh3

ROLLOUT_SEED = 0
VARIANT_SEED = 86028157  # Unleash's variant seed


def bucket(flag_key: str, value: str, seed: int = ROLLOUT_SEED) -> int:
    """The bucket, 1-100, of ``value`` for ``flag_key``.

    Args:
        flag_key: The flag's key; salting with it gives each flag its own split of users.
        value: The stickiness value, such as the user id.
        seed: Murmur3 seed; :data:`VARIANT_SEED` for variant assignment.
    """
    return mmh3.hash(f"{flag_key}:{value}", seed, signed=False) % 100 + 1


def in_rollout(flag_key: str, value: str, percentage: int) -> bool:
    """Whether ``value`` falls inside a ``percentage`` rollout.

    A user's bucket never changes, so raising the percentage only adds users.
    """
    return bucket(flag_key, value) <= percentage


def pick_variant(flag_key: str, value: str, weights: Sequence[tuple[str, int]]) -> str | None:
    """The variant ``value`` is assigned among ``(name, weight)`` pairs summing to 100.

    Returns None when there are no variants.
    """
    if not weights:
        return None
    point = bucket(flag_key, value, VARIANT_SEED)
    cumulative = 0
    for name, weight in weights:
        cumulative += weight
        if point <= cumulative:
            return name
    return weights[-1][0]  # only reachable if weights sum below 100, which validation forbids
