#!/usr/bin/env python3
"""A simulated Lovense toy for `teleplug serve --simulator-port`: the device side of the remote
example's test. Python standard library only (a minimal WebSocket client).

    fake_toy.py ws://127.0.0.1:PORT [--battery 87] [--address AA:BB:CC:DD:EE:01]

Advertises "LVS-Hush", answers "DeviceType;" and "Battery;" like a Lovense Hush, and prints one
line per control frame it receives ("toy received: Vibrate:10;" for writes). Exits when the
server closes the control connection, or on SIGTERM/SIGINT.
"""
import argparse
import base64
import json
import os
import signal
import socket
import struct
import sys
from urllib.parse import urlparse


def send_frame(sock, text, opcode=0x1):
    payload = text.encode() if isinstance(text, str) else text
    header = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        header += bytes([0x80 | n])
    elif n < 65536:
        header += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        header += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(header + mask + masked)


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def read_frame(sock):
    """One complete message: (opcode, payload). Control frames are returned as they come."""
    message, first_opcode = b"", None
    while True:
        b0, b1 = read_exact(sock, 2)
        fin, opcode, n = b0 & 0x80, b0 & 0x0F, b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", read_exact(sock, 2))[0]
        elif n == 127:
            n = struct.unpack("!Q", read_exact(sock, 8))[0]
        mask = read_exact(sock, 4) if b1 & 0x80 else None
        payload = read_exact(sock, n)
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        if opcode >= 0x8:
            return opcode, payload
        if first_opcode is None:
            first_opcode = opcode
        message += payload
        if fin:
            return first_opcode, message


def connect(url):
    u = urlparse(url)
    sock = socket.create_connection((u.hostname, u.port or 80), timeout=30)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {u.path or '/'} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(1)
        if not chunk:
            raise EOFError("closed during the handshake")
        response += chunk
    status = response.split(b"\r\n", 1)[0]
    if b" 101 " not in status:
        raise RuntimeError(f"handshake refused: {status.decode(errors='replace')}")
    sock.settimeout(None)
    return sock


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--battery", type=int, default=87)
    parser.add_argument("--address", default="AA:BB:CC:DD:EE:01")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    sock = connect(args.url)
    toy = "d1"
    send_frame(sock, json.dumps({"Advertise": {"id": toy, "name": "LVS-Hush", "address": args.address}}))
    print("advertised", flush=True)
    answers = {"DeviceType;": "Z:11:0082059AD3BD;", "Battery;": f"{args.battery};"}
    while True:
        try:
            opcode, payload = read_frame(sock)
        except EOFError:
            print("control connection closed", flush=True)
            return 0
        if opcode == 0x9:  # ping
            send_frame(sock, payload, opcode=0xA)
            continue
        if opcode == 0x8:  # close
            print("control connection closed", flush=True)
            return 0
        if opcode != 0x1:
            continue
        frame = json.loads(payload)
        kind, body = next(iter(frame.items()))
        if kind == "Write":
            text = bytes(body.get("data", [])).decode(errors="replace")
            print(f"toy received: {text}", flush=True)
            reply = answers.get(text)
            if reply is not None:
                notify = {"Notify": {"id": toy, "endpoint": "rx", "data": list(reply.encode())}}
                send_frame(sock, json.dumps(notify))
        else:
            print(f"toy event: {json.dumps(frame)}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
