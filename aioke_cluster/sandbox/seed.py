"""The sandbox's starting flags, so the demo's Flags page and the workload have something real.

They are written straight into the database before the control plane starts, audited as the
``sandbox`` itself, so the demo user's first TOTP code is still unused when the desktop logs in.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .. import audit, events
from ..app import create_app
from ..flags import store
from ..flags.model import FlagSpec

SEED_ACTOR = "sandbox"

FLAGS: dict[str, dict[str, Any]] = {
    "new-checkout-flow": {
        "description": "The redesigned checkout; its v2 variant is slower while it warms caches.",
        "type": "experiment",
        "enabled": True,
        "rollout_percentage": 20,
        "variants": [{"name": "control", "weight": 80}, {"name": "v2", "weight": 20}],
        "owner": "team-checkout",
    },
    "search-reranking": {
        "description": "Re-rank search results with the recommendations model.",
        "type": "release",
        "enabled": True,
        "rollout_percentage": 100,
        "owner": "team-search",
    },
    "payments-3ds-challenge": {
        "description": "Ask for a 3-D Secure challenge on risky card payments.",
        "type": "operational",
        "enabled": True,
        "rollout_percentage": 50,
        "owner": "team-payments",
    },
    "checkout-kill-switch": {
        "description": "Turn checkout off and show the maintenance page.",
        "type": "kill-switch",
        "enabled": False,
        "owner": "team-sre",
    },
    "beta-dashboard": {
        "description": "The new account dashboard for beta testers.",
        "type": "permission",
        "enabled": True,
        "rollout_percentage": 0,
        "targeting": {"include": ["alice", "bob"], "exclude": [], "rules": []},
        "owner": "team-web",
    },
}


def seed_flags(db_path: Path) -> None:
    services = create_app(db_path).state.services
    now = time.time()
    try:
        with services.db.write() as conn:
            for key, definition in FLAGS.items():
                if store.load(conn, key) is not None:
                    continue  # a reused work directory keeps what the user changed
                flag = store.new_flag(key, FlagSpec.model_validate(definition), now)
                store.insert(conn, flag)
                after = flag.to_json(now)
                entry = audit.append(
                    conn, now=now, actor=SEED_ACTOR, action="flag.create",
                    resource=f"flag/{key}", after=after,
                )  # fmt: skip
                events.publish(
                    conn, services.events, now=now, kind="flag.create",
                    resource=f"flag/{key}", actor=SEED_ACTOR,
                    summary=f"{SEED_ACTOR}: flag.create flag/{key}",
                    data={"before": None, "after": after, "audit_seq": entry.seq},
                )  # fmt: skip
    finally:
        services.db.close()
