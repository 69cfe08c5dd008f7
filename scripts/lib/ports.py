"""Free TCP ports on loopback for the scripts' local clusters."""

import socket


def free_port():
    """A port on 127.0.0.1 that was free a moment ago (bound once and released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
