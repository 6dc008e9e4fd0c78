import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SOURCES = PROJECT / "sources"

# The tests send SIGINT and SIGHUP to the commands they start, and a command started with one
# ignored keeps it ignored (nohup, a background job: README). Run so, the suite puts their
# default actions back for itself and so for the commands it starts.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
if signal.getsignal(signal.SIGHUP) == signal.SIG_IGN:
    signal.signal(signal.SIGHUP, signal.SIG_DFL)

# Datasette instances the tests make are let go (let_go) as the test that made one ends, or its
# module where a fixture made it. Each keeps its SQL threads, and its databases every connection
# a thread opened, until the instance is collected: by the end of test_serve.py they held 197 MB
# of SQLite's memory, whose limit the plugin sets at 256 MB for the whole process, and the suite
# run beside a build failed with MemoryError.
_made_in_test_body: list | None = None
_made_in_module: list = []


def let_go(instance) -> None:
    executor = getattr(instance, "executor", None)
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)
    for database in instance.databases.values():
        database.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    global _made_in_test_body
    _made_in_test_body = []
    try:
        yield
    finally:
        made, _made_in_test_body = _made_in_test_body, None
        for instance in made:
            _made_in_module.remove(instance)
            let_go(instance)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    if nextitem is None or nextitem.module is not item.module:  # the module's fixtures are torn down
        while _made_in_module:
            let_go(_made_in_module.pop())


def _noting_instances(init):
    def noting(self, *args, **kwargs):
        init(self, *args, **kwargs)
        _made_in_module.append(self)
        if _made_in_test_body is not None:
            _made_in_test_body.append(self)

    return noting


def pytest_configure(config):
    from datasette.app import Datasette

    Datasette.__init__ = _noting_instances(Datasette.__init__)


def cli_command(*args):
    """The command line of `python build_db.py ...` from the checkout, as a user types it."""
    return [sys.executable, str(PROJECT / "build_db.py"), *map(str, args)]


def cli_shell(*args):
    """cli_command as one shell word list, for a pipeline."""
    return shlex.join(cli_command(*args))


def run_cli(*args, cwd=PROJECT, **kwargs):
    """Run `python build_db.py ...` as a user would, in a subprocess."""
    return subprocess.run(cli_command(*args), cwd=cwd, capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture(scope="session")
def built_db(tmp_path_factory):
    """The database built from the vendored sources by the real `build` command."""
    output = tmp_path_factory.mktemp("dist") / "papers.db"
    result = run_cli("build", "--output", output)
    assert result.returncode == 0, result.stderr
    return output


# Modules a server or a build imports after it starts (gunicorn imports grp, Datasette uuid, a
# build's helper processes threading), and the config file gunicorn's command line runs.
SHADOWING_FILES = ("grp.py", "uuid.py", "threading.py", "subprocess.py", "gunicorn.conf.py")


def folder_of_shadowing_modules(folder):
    """A folder of Python files named as modules the product imports: any that runs writes its
    name to ran.txt there and stops its process."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in SHADOWING_FILES:
        (folder / name).write_text(f"open({str(folder / 'ran.txt')!r}, 'a').write({name!r} + '\\n')\nraise SystemExit(3)\n")
    return folder


def worker_pids(pid):
    """The processes `pid` started, as Linux lists them."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(child) for child in children.read_text().split()} if children.exists() else set()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def asgi_scope(url, method="GET"):
    """The ASGI scope of an HTTP request for `url` (a path and its query string)."""
    path, _, query = url.partition("?")
    return {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": query.encode(),
            "headers": [], "scheme": "http", "server": ("localhost", 80), "root_path": ""}


def request(url, data=None):
    """(status, body) of a GET, or of a JSON POST when `data` is given."""
    body = json.dumps(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_until_serving(process, base, seconds=60):
    """Wait until the server `process` answers at `base`; fail if it exits or takes too long."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1)
            return
        except OSError:
            assert process.poll() is None, "serve exited before answering"
            assert time.monotonic() < deadline, f"serve did not answer within {seconds} s"
            time.sleep(0.2)


@pytest.fixture(scope="session")
def serve_log(tmp_path_factory):
    """Where the `server` fixture's process writes its output."""
    return tmp_path_factory.mktemp("serve") / "serve.log"


@contextlib.contextmanager
def serving(command, log, port, cwd=PROJECT, env=None):
    """Run a server `command` listening on `port`, its output going to the file `log`; yield its
    base URL once it answers, and stop it (and wait for it) afterwards."""
    with open(log, "w") as output:
        process = subprocess.Popen(
            [str(part) for part in command], cwd=cwd, stdout=output, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},  # the log shows each line as it is written
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(process, base)
            yield base
        finally:
            process.terminate()
            assert process.wait(timeout=30) is not None


def serve_command(database, port, *options):
    """`papers-db serve` from the checkout, as a user runs it."""
    return cli_command("serve", "--db", database, "--port", port, *options)


@pytest.fixture(scope="session")
def server(built_db, serve_log):
    """`papers-db serve` with its defaults (one worker per core) on the seeds' database."""
    port = free_port()
    with serving(serve_command(built_db, port), serve_log, port) as base:
        yield base


# Mounting a small tmpfs (a disk to fill, a folder to make read-only) needs CAP_SYS_ADMIN. Where
# it is not permitted, the tests that need it skip or fall back, unless PAPERS_DB_REQUIRE_MOUNT is
# set, as .ci/run sets it: then a mount that fails fails the run.
MOUNT_REQUIRED = bool(os.environ.get("PAPERS_DB_REQUIRE_MOUNT"))


def mount_tmpfs(folder, size):
    """Mount a tmpfs of `size` (as mount's size=, "512k") on `folder`: None when it is mounted,
    else why not (or the test fails, where a mount is required)."""
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                                 capture_output=True, text=True)
        problem = None if mounted.returncode == 0 else f"cannot mount a tmpfs: {mounted.stderr.strip() or mounted.returncode}"
    except FileNotFoundError:
        problem = "no mount command here"
    if problem and MOUNT_REQUIRED:
        pytest.fail(f"PAPERS_DB_REQUIRE_MOUNT is set but {problem}", pytrace=False)
    return problem


@pytest.fixture
def pauses_forgotten():
    """Pauses of queries in the event loop (papers_db.plugin), forgotten after the test: the
    servers outlive it."""
    import papers_db.plugin

    yield
    papers_db.plugin._loop_paused_until.clear()
    papers_db.plugin._loop_waits.clear()
