"""`dr-watchdog simulate --listen HOST:PORT [--scenario FILE]`: the simulator as a program.

Serves the scenario's world on a loopback address until SIGINT or SIGTERM, and prints the URL, the
project and the access keys to use. Secret keys are never printed: the default ones are documented in
the packaged scenario file and in docs/simulator.md.
"""

from __future__ import annotations

import contextlib
import ipaddress
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TextIO

from watchdog.simulator.core import Simulator
from watchdog.simulator.scenario import Scenario, ScenarioError, build_simulator, load_scenario
from watchdog.simulator.server import SimulatorServer

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class ListenError(ValueError):
    """A --listen value that is not a loopback HOST:PORT."""


def parse_listen(listen: str) -> tuple[str, int]:
    """'127.0.0.1:18080' -> ('127.0.0.1', 18080). Loopback only: the control endpoint is unsigned."""
    host, sep, port_text = listen.rpartition(":")
    host = host.strip("[]")
    if not sep or not host:
        raise ListenError(f"listen: expected HOST:PORT, got {listen!r}")
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ListenError(f"listen: port must be 0..65535, got {port_text!r}")
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ListenError(f"listen: the simulator binds loopback addresses only, got {host!r}")
    return ("127.0.0.1" if host == "localhost" else host), int(port_text)


def describe(sim: Simulator, url: str, out: TextIO, scenario: str | None = None) -> None:
    """The banner: URL, control endpoint, projects with their access keys (where to find the secret
    keys: the scenario file, or docs/simulator.md for the built-in one), and the pairs."""
    where = f"see {scenario}" if scenario else "the built-in scenario's, in docs/simulator.md"
    print(f"DWS API simulator listening on {url}  (control: {url}/_sim/state)", file=out)
    print(f"time scale: {sim.clock.time_scale:g} virtual seconds per second", file=out)
    for access_key, (creds, project) in sorted(sim.credentials.items()):
        kind = "temporary AK (needs its security token)" if creds.security_token else "AK"
        print(f"project {project}  {kind} {access_key}  (secret key: {where})", file=out)
    for pair in list(sim.pairs.values())[:20]:
        print(f"pair {pair.name}: disaster_recovery_id {pair.disaster_recovery_id}", file=out)
    if len(sim.pairs) > 20:
        print(f"... and {len(sim.pairs) - 20} more pairs", file=out)
    out.flush()


def listeners(sim: Simulator, spec: Scenario, host: str, port: int) -> list[SimulatorServer]:
    """The scenario's listeners: --listen's first; with `regions`, it is labelled with the scenario's
    `region` and each further region gets the next port (or a free one when the port is 0)."""
    if not spec.regions:
        return [SimulatorServer(sim, host, port)]
    regions = [spec.region, *(r for r in spec.regions if r != spec.region)]
    return [
        SimulatorServer(sim, host, port + i if port else 0, region=region) for i, region in enumerate(regions)
    ]


def run_simulate(listen: str, scenario: str | None) -> int:
    """Run until SIGINT/SIGTERM; 0 on a clean stop, 2 (one line on stderr) for bad input."""
    try:
        host, port = parse_listen(listen)
        spec = load_scenario(scenario)
        sim = build_simulator(spec)
    except (ListenError, ScenarioError) as exc:
        print(f"dr-watchdog simulate: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    servers = listeners(sim, spec, host, port)
    for server in servers:
        try:
            server.start()
        except OSError as exc:
            for started in servers:
                started.stop()
            print(
                f"dr-watchdog simulate: listen: cannot bind {host}:{server.port} ({exc.strerror or exc})",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
    stop = threading.Event()
    restore = _install_signals(stop)
    try:
        with contextlib.suppress(OSError):  # a closed stdout (`| head`) must not stop the server
            describe(sim, servers[0].url, sys.stdout, scenario)
            for server in servers:
                if server.region is not None:
                    print(f"region {server.region}: {server.url}", file=sys.stdout, flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        restore()
        for server in servers:
            server.stop()
    with contextlib.suppress(OSError):
        print("simulator stopped", file=sys.stdout, flush=True)
    return EXIT_OK


def _install_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGINT/SIGTERM set `stop` (main thread only); returns a function restoring the old handlers."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, previous in old.items():
            signal.signal(sig, previous)

    return restore
