"""`make screenshots`: the main pages of every role, over the demo history, as PNGs at 1366×768 and 375×812.

Starts `coordination serve` over a fresh schema of the embedded PostgreSQL (or DATABASE_URL) loaded with
`coordination demo`, signs in as each demo user and saves var/screenshots/<role>-<page>-<width>.png (whole
pages; var/ is not committed). The pages are those of tests/browser/pages_list.py.

    .venv/bin/python -m tests.browser.screenshots [--out var/screenshots] [--only audit,report]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.browser.pages_list import pages_for, resolve
from tests.browser.roles import sign_in

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = "screenshots"
DEMO_USERS = {"office": "office", "supervisor": "dukao", "liaison": "finance-liaison", "admin": "admin"}
DEMO_PASSWORD = "lucheng-2026"
VIEWPORTS = ((1366, 768), (375, 812))


def database_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from coordination.storage import start_embedded

    return start_embedded(ROOT / "var" / "test-postgres")


def fresh_schema(url: str) -> None:
    from coordination.storage import connect

    with connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, data_dir: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "DATABASE_URL": url, "COORDINATION_SCHEMA": SCHEMA, "COORDINATION_DATA_DIR": str(data_dir),
           "COORDINATION_REQUIRE_2FA": "off", "SECRET_KEY": "screenshots"}
    cli = [sys.executable, "-m", "entrypoints.cli"]
    for step in (["init"], ["demo"]):
        subprocess.run(cli + step, env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    log = open(data_dir / "serve.log", "w")
    proc = subprocess.Popen(cli + ["serve", "--port", str(port), "--workers", "2"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit("the server did not come up; see " + str(data_dir / "serve.log"))


def demo_world(base: str) -> dict[str, str]:
    """Ids for the pages that show one object: a task of the finance liaison's unit and the first meeting."""
    import json

    def call(method: str, path: str, body=None, token=None):
        request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                         headers={"Content-Type": "application/json",
                                                  **({"Authorization": f"Bearer {token}"} if token else {})})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    liaison = call("POST", "/api/v1/auth/token", {"username": DEMO_USERS["liaison"], "password": DEMO_PASSWORD})
    office = call("POST", "/api/v1/auth/token", {"username": DEMO_USERS["office"], "password": DEMO_PASSWORD})
    tasks = call("GET", "/api/v1/tasks", token=liaison["token"])
    meetings = call("GET", "/api/v1/meetings", token=office["token"])
    return {"fin-lead": tasks[0]["id"] if tasks else "", "meeting": meetings[0]["id"] if meetings else ""}


def shoot(base: str, out: Path, only: set[str]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not chromium:
        raise SystemExit("no Chromium on this machine (apt-get install chromium)")
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--lang=zh-CN"])
        world = demo_world(base)
        for role, username in DEMO_USERS.items():
            context, page = sign_in(browser, base, username, password=DEMO_PASSWORD)
            for name, path in pages_for(role):
                if only and name not in only:
                    continue
                for width, height in VIEWPORTS:
                    page.set_viewport_size({"width": width, "height": height})
                    page.goto(base + resolve(path, world))
                    target = out / f"{role}-{name}-{width}.png"
                    page.screenshot(path=str(target), full_page=True)
                    saved.append(target)
            context.close()
        browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "screenshots")
    parser.add_argument("--only", default="", help="comma-separated page names of pages_list.py")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    data_dir = ROOT / "var" / "screenshots-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url()
    fresh_schema(url)
    proc, base = serve(url, data_dir)
    try:
        saved = shoot(base, args.out, {n for n in args.only.split(",") if n})
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        fresh_schema(url)
    print(f"{len(saved)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
