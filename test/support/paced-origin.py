#!/usr/bin/env python3
"""An HTTP/1.1 origin on loopback that sends like a link does: segments of at most 1400 bytes
(TCP_MAXSEG on the listener), so the client's kernel sees a link's segment size and not loopback's
64 KiB (with 64 KiB segments the kernel wakes a reader early whenever its window gets near one
segment, which hides a low-water mark set too high). Optional TLS, each record sent in two halves
1 ms apart, so the client often holds half a record above its socket (which a low-water mark must
leave room for). Prints its port, then serves until killed. Keep-alive; each request:
  GET /paced?size=N&stall=S  N body bytes (pattern i % 251) in 16 KiB writes every 4 ms, the last
                             32 KiB as below; with S, a Content-Length of N but only S bytes paced,
                             100 ms, then 20 KiB more
  GET /small                 a 2-byte body, "ok"
Usage: paced-origin.py [CERT KEY]"""
import socket
import ssl
import sys
import threading
import time
from urllib.parse import parse_qs, urlparse

TAIL = 32768
PATTERN = bytes(i % 251 for i in range(251 * 1024))


def body(start, end):
    out = bytearray()
    at = start
    while at < end:
        off = at % 251
        take = min(end - at, len(PATTERN) - off)
        out += PATTERN[off:off + take]
        at += take
    return bytes(out)


class Plain:
    def __init__(self, sock):
        self.sock = sock

    def recv(self):
        return self.sock.recv(65536)

    def sendall(self, data):
        self.sock.sendall(data)

    def encode(self, data):
        return data


class Tls:
    """TLS through memory BIOs, so the ciphertext of each record can be sent in parts."""

    def __init__(self, sock, ctx):
        self.sock = sock
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=True)
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.sock.sendall(self.out.read())
                d = self.sock.recv(65536)
                if not d:
                    raise OSError('closed in the handshake')
                self.inc.write(d)
        self.sock.sendall(self.out.read())

    def recv(self):
        while True:
            try:
                return self.obj.read(65536)
            except ssl.SSLWantReadError:
                d = self.sock.recv(65536)
                if not d:
                    return b''
                self.inc.write(d)

    def encode(self, data):
        """The ciphertext of `data` as records of 16 KiB."""
        for at in range(0, len(data), 16384):
            self.obj.write(data[at:at + 16384])
        return self.out.read()

    def sendall(self, data):
        for at in range(0, len(data), 16384):
            ct = self.encode(data[at:at + 16384])
            half = len(ct) // 2
            self.sock.sendall(ct[:half])
            time.sleep(0.001)
            self.sock.sendall(ct[half:])


def serve(sock, ctx):
    buf = b''
    try:
        conn = Plain(sock) if ctx is None else Tls(sock, ctx)
        while True:
            while b'\r\n\r\n' not in buf:
                d = conn.recv()
                if not d:
                    return
                buf += d
            head, buf = buf.split(b'\r\n\r\n', 1)
            url = urlparse(head.split(b' ')[1].decode())
            if url.path != '/paced':
                conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
                continue
            q = parse_qs(url.query)
            size = int(q['size'][0])
            send = int(q['stall'][0]) if 'stall' in q else size
            conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n' % size)
            paced = send - TAIL if send == size else send
            for at in range(0, paced, 16384):
                conn.sendall(body(at, min(paced, at + 16384)))
                time.sleep(0.004)
            if send == size:
                # The last two records but their last 30 bytes, then those: a reader woken for the first
                # part holds the second record unfinished above its socket, and what is still to come is
                # 30 bytes. A low-water mark over 30 there never wakes it.
                time.sleep(0.3)
                ct = conn.encode(body(paced, size))
                sock.sendall(ct[:-30])
                time.sleep(0.3)
                sock.sendall(ct[-30:])
            else:
                time.sleep(0.1)
                conn.sendall(body(send, min(size, send + 20480)))
                conn.recv()  # hold the connection until the client closes it
                return
    except (OSError, ssl.SSLError):
        return
    finally:
        sock.close()


def main():
    ctx = None
    if len(sys.argv) == 3:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1400)
    lst.bind(('127.0.0.1', 0))
    lst.listen(8)
    print(lst.getsockname()[1], flush=True)
    while True:
        sock, _ = lst.accept()
        threading.Thread(target=serve, args=(sock, ctx), daemon=True).start()


if __name__ == '__main__':
    main()
