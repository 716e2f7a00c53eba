"""Parts every emulator shares: the injected-fault queue, the random fault profile (and how its faults are
served, down to dropping a connection), the request log and their ``/_emulator/`` routes.

Nothing here knows about a service's credentials or error format: an emulator renders faults in its own
error body and decides what to log beyond method, path, query, status and time.
"""
