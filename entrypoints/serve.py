"""`coordination serve`: the web server and the projection worker, supervised, until SIGTERM or Ctrl-C.

gunicorn runs the app in `workers` processes of `threads` threads each (the gthread worker): an idle
or slow client holds at most one thread, never a whole process, so fifty of them do not stand in the
way of a health check or a liaison (measured in tests/web/test_hardening.py). gunicorn restarts a
web process that dies; a supervisor thread here does the same for the projection worker, which runs
in a session of its own so that only the supervisor stops it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import structlog

from coordination.config import Settings
from domain.charter import UNIT_CODES

log = structlog.get_logger(__name__)
SUPERVISOR_VARIABLE = "COORDINATION_WORKER_PARENT"
"""Set for the projection worker `serve` starts: the pid it must outlive no longer than a second."""
THREADS = 64
"""Per process. gunicorn's gthread worker gives each new connection a thread for up to 5 s while it waits
for the request (longer for a request that trickles in), so the threads must outnumber the idle and slow
connections one process may be holding, or a health check queues behind them."""
RESTART_BACKOFF_MAX = 30.0


def persistent_secret(path: Path) -> str:
    """A random secret kept in `path` (mode 0600), made on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value)
    return value


class WorkerSupervisor:
    """Keeps one projection worker process running: started again whenever it exits or is killed."""

    def __init__(self, command: list[str], env: dict[str, str]):
        self.command, self.env = command, env
        self.process: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self.restarts = 0
        self.thread = threading.Thread(target=self._run, name="projection-supervisor", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        delay = 1.0
        while not self.stopping.is_set():
            self.process = subprocess.Popen(self.command, env=self.env, start_new_session=True)
            log.info("projection.worker_started", pid=self.process.pid, restarts=self.restarts)
            code = self.process.wait()
            if self.stopping.is_set():
                return
            self.restarts += 1
            log.error("projection.worker_exited", code=code, restart_in=delay)
            self.stopping.wait(delay)
            delay = min(delay * 2, RESTART_BACKOFF_MAX)

    def stop(self) -> None:
        self.stopping.set()
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.thread.join(timeout=15)


def serve(settings: Settings, *, host: str, port: int, workers: int | None, threads: int | None) -> int:
    from gunicorn.app.base import BaseApplication

    from coordination.clock import SystemClock
    from coordination.logs import gunicorn_logger_class
    from coordination.storage import database_url, redact
    from entrypoints.demo import DEMO_PASSWORD, DEMO_USERS

    # Fix what every process must share before gunicorn forks: the database and the clock's offset.
    url = database_url(settings)
    os.environ["DATABASE_URL"] = url
    SystemClock.from_settings(settings).export_offset()
    if not settings.secret_key:
        # Every worker must sign sessions with the same key; keep it across restarts too.
        os.environ["SECRET_KEY"] = persistent_secret(settings.data_dir / "secret_key")
    workers = workers or ((os.cpu_count() or 1) + 1)
    threads = threads or THREADS

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
            self.cfg.set("preload_app", False)
            self.cfg.set("accesslog", None)
            self.cfg.set("logger_class", gunicorn_logger_class())
            if "control_socket_disable" in self.cfg.settings:  # gunicorn ≥ 27: one shared path per machine
                self.cfg.set("control_socket_disable", True)

        def load(self):
            from web import create_app

            return create_app()

    print(f"协调机制台账 运行于 http://{host}:{port}/ (数据库 {redact(url)},{workers} 个进程 × {threads} 线程)")
    print(f"演示账号(密码均为 {DEMO_PASSWORD}):")
    for user, display_name in DEMO_USERS[:3] + [DEMO_USERS[3 + UNIT_CODES.index("finance")]]:
        print(f"  {user.username:<24} {display_name}")
    print("  <单位代码>-liaison          各成员单位联络员,如 education-liaison")
    if settings.require_2fa:
        print("两步验证:已开启(COORDINATION_REQUIRE_2FA=on)——办公室、督查、管理员账号首次登录时在页面上绑定验证器。")
    else:
        print("两步验证:已关闭(COORDINATION_REQUIRE_2FA=off,仅供演示;正式部署请开启)。")
    print("按 Ctrl-C 停止。", flush=True)
    # The web processes are forks of this one: importing the app's modules here (not creating the app, which
    # opens connections) spares each process, and each restart of one, its own imports.
    import web  # noqa: F401

    supervisor = WorkerSupervisor([sys.executable, "-m", "entrypoints.cli", "worker"],
                                  {**os.environ, SUPERVISOR_VARIABLE: str(os.getpid())})
    supervisor.start()
    master = os.getpid()
    try:
        Server().run()
    finally:
        # gunicorn's workers are forks of this process and leave through this same `finally` (their SystemExit
        # unwinds the stack they inherited): only the master stops the projection worker. Before this check each
        # web worker signalled it and waited 10 s for a process that was not its child.
        if os.getpid() == master:
            supervisor.stop()
    return 0
