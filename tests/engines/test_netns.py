"""Connections per process read from /proc the way the sampler reads a container's: here, on
this process's own sockets (the same namespace, so psutil must agree)."""

import os
import socket

import psutil

from asyncgap.engines import netns


def test_established_counts_the_server_side_of_each_connection_on_the_port():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        accepted = [listener.accept()[0] for _ in clients]
        try:
            assert netns.established(os.getpid(), port) == 3
            by_psutil = [
                c
                for c in psutil.Process().net_connections("tcp")
                if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
            ]
            assert len(by_psutil) == 3
        finally:
            for s in clients + accepted:
                s.close()
    assert netns.established(os.getpid(), port) == 0


def test_host_pids_maps_a_process_tree_by_its_own_numbering():
    assert netns.host_pids(os.getpid())[str(os.getpid())] == os.getpid()
    assert not netns.separate(os.getpid())
