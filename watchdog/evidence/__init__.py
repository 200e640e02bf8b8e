"""Independent evidence about a DR pair, one module per source (issue 11).

Sources and layout (every probe returns `watchdog.model.Signal`s with `latency_seconds` set and no
secret in any text; the quorum in `watchdog.verdict` decides what they count for):

- `sql`: `SqlEndpoint`, `SqlLogin`, the connect seam (asyncpg by default) and `classify()`, the one
  mapping of a driver failure to DOWN (no answer, connection lost) or UNKNOWN (authentication,
  DNS, anything else).
- `pgwire`: the data plane's `reachable` level: TCP + PostgreSQL StartupMessage, no credentials.
- `dataplane`: `DataPlaneProber`, the `reachable` and `query` levels of DATA_PLANE / DR_DATA_PLANE
  and the "never proven since start" tracking per key.
- `heartbeat`: HEARTBEAT, a row written on production each round, read back on the DR side.
- `canary`: CANARY, TCP connects to configured addresses: can the watchdog see the network at all?

The control plane's signals (PRODUCTION_CLUSTER, DR_TASK, DR_CLUSTER) come from `watchdog.probes`.
See docs/evidence.md for what each level proves and the heartbeat table's DDL.
"""

from watchdog.evidence.canary import probe_canaries
from watchdog.evidence.dataplane import DataPlaneProber
from watchdog.evidence.heartbeat import read_heartbeat, write_heartbeat
from watchdog.evidence.sql import SqlEndpoint, SqlLogin

__all__ = [
    "DataPlaneProber",
    "SqlEndpoint",
    "SqlLogin",
    "probe_canaries",
    "read_heartbeat",
    "write_heartbeat",
]
