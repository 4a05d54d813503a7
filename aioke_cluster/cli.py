"""``aioke-cluster``: serve the control plane and manage its users."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from .auth.passwords import Passwords


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app, prefer_latency
    from .middleware import RequestIdFilter
    from .services import Settings

    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
    )
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    settings = Settings(
        prometheus_url=args.prometheus_url,
        runbooks_dir=args.runbooks_dir,
        slos_dir=args.slos_dir,
        ramp_min_interval_seconds=args.ramp_min_interval_seconds,
    )
    app = create_app(args.db, settings=settings, simulate=args.simulate)
    prefer_latency()
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False)
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if not args.password_stdin:
        raise SystemExit("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise SystemExit("no password on standard input")
    return password


def _users_add(args: argparse.Namespace) -> int:
    from .app import create_app
    from .users import UserError, create_user

    app = create_app(args.db)  # migrates the schema
    services = app.state.services
    password = _read_password(args)
    try:
        with services.db.write() as conn:
            _, secret = create_user(
                conn,
                Passwords(),
                name=args.name,
                password=password,
                roles=args.role,
                now=time.time(),
                enrolled=args.totp_secret_file is not None,
            )
            if secret is not None:
                path = Path(args.totp_secret_file)
                # O_EXCL + 0600: never overwrite a file or leave the secret readable by others.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as out:
                    out.write(secret + "\n")
    except (UserError, FileExistsError) as exc:
        print(f"aioke-cluster: {exc}", file=sys.stderr)
        return 1
    finally:
        services.db.close()
    enrolment = "enrolled" if args.totp_secret_file else "will set up TOTP at first login"
    print(f"added user {args.name} ({', '.join(args.role)}); {enrolment}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aioke-cluster", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the control plane over HTTP")
    serve.add_argument("--db", required=True, type=Path, help="SQLite database file")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8470)
    serve.add_argument(
        "--simulate", action="store_true", help="run the sandbox's simulated services in-process"
    )
    serve.add_argument("--prometheus-url", help="Prometheus for chaos guards and runbook checks")
    serve.add_argument("--runbooks-dir", type=Path, help="directory of runbook YAML files")
    serve.add_argument("--slos-dir", type=Path, help="directory of Sloth SLO specs")
    serve.add_argument(
        "--ramp-min-interval-seconds",
        type=float,
        default=60.0,
        help="shortest time between a flag ramp's decisions (the sandbox lowers it for demos)",
    )
    serve.set_defaults(run=_serve)

    users = commands.add_parser("users", help="manage users").add_subparsers(
        dest="users_command", required=True
    )
    add = users.add_parser("add", help="add a user (there is no default user)")
    add.add_argument("name")
    add.add_argument("--db", required=True, type=Path)
    add.add_argument(
        "--role",
        action="append",
        required=True,
        choices=["viewer", "operator", "chaos", "admin"],
        help="repeat for several roles",
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument(
        "--totp-secret-file",
        help="enrol now and write the base32 TOTP secret to this new file (mode 0600)",
    )
    add.set_defaults(run=_users_add)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
