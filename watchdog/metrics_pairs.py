"""Labelled gauge and counter families whose samples are plain entries of one dict, for the per-pair
series (issue 14). prometheus-client's `Gauge` makes an object with its own lock per labelled child:
at 5,000 pairs and 19 series a pair that was 95,000 children, 57 MB and 2.8 s of start-up, and the
report's `labels()` lookups every round. A `PairFamily` is a registered collector of the same name,
help, type and samples, rendered by prometheus-client's own exposition (nothing hand-rendered): the
text is the same, byte for byte, as a `Gauge`/`Counter` with the same values
(tests/unit/test_metrics_pairs.py). A family keeps its own rendering (`rendered()`) until a value
changes: most per-pair series hold the same value round after round, so `Metrics.render` re-renders
only the families that changed since the last scrape.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric


class PairFamily:
    """A gauge (or counter, `counter=True`) with label names `labelnames`: `labels(...).set(v)`,
    `.inc(n)`, `remove(*values)`, as prometheus-client's, on a dict. Thread-safe: rounds write from
    the event loop, scrapes render from the HTTP server's threads."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        registry: CollectorRegistry,
        *,
        counter: bool = False,
    ) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        self._counter = counter
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()
        self._version = 0  # bumped by every change of a value or of the set of samples
        self._rendering: tuple[int, bytes] | None = None  # (version, text) of the last rendering
        registry.register(self)

    def _key(self, values: tuple[object, ...], named: dict[str, object]) -> tuple[str, ...]:
        if named:
            if values or len(named) != len(self.labelnames):
                raise self._wrong()
            try:
                return tuple([str(named[n]) for n in self.labelnames])
            except KeyError:
                raise self._wrong() from None
        if len(values) != len(self.labelnames):
            raise self._wrong()
        return tuple([str(v) for v in values])

    def _wrong(self) -> ValueError:
        return ValueError(f"{self.name}: labels must be {', '.join(self.labelnames)}")

    def labels(self, *values: object, **named: object) -> Sample:
        """The sample of these label values (created at 0 on first use, as a child is)."""
        key = self._key(values, named)
        if key not in self._values:  # a read under the GIL; the insert under the lock
            with self._lock:
                if key not in self._values:
                    self._values[key] = 0.0
                    self._version += 1
        return Sample(self, key)

    def set(self, key: tuple[str, ...], value: float) -> None:
        value = float(value)
        with self._lock:
            old = self._values.get(key)
            if old is None or not (old == value or (math.isnan(old) and math.isnan(value))):
                self._version += 1
            self._values[key] = value

    def inc(self, key: tuple[str, ...], amount: float = 1.0) -> None:
        if amount < 0:
            raise ValueError(f"{self.name}: counters can only be incremented by non-negative amounts")
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount
            self._version += 1

    def remove(self, *values: object) -> None:
        key = self._key(values, {})
        with self._lock:
            del self._values[key]
            self._version += 1

    def rendered(self) -> bytes:
        """This family in the text format, as `generate_latest` renders it; rendered again only after a
        change (thread-safe: a change during the rendering only makes the next call render again)."""
        done = self._rendering
        version = self._version
        if done is not None and done[0] == version:
            return done[1]
        text = generate_latest(Only(self))  # collect() copies the values under the lock
        self._rendering = (version, text)
        return text

    def _family(self) -> GaugeMetricFamily | CounterMetricFamily:
        if self._counter:
            return CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        return GaugeMetricFamily(self.name, self.documentation, labels=self.labelnames)

    def describe(self) -> Iterator[Metric]:
        yield self._family()

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        with self._lock:
            items = list(self._values.items())
        for key, value in items:
            family.add_metric(key, value)
        yield family


class Only:
    """One collector as a registry of its own (what `generate_latest` iterates)."""

    __slots__ = ("collector",)

    def __init__(self, collector: object) -> None:
        self.collector = collector

    def collect(self) -> Iterator[Metric]:
        yield from self.collector.collect()  # type: ignore[attr-defined]


class Sample:
    """One sample of a `PairFamily` (what `labels()` returns): set or increment it."""

    __slots__ = ("family", "key")

    def __init__(self, family: PairFamily, key: tuple[str, ...]) -> None:
        self.family, self.key = family, key

    def set(self, value: float) -> None:
        self.family.set(self.key, value)

    def inc(self, amount: float = 1.0) -> None:
        self.family.inc(self.key, amount)


def set_reasons(family: PairFamily, pair: str, before: frozenset[str], active: frozenset[str]) -> None:
    """A `{pair,reason}` family of 1s that exist only while they hold: the series of reasons no longer
    in `active` are removed (absent, not 0), the new ones set to 1."""
    for reason in before - active:
        family.remove(pair, reason)
    for reason in active - before:
        family.labels(pair=pair, reason=reason).set(1)
