"""The sandbox's monitoring: SLO rules, the real Prometheus and Alertmanager, and history.

- ``traffic``: each service's normal day (requests/s, 5xx share, latency) and past incidents,
  one table for the history and the live workload alike.
- ``rules``: Sloth's recording and alerting rules for the SLOs in ``resources/slos``.
- ``history``: that model as OpenMetrics samples; ``backfill``: those samples as cached TSDB
  blocks ending a few minutes before now.
- ``processes``: Prometheus and Alertmanager as child processes on loopback ports.
"""
