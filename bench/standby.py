"""A PostgreSQL streaming standby of the local server, made with pg_basebackup.

Used by the benchmark (organizer pages served from a real replica) and by the replica tests
(tests/branchsite/test_read_replica.py). It copies the running cluster on 127.0.0.1:5432
(`pg_basebackup -R -X stream` with its own replication slot), starts the copy as a hot standby
on a private port (5442-5449) and a private socket directory, and removes everything again
(server, slot, files) on `stop()`.

Needs, on the primary: `wal_level` replica or logical (the default), a free WAL sender and
replication slot, and a pg_hba.conf line that lets `postgres` connect for replication from
127.0.0.1 (`host replication all 127.0.0.1/32 trust`; .ci/run adds it). The server programs
are PostgreSQL's own (`/usr/lib/postgresql/<major>/bin` or $PG_BIN); run as root, they run
as the `postgres` user, as PostgreSQL requires.
"""

# A developer tool that runs fixed local programs (pg_basebackup, pg_ctl, psql).
# ruff: noqa: S603, S607

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

PRIMARY_HOST = "127.0.0.1"
PRIMARY_PORT = 5432
PORTS = range(5442, 5450)


class StandbyUnavailable(RuntimeError):
    """The local server cannot feed a standby (and why)."""


def psql(sql, *, port=PRIMARY_PORT, host=PRIMARY_HOST, db="postgres", check=True):
    result = subprocess.run(
        ["psql", "-h", host, "-p", str(port), "-U", "postgres", "-d", db, "-qAtX", "-c", sql],
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode:
        raise RuntimeError(f"psql on port {port}: {result.stderr.strip()}")
    return result.stdout.strip()


def _bindir():
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    major = psql("SHOW server_version_num")[:-4]
    return Path(f"/usr/lib/postgresql/{major}/bin")


def _as_postgres():
    """The command prefix that runs a server program as the postgres user when we are root."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


def _free_port():
    for port in PORTS:
        busy = subprocess.run(
            ["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)], check=False
        ).returncode
        # pg_isready: 0 accepting, 1 rejecting, 2 no response (free), 3 no attempt.
        if busy == 2:
            return port
    raise StandbyUnavailable(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def check_primary():
    """Raise StandbyUnavailable unless the local server can stream to a standby."""
    if psql("SHOW wal_level") not in ("replica", "logical"):
        raise StandbyUnavailable("the primary needs wal_level = replica (then a restart)")
    senders = int(psql("SHOW max_wal_senders"))
    used = int(psql("SELECT count(*) FROM pg_stat_replication"))
    if senders - used < 2:
        raise StandbyUnavailable("no free WAL sender (max_wal_senders)")


class Standby:
    """`with Standby() as standby:` a hot standby of the local server; `.url(db)` for Django."""

    def __init__(self, port=None, *, label="branchsite"):
        self.port = port
        self.label = label
        self.datadir = None
        self.slot = None
        self.started = False

    # -- life cycle ---------------------------------------------------------------------------

    def start(self, timeout=600):
        check_primary()
        self.port = self.port or _free_port()
        self.slot = f"{self.label}_standby_{self.port}"
        # A slot left behind by a run that was killed keeps WAL on the primary: drop it.
        psql(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            f"WHERE slot_name = '{self.slot}' AND NOT active"
        )
        parent = Path(tempfile.mkdtemp(prefix=f"{self.label}-standby-"))
        parent.chmod(0o755)
        self.datadir = parent / "data"
        self.datadir.mkdir(mode=0o700)
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(parent, pg.pw_uid, pg.pw_gid)
            os.chown(self.datadir, pg.pw_uid, pg.pw_gid)
        bindir = _bindir()
        backup = subprocess.run(
            [
                *_as_postgres(),
                str(bindir / "pg_basebackup"),
                "-h",
                PRIMARY_HOST,
                "-p",
                str(PRIMARY_PORT),
                "-U",
                "postgres",
                "-D",
                str(self.datadir),
                "-R",  # standby.signal + primary_conninfo
                "-X",
                "stream",
                "-C",
                "-S",
                self.slot,
                "--checkpoint=fast",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if backup.returncode:
            self._remove_files()
            hint = ""
            if "pg_hba.conf" in backup.stderr:
                hint = (
                    " — pg_hba.conf needs 'host replication all 127.0.0.1/32 trust' "
                    "(.ci/run adds it)"
                )
            raise StandbyUnavailable(f"pg_basebackup failed: {backup.stderr.strip()}{hint}")
        # A hot standby needs at least the primary's value of these.
        at_least = [
            f"{name} = {max(int(psql(f'SHOW {name}')), floor)}"
            for name, floor in (
                ("max_connections", 200),
                ("max_worker_processes", 8),
                ("max_wal_senders", 10),
                ("max_prepared_transactions", 0),
                ("max_locks_per_transaction", 64),
            )
        ]
        # Debian keeps the configuration outside the data directory: give the copy its own.
        (self.datadir / "postgresql.conf").write_text(
            "\n".join(
                [
                    f"port = {self.port}",
                    "listen_addresses = '127.0.0.1'",
                    f"unix_socket_directories = '{parent}'",
                    "hot_standby = on",
                    "hot_standby_feedback = on",
                    *at_least,
                    "shared_buffers = 128MB",
                    "max_standby_streaming_delay = 30s",
                    "ssl = off",
                    "logging_collector = off",
                    "fsync = off",
                    "full_page_writes = off",
                    f"cluster_name = '{self.slot}'",
                    "",
                ]
            )
        )
        (self.datadir / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        for name in ("postgresql.conf", "pg_hba.conf"):
            if os.geteuid() == 0:
                os.chown(self.datadir / name, pg.pw_uid, pg.pw_gid)
        started = subprocess.run(
            [
                *_as_postgres(),
                str(bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-l",
                str(parent / "standby.log"),
                "-w",
                "-t",
                "120",
                "start",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if started.returncode:
            log = (parent / "standby.log").read_text(errors="replace")[-2000:]
            self.stop()
            raise StandbyUnavailable(f"the standby did not start: {started.stderr} {log}")
        self.started = True
        try:
            self.wait_until_caught_up(timeout=timeout)
        except BaseException:
            self.stop()  # __exit__ does not run when __enter__ fails: leave nothing running
            raise
        return self

    def stop(self):
        if self.started:
            subprocess.run(
                [
                    *_as_postgres(),
                    str(_bindir() / "pg_ctl"),
                    "-D",
                    str(self.datadir),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                check=False,
            )
            self.started = False
        if self.slot:
            for _ in range(20):  # the WAL sender goes away a moment after the standby
                dropped = psql(
                    "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots "
                    f"WHERE slot_name = '{self.slot}' AND NOT active",
                    check=False,
                )
                gone = psql(
                    f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{self.slot}'",
                    check=False,
                )
                if dropped == "1" or gone == "0":
                    break
                time.sleep(0.5)
        self._remove_files()

    def _remove_files(self):
        if self.datadir:
            shutil.rmtree(self.datadir.parent, ignore_errors=True)
            self.datadir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- use -----------------------------------------------------------------------------------

    def url(self, db):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def sql(self, sql, db="postgres"):
        return psql(sql, port=self.port, db=db)

    def lag_bytes(self):
        """WAL the primary has written that the standby has not replayed yet."""
        primary = psql("SELECT pg_current_wal_lsn()")
        return int(self.sql(f"SELECT pg_wal_lsn_diff('{primary}', pg_last_wal_replay_lsn())"))

    def wait_until_caught_up(self, timeout=600):
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.lag_bytes() <= 0:
                    return
            except RuntimeError:
                pass  # still starting up
            if time.monotonic() > deadline:
                raise StandbyUnavailable(f"the standby is still behind after {timeout} s")
            time.sleep(0.2)

    def pause_replay(self):
        self.sql("SELECT pg_wal_replay_pause()")

    def resume_replay(self):
        self.sql("SELECT pg_wal_replay_resume()")
