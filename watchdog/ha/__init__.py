"""High availability: which instance may act (leadership, fencing), the journal lock, the global brake.

`ha.backend: none` (the default) runs one instance: an exclusive lock on the journal (`lock.py`)
refuses a second daemon on the same journal. Settings are in `settings.py`.
"""
