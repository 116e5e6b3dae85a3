"""The `coordination` console command: init, users add, demo, serve, worker, rebuild, verify, backup, ….

Messages for the operator are in Chinese first; exit status 0 on success, 1 on a refused or failed
operation (with the reason on stderr), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import os
import getpass
import sys
from collections.abc import Sequence

from coordination.config import ConfigurationError, Settings
from coordination.logs import configure_logging
from domain.actors import ROLES, SYSTEM
from domain.errors import DomainError
from domain.charter import UNIT_CODES


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coordination", description="协调机制台账 — the coordination ledger")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("init", help="create or migrate the database and seed the group and its 26 units")

    users = commands.add_parser("users", help="user accounts").add_subparsers(dest="users_command", required=True)
    add = users.add_parser("add", help="add a user; the password is read from standard input")
    add.add_argument("username")
    add.add_argument("--unit", required=True, choices=UNIT_CODES, metavar="CODE")
    add.add_argument("--role", action="append", required=True, choices=sorted(ROLES), dest="roles")
    add.add_argument("--display-name", default="")

    demo = commands.add_parser("demo", help="load the demo history into an empty store")
    demo.add_argument("--if-empty", action="store_true", help="skip quietly when the store already has data")

    serve = commands.add_parser("serve", help="run the web server until SIGTERM or Ctrl-C")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=None, help="processes; default: CPU count + 1")
    serve.add_argument("--threads", type=int, default=None, help="threads per process; default: 64")

    commands.add_parser("worker", help="run the projection worker until SIGTERM or Ctrl-C")
    rebuild = commands.add_parser("rebuild", help="rebuild views from the log, with progress")
    rebuild.add_argument("names", nargs="*", metavar="NAME", help="views to rebuild (default: all)")

    commands.add_parser("verify", help="recompute the ledger's hash chain and check every signed checkpoint")
    commands.add_parser("checkpoint", help="sign the chain head now (the worker does so hourly and per report)")
    export = commands.add_parser("export-audit", help="write the offline audit bundle of an issued report")
    export.add_argument("period", metavar="PERIOD", help="e.g. 2026H1")
    export.add_argument("--out", required=True, metavar="FILE.zip")
    backup = commands.add_parser("backup", help="copy the whole store, consistently, into one file")
    backup.add_argument("--out", required=True, metavar="FILE")
    restore = commands.add_parser("restore", help="restore a backup into an empty store and verify it")
    restore.add_argument("file", metavar="FILE")
    notify = commands.add_parser("notify-test", help="send one test message to a unit's robot and e-mail")
    notify.add_argument("unit", metavar="UNIT", choices=UNIT_CODES)

    args = parser.parse_args(argv)
    configure_logging()
    try:
        settings = Settings.from_env()
        return {"init": init, "users": add_user, "demo": load_demo, "serve": serve_forever,
                "worker": run_worker, "rebuild": rebuild_views, "verify": verify_ledger, "checkpoint": sign_checkpoint,
                "export-audit": export_audit, "backup": backup_store, "restore": restore_store,
                "notify-test": send_test_notification}[args.command](settings, args)
    except (ConfigurationError, DomainError) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1


def init(settings: Settings, args: argparse.Namespace) -> int:
    from coordination.bootstrap import initialise

    runtime = initialise(settings)
    group = runtime.ledger.group()
    print(f"已初始化 {group.name}:{len(runtime.ledger.units())} 个成员单位;日志位置 {runtime.ledger.position()}")
    runtime.ledger.close()
    return 0


def add_user(settings: Settings, args: argparse.Namespace) -> int:
    from coordination.bootstrap import open_ledger

    if sys.stdin.isatty():
        password = getpass.getpass("密码 / password: ")
        if getpass.getpass("再次输入 / again: ") != password:
            print("两次输入的密码不一致 / the passwords differ", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    ledger = open_ledger(settings).ledger
    try:
        ledger.group()
        ledger.register_user(SYSTEM, username=args.username, password=password, unit=args.unit, roles=args.roles,
                             display_name=args.display_name)
    finally:
        ledger.close()
    print(f"已添加用户 {args.username}({args.unit},{'、'.join(ROLES[r] for r in args.roles)})")
    return 0


def load_demo(settings: Settings, args: argparse.Namespace) -> int:
    from coordination.bootstrap import open_ledger
    from entrypoints.demo import load_demo as write_demo

    ledger = open_ledger(settings).ledger
    try:
        ledger.group()
        if args.if_empty and not ledger.is_empty():
            print("台账已有数据,跳过演示数据 / the store has data; demo skipped")
            return 0
        position = write_demo(ledger)
    finally:
        ledger.close()
    print(f"已载入演示数据:日志位置 {position}")
    return 0


def run_worker(settings: Settings, args: argparse.Namespace) -> int:
    import signal
    import threading

    from coordination.bootstrap import open_ledger
    from coordination.signing import signing_key
    from projections.checkpoints import Checkpointer
    from projections.chain import HashChain
    from projections.worker import ProjectionWorker

    runtime = open_ledger(settings)
    runtime.ledger.group()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    from entrypoints.serve import SUPERVISOR_VARIABLE

    supervisor = int(os.environ.get(SUPERVISOR_VARIABLE) or 0)
    if supervisor:  # started by `serve`: stop when serve is gone, even if it was killed outright
        threading.Thread(target=_stop_without_parent, args=(supervisor, stop), daemon=True).start()
    print("投影进程已启动 / projection worker started", flush=True)
    from entrypoints.notify import delivery_loop

    sending = threading.Thread(target=delivery_loop, args=(settings, runtime.url, runtime.schema, stop), daemon=True)
    sending.start()
    try:
        ProjectionWorker(runtime.ledger, runtime.url, runtime.schema, batch_size=settings.projection_batch,
                         chain=HashChain(settings.ledger_hash), checkpointer=Checkpointer(lambda: signing_key(settings))).run(stop)
    finally:
        stop.set()
        sending.join(timeout=15)
        runtime.ledger.close()
    print("投影进程已停止 / projection worker stopped", flush=True)
    return 0


def send_test_notification(settings: Settings, args: argparse.Namespace) -> int:
    from coordination.storage import database_url
    from entrypoints.notify import notify_test

    results = notify_test(settings, database_url(settings), settings.schema, args.unit)
    if not results:
        print(f"错误 / error: {args.unit} 未设置推送渠道 / has no webhook or e-mail set", file=sys.stderr)
        return 1
    for channel, error in results:
        print(f"{channel}: {'已发送 / sent' if error is None else '失败 / failed: ' + error}")
    return 0 if all(error is None for _, error in results) else 1


def _stop_without_parent(parent: int, stop) -> None:
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()


def rebuild_views(settings: Settings, args: argparse.Namespace) -> int:
    """Empty the named views and apply the whole log again (safe beside a running worker: batches lock)."""
    from tqdm import tqdm

    from coordination.bootstrap import open_ledger
    from projections.tracking import ViewStalled
    from projections.worker import all_views, rebuild

    runtime = open_ledger(settings)
    try:
        runtime.ledger.group()
        views = all_views(runtime.ledger)
        unknown = set(args.names) - {v.name for v in views}
        if unknown:
            print(f"未知视图 / unknown view: {', '.join(sorted(unknown))}; 可选 {', '.join(v.name for v in views)}",
                  file=sys.stderr)
            return 2
        head = runtime.ledger.position()
        for view in views:
            if args.names and view.name not in args.names:
                continue
            with tqdm(total=head, desc=f"重建 {view.name}", unit="事件", file=sys.stderr) as bar:
                try:
                    applied = rebuild(runtime.ledger, runtime.url, runtime.schema, view,
                                      batch_size=settings.projection_batch, progress=bar.update)
                except ViewStalled as exc:
                    bar.close()
                    print(f"重建 {view.name} 中止 / rebuild stopped: {exc}", file=sys.stderr)
                    return 1
            print(f"已重建 {view.name}:{applied} 条事件")
    finally:
        runtime.ledger.close()
    return 0


def verify_ledger(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0 with `ok: N events, head <hash>`, or 1 naming the first diverging log position."""
    from coordination.bootstrap import open_ledger
    from entrypoints.audit_bundle import verify_store
    from ledger_proof.verify_bundle import Divergence

    runtime = open_ledger(settings)
    try:
        verified = verify_store(runtime)
    except Divergence as exc:
        print(f"failed: {exc.message}")
        return 1
    finally:
        runtime.ledger.close()
    print(f"ok: {verified.events} events, head {verified.head_hash}")
    return 0


def sign_checkpoint(settings: Settings, args: argparse.Namespace) -> int:
    from coordination.bootstrap import open_ledger
    from coordination.signing import signing_key
    from projections.checkpoints import sign_head
    from coordination.storage import connect
    from projections.chain import HashChain

    runtime = open_ledger(settings)
    runtime.ledger.close()
    with connect(runtime.url, schema=runtime.schema, autocommit=True) as conn:
        HashChain(settings.ledger_hash).catch_up(conn)
        checkpoint = sign_head(conn, signing_key(settings))
    print(f"已签名检查点 / checkpoint signed: position {checkpoint.position}, {checkpoint.hash}, key {checkpoint.key_id}"
          if checkpoint else "链头已有检查点 / the head is already signed")
    return 0


def export_audit(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from coordination.bootstrap import open_ledger
    from entrypoints.audit_bundle import export_audit as write_bundle

    runtime = open_ledger(settings)
    try:
        manifest = write_bundle(runtime, args.period, Path(args.out))
    finally:
        runtime.ledger.close()
    print(f"已导出审计包 {args.out}:{manifest['events']} 条事件,{manifest['checkpoints']} 个检查点;"
          f"校验:python verify_bundle.py {Path(args.out).name}")
    return 0


def backup_store(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from entrypoints.backup import backup
    from coordination.storage import database_url

    manifest = backup(settings, database_url(settings), settings.schema, Path(args.out))
    head = manifest["chain_head"] or {}
    print(f"已备份 {args.out}:{len(manifest['tables'])} 张表,链头 {head.get('position')} {head.get('hash')}")
    return 0


def restore_store(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from entrypoints.backup import restore
    from ledger_proof.verify_bundle import Divergence

    try:
        manifest, verified = restore(settings, Path(args.file))
    except Divergence as exc:
        print(f"failed: restored, but the ledger does not verify: {exc.message}")
        return 1
    print(f"ok: {verified.events} events, head {verified.head_hash}")
    return 0


def serve_forever(settings: Settings, args: argparse.Namespace) -> int:
    from entrypoints.serve import serve

    return serve(settings, host=args.host, port=args.port, workers=args.workers, threads=args.threads)


if __name__ == "__main__":
    sys.exit(main())
