"""A real PostgreSQL server for tests: Debian's binaries, a temp data dir, 127.0.0.1, stopped by PID.

`PostgresServer` initdb's a throw-away cluster (as the `postgres` user when running as root: initdb
refuses root), listens on 127.0.0.1 at a free port with its unix socket in the temp dir, and gives the
tests the faults a data-plane probe must tell apart: `stop()`/`start()`, `freeze()`/`thaw()` (SIGSTOP
of the postmaster and its children: the kernel still completes TCP handshakes, nobody answers),
`set_hba(method)` for every pg_hba.conf method the probes classify, and `execute(sql)` over the unix
socket (always `trust`, so the test can administer a server that refuses TCP logins).

`make tools` installs Debian's `postgresql` when `/usr/lib/postgresql/*/bin/postgres` is absent.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

# pg_hba.conf methods for TCP logins. `gss` is accepted by Debian's server (built --with-gssapi) and
# makes it ask for a GSSAPI token (AuthenticationGSS, code 7), which a driver without Kerberos
# support cannot produce: the stand-in for DWS's own password method that common drivers lack.
HBA_METHODS = ("trust", "md5", "scram-sha-256", "password", "reject", "gss")
UNSUPPORTED_AUTH_METHOD = "gss"
SUPERUSER = "postgres"
RELOADED = "received SIGHUP, reloading configuration files"
HBA_NOT_RELOADED = "pg_hba.conf was not reloaded"


class PostgresMissing(RuntimeError):
    """The server binaries are not installed (run `make tools`)."""


def find_bindir() -> Path:
    """The newest `/usr/lib/postgresql/*/bin` that holds a `postgres` binary."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=_version_key)
    if not found:
        raise PostgresMissing("PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/postgres")
    return Path(found[-1]).parent


def _version_key(path: str) -> int:
    version = Path(path).parent.parent.name
    return int(version) if version.isdigit() else 0


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """One throw-away PostgreSQL cluster on 127.0.0.1 (or `host`, an address of a network namespace's
    link the test made); a context manager (initdb + start, stop + rm)."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.bindir = find_bindir()
        self.port = port or free_port()
        self.base = Path(tempfile.mkdtemp(prefix="drw-pg-"))
        self.data = self.base / "data"
        self.socket_dir = self.base
        self.log = self.base / "server.log"
        self.hba_method = "trust"
        self._as_root = os.geteuid() == 0
        self._frozen = False

    # ---- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> PostgresServer:
        try:
            self.init()
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def init(self) -> None:
        """initdb into the temp dir, then write our postgresql.conf settings and pg_hba.conf."""
        if self._as_root:
            owner = pwd.getpwnam(SUPERUSER)
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
        self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8", "--no-sync")
        settings = {
            "listen_addresses": f"'{self.host}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "fsync": "off",
            "max_connections": "50",
            "log_connections": "on",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        self._write_hba(self.hba_method)

    def start(self) -> None:
        """Start the server and wait until it accepts connections (pg_ctl -w)."""
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "start")

    def stop(self) -> None:
        """Stop the server: thaw it first, pg_ctl -m fast stop, SIGKILL the postmaster if it lingers."""
        self.thaw()
        pid = self.postmaster_pid()
        if pid is None:
            return
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "15", "stop")
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 10)
        (self.data / "postmaster.pid").unlink(missing_ok=True)

    def close(self) -> None:
        """Stop (if running) and remove the temp dir."""
        try:
            if self.data.exists():
                self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def running(self) -> bool:
        pid = self.postmaster_pid()
        return pid is not None and _alive(pid)

    def postmaster_pid(self) -> int | None:
        """The postmaster's PID from postmaster.pid, or None when it is not running."""
        try:
            first = (self.data / "postmaster.pid").read_text().split("\n", 1)[0]
        except FileNotFoundError:
            return None
        return int(first) if first.strip().isdigit() else None

    # ---- faults ---------------------------------------------------------------------------------
    def freeze(self) -> None:
        """SIGSTOP the postmaster and all its children: connects complete, nothing ever answers."""
        pid = self._require_pid()
        os.kill(pid, signal.SIGSTOP)  # first: a stopped postmaster forks no new children
        self._frozen = True
        for child in _children(pid):
            with contextlib.suppress(ProcessLookupError):  # a backend that just ended
                os.kill(child, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT the postmaster and its children (safe when not frozen)."""
        pid = self.postmaster_pid()
        if pid is not None and _alive(pid):
            for target in [pid, *_children(pid)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(target, signal.SIGCONT)
        self._frozen = False

    @property
    def frozen(self) -> bool:
        return self._frozen

    def set_hba(self, method: str) -> None:
        """Make every TCP login use `method` (see HBA_METHODS) and reload; unix socket stays trust."""
        if method not in HBA_METHODS:
            raise ValueError(f"hba method: {method!r} is not one of {', '.join(HBA_METHODS)}")
        before = self._log_count(RELOADED)
        self._write_hba(method)
        self.execute("SELECT pg_reload_conf()")
        self._wait_reloaded(before)
        self.hba_method = method

    # ---- SQL --------------------------------------------------------------------------------------
    def execute(self, sql: str, database: str = "postgres") -> str:
        """Run `sql` with psql over the unix socket as the superuser; returns the unaligned output."""
        cmd = [str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
        cmd += ["-h", str(self.socket_dir), "-p", str(self.port), "-U", SUPERUSER, "-d", database]
        proc = subprocess.run([*cmd, "-c", sql], capture_output=True, text=True, timeout=30)
        if proc.returncode != 0:
            raise RuntimeError(f"psql failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc.stdout.strip()

    def create_user(self, name: str, password: str, encryption: str = "scram-sha-256") -> None:
        """Create (or re-create) a login role with `password` stored as `encryption` (md5|scram-sha-256)."""
        quoted = password.replace("'", "''")
        self.execute(
            f"SET password_encryption = '{encryption}'; DROP ROLE IF EXISTS \"{name}\"; "
            f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{quoted}'"
        )

    def create_database(self, name: str) -> None:
        """Create database `name` (dropped first if it exists)."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.execute(f'CREATE DATABASE "{name}"')

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # ---- internals --------------------------------------------------------------------------------
    def _write_hba(self, method: str) -> None:
        lines = [
            "local all all trust",
            f"host all all 127.0.0.1/32 {method}",
            f"host all all ::1/128 {method}",
        ]
        if self.host != "127.0.0.1":  # clients come from the test's namespace
            lines.append(f"host all all 0.0.0.0/0 {method}")
        (self.data / "pg_hba.conf").write_text("\n".join(lines) + "\n")

    def _log_count(self, text: str) -> int:
        return self.log.read_text(errors="replace").count(text) if self.log.exists() else 0

    def _wait_reloaded(self, before: int, timeout: float = 10) -> None:
        """A reload is asynchronous: wait for the postmaster's log line. It loads pg_hba.conf right
        after that line, before it accepts the next connection, so later logins see the new file."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self._log_count(RELOADED) > before:
                if self._log_count(HBA_NOT_RELOADED):
                    raise AssertionError(f"pg_hba.conf was not reloaded: see {self.log}")
                return
            time.sleep(0.02)
        raise AssertionError(f"the server did not reload its configuration within {timeout} s")

    def _require_pid(self) -> int:
        pid = self.postmaster_pid()
        if pid is None or not _alive(pid):
            raise RuntimeError("the PostgreSQL server is not running")
        return pid

    def _pg(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self._as_root:
            cmd = ["runuser", "-u", SUPERUSER, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=self.base)
        if proc.returncode != 0:
            log = self.log.read_text()[-3000:] if self.log.exists() else ""
            raise subprocess.CalledProcessError(
                proc.returncode, cmd, proc.stdout, f"{proc.stderr}\n--- server log ---\n{log}"
            )


def _alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _wait_gone(pid: int, timeout: float) -> None:
    end = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < end:
        time.sleep(0.05)


def _children(pid: int) -> list[int]:
    """The direct children of `pid` (the postmaster's backends and auxiliary processes)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, IndexError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids
