"""``AlertmanagerClient``: alerts, alert groups and silences through Alertmanager's API v2."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from ..core.alerts import Alert, AlertGroup, Matcher, Silence
from ..core.contexts import TlsSettings
from .calls import parsed, parsed_list
from .errors import MalformedResponse
from .http import HttpEndpoint, HttpPolicy
from .problems import raise_for_problem


def _rfc3339(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat().replace("+00:00", "Z")


class AlertmanagerClient:
    """One Alertmanager.

    Args:
        url: its root, such as ``http://127.0.0.1:9093``.
        tls: certificate trust and the mTLS client certificate.
        policy: deadline, size cap and retries (reads only: creating a silence is not
            idempotent, so it is never retried).
    """

    def __init__(
        self,
        url: str,
        *,
        tls: TlsSettings | None = None,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        base = url.rstrip("/") + "/api/v2"
        self.endpoint = HttpEndpoint(base, tls=tls, policy=policy, transport=transport, **extra)

    def close(self) -> None:
        self.endpoint.close()

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return raise_for_problem(self.endpoint.request("GET", path, params=params))

    def status(self) -> dict[str, Any]:
        """Alertmanager's own status (version, cluster, uptime): a cheap check that it answers."""
        data = self._get("/status").json()
        if not isinstance(data, dict):
            raise MalformedResponse("Alertmanager's status is not a JSON object.")
        return data

    def alerts(
        self,
        *,
        active: bool = True,
        silenced: bool = True,
        inhibited: bool = True,
        matchers: Sequence[str] = (),
    ) -> list[Alert]:
        """Alerts by state; ``matchers`` are filters such as ``severity="page"``."""
        params: dict[str, Any] = {
            "active": str(active).lower(),
            "silenced": str(silenced).lower(),
            "inhibited": str(inhibited).lower(),
        }
        if matchers:
            params["filter"] = list(matchers)
        return parsed_list(self._get("/alerts", params), Alert.from_json)

    def alert_groups(self) -> list[AlertGroup]:
        return parsed_list(self._get("/alerts/groups"), AlertGroup.from_json)

    def silences(self) -> list[Silence]:
        return parsed_list(self._get("/silences"), Silence.from_json)

    def create_silence(
        self,
        matchers: Sequence[Matcher],
        *,
        starts_at: float,
        ends_at: float,
        created_by: str,
        comment: str,
    ) -> str:
        """Silence alerts matching every matcher from ``starts_at`` to ``ends_at`` (Unix s);
        returns the new silence's id."""
        body = {
            "matchers": [m.to_json() for m in matchers],
            "startsAt": _rfc3339(starts_at),
            "endsAt": _rfc3339(ends_at),
            "createdBy": created_by,
            "comment": comment,
        }
        reply = raise_for_problem(self.endpoint.request("POST", "/silences", json=body))
        return parsed(reply, lambda f: f.text("silenceID"))

    def expire_silence(self, silence_id: str) -> None:
        """End a silence now; expiring an expired one again is harmless, so it is retried."""
        raise_for_problem(
            self.endpoint.request(
                "DELETE", f"/silence/{quote(silence_id, safe='')}", repeatable=True
            )
        )
