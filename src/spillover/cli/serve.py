"""``spillover serve``: start the local web app (FastAPI on uvicorn)."""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Annotated

import typer

from spillover.cli.errors import Fail


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the ``spillover`` app."""
    app.command("serve")(serve)


def serve(
    host: Annotated[str, typer.Option(help="Address; beyond loopback it needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    runs_dir: Annotated[Path, typer.Option(help="Run folders: history, and new runs.")] = Path("runs"),
    scenarios_dir: Annotated[Path, typer.Option(help="Your scenario files (*.yaml).")] = Path("scenarios"),
    token: Annotated[str | None, typer.Option(help="Secret every request must carry.",
                                              envvar="SPILLOVER_TOKEN")] = None,
    workers: Annotated[int | None, typer.Option(min=0, help="Worker processes (default: CPU count).")] = None,
    max_concurrent: Annotated[int, typer.Option(min=1, help="Runs executing at once.")] = 1,
    check_seconds: Annotated[float, typer.Option(min=0.5, help="Longest check of one scenario text, "
                                                               "in seconds (beyond: 422).")] = 10.0,
) -> None:
    """Start the web app: explore scenarios, move the levers, rerun and compare policies."""
    try:
        import uvicorn

        from spillover.serve import create_app
        from spillover.serve.security import check_bind
    except ImportError as exc:
        raise ValueError(f"the web app needs its extra: pip install 'spillover[serve]' ({exc})") from None
    check_bind(host, token)
    for flag, folder in (("--runs-dir", runs_dir), ("--scenarios-dir", scenarios_dir)):
        if folder.exists() and not folder.is_dir():
            raise Fail(f"{flag} {folder} is not a folder; give a folder (it is made if missing)")
    sock = listening_socket(host, port)  # before anything else: a port in use is said at once
    web = create_app(runs_dir, scenarios_dir, token=token, workers=workers, max_concurrent=max_concurrent,
                     check_seconds=check_seconds)
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{sock.getsockname()[1]}/" + (f"?token={token}" if token else "")
    typer.echo(f"spillover serve: {address}  (runs in {runs_dir}, scenarios in {scenarios_dir}; "
               "Ctrl-C stops)")
    uvicorn.Server(uvicorn.Config(web, log_level="warning")).run(sockets=[sock])


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port``; one error line when it cannot be (port in use, no
    such address)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise Fail(f"cannot listen on {host}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        hint = "; choose another --port" if exc.errno == errno.EADDRINUSE else ""
        raise Fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") from None
    return sock
