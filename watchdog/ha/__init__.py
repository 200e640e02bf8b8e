"""High availability: which instance may act (leadership, fencing), the journal lock, the settings.

`ha.backend: none` (the default) runs one instance: an exclusive lock on the journal (`lock.py`)
refuses a second daemon on the same journal. `ha.backend: etcd` elects one leader on etcd
(`etcd.py`); `authority.py` is the seam the rounds and the executor read. Settings: `settings.py`;
the design: docs/ha.md. The global brake is pure (`watchdog.brake`) and counted in the journal.
"""
