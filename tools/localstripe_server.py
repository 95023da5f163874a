"""Run localstripe (a stateful fake Stripe server, GPL-3.0, a dev/test tool only) on 127.0.0.1.

localstripe's own command binds every interface and pickles its store to
``/tmp/localstripe.pickle``, a file shared by every instance on the machine. This launcher
builds its aiohttp app itself, binds loopback only, and gives each instance a private store:
in memory by default, or a pickle file of its own with ``--store PATH``.

    python -m tools.localstripe_server --port 8420
    python -m tools.localstripe_server --port 0      # a free port; prints the URL
"""
import argparse
import logging
import pickle
import socket
import sys


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def use_private_store(store_path: str | None) -> None:
    """Point localstripe's store at ``store_path`` (or nowhere) instead of the shared file."""
    from localstripe import resources

    def dump(self):
        if store_path:
            with open(store_path, "wb") as f:
                pickle.dump(dict(self), f, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self):
        if not store_path:
            return
        try:
            with open(store_path, "rb") as f:
                self.clear()
                self.update(pickle.load(f))
        except FileNotFoundError:
            pass

    resources.Store.dump_to_disk = dump
    resources.Store.try_load_from_disk = load


def serve(port: int, store_path: str | None = None) -> None:
    """Serve localstripe on 127.0.0.1:``port`` until interrupted."""
    use_private_store(store_path)
    from aiohttp import web
    from localstripe import resources, server

    resources.store.try_load_from_disk()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        # Listening before the URL is printed: whoever reads it may connect at once (the
        # connection waits in the backlog until the server's loop accepts it).
        sock.listen(128)
        print(f"localstripe on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
        web.run_app(server.app, sock=sock, print=None, access_log=None, handle_signals=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420, help="0 picks a free port")
    parser.add_argument("--store", default=None, help="pickle file of this instance's own")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    serve(args.port, args.store)
    return 0


if __name__ == "__main__":
    sys.exit(main())
