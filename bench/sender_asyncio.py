"""CPython's asyncio loop.sock_sendfile as a sender child: the reference this library imitates.

Same line protocol as sender-node.js: "run <port> <many|one> <path> <n>" -> one JSON line.
Per file: open (unbuffered, the cheapest file object sock_sendfile accepts), send it whole,
close; one event loop for the whole process, as a server would have.
"""
import asyncio
import json
import os
import resource
import socket
import sys
import time


def cpu_us():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return int((ru.ru_utime + ru.ru_stime) * 1e6)


async def run(port, mode, path, n):
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    await loop.sock_connect(sock, ('127.0.0.1', port))
    c0 = cpu_us()
    t0 = time.perf_counter_ns()
    sent = 0
    for i in range(n):
        p = f'{path}/{i}' if mode == 'many' else path
        with open(p, 'rb', buffering=0) as f:
            sent += await loop.sock_sendfile(sock, f)
    sock.shutdown(socket.SHUT_WR)
    reply = b''
    while True:
        chunk = await loop.sock_recv(sock, 4096)
        if not chunk:
            break
        reply += chunk
    wall = time.perf_counter_ns() - t0
    cpu = cpu_us() - c0
    sock.close()
    return {'ok': True, 'wallNs': wall, 'cpuUs': cpu, 'bytes': sent,
            'receiver': reply.decode().strip()}


def main():
    loop = asyncio.new_event_loop()
    print(json.dumps({'hello': 'asyncio', 'python': sys.version.split()[0]}), flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts or parts[0] != 'run':
            continue
        try:
            out = loop.run_until_complete(run(int(parts[1]), parts[2], parts[3], int(parts[4])))
        except Exception as e:  # reported to run.js, which marks the run failed
            out = {'ok': False, 'error': f'{type(e).__name__}: {e}'}
        print(json.dumps(out), flush=True)
    loop.close()


if __name__ == '__main__':
    main()
