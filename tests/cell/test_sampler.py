"""Connections each worker holds, read through psutil on this process's own sockets."""

import os
import socket

from asyncgap.cell import sampler


def test_a_workers_connections_split_into_its_clients_and_its_own_to_other_servers():
    with socket.create_server(("127.0.0.1", 0)) as listener, socket.create_server(("127.0.0.1", 0)) as other:
        port, elsewhere = listener.getsockname()[1], other.getsockname()[1]
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]  # also ours: to `port`
        accepted = [listener.accept()[0] for _ in clients]
        upstream = socket.create_connection(("127.0.0.1", elsewhere))
        served = other.accept()[0]  # on `elsewhere`: outbound too, as seen from `port`
        me = str(os.getpid())
        try:
            inbound, outbound = sampler.connections([me], port)
            assert inbound == {me: 3}
            assert outbound == {me: 3 + 2}
            assert sampler.outbound_connections(os.getpid(), port) == 5
        finally:
            for s in [*clients, *accepted, upstream, served]:
                s.close()
