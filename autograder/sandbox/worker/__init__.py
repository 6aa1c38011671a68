"""The sandboxed student-code worker (server.py) and its data-only wire format (protocol.py)."""
