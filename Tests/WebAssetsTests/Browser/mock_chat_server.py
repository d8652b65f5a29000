#!/usr/bin/env python3
"""A TEST DOUBLE of MaChat's WebSocket gateway, for developing and testing the
browser page without the real server. It is not MaChat and never ships.

It serves the page over HTTP and speaks the client protocol with
"format":"json" (docs: /work/notes/json-protocol.md, README "Client protocol")
on /mychat, using Python's `websockets` package: join with history, since/epoch
resume, presence, deliveries, errors. A test steers it through JSON lines on
stdin and reads what happened as JSON lines on stdout.

    python3 mock_chat_server.py --responses DIR   # serve raw HTTP responses (DIR/manifest.json)
    python3 mock_chat_server.py --web web/        # serve web/ as plain files (by hand, in a browser)

Options: --host (127.0.0.1), --port (0: a free one), --token T (joins must carry
"token": T), --history-size N (1000).

stdout, one JSON object per line:
    {"event":"listening","port":N,"url":"http://127.0.0.1:N/"}         first line
    {"event":"join","room":R,"name":X,"request":{...},"recovered":B,"lines":K}
    {"event":"refused","request":{...},"message":M}
    {"event":"say","room":R,"name":X,"offset":O,"text":T}                a line from a client
    {"event":"leave","room":R,"name":X}
    {"event":"reply","id":I,"ok":true,...} / {"event":"reply","id":I,"ok":false,"error":E}
stdin commands, one JSON object per line, each answered by a reply with its "id":
    {"cmd":"say","room":R,"name":X,"lines":[T,...]}      lines from a scripted member (no connection)
    {"cmd":"member","room":R,"name":X,"present":B}       a scripted member joins or leaves (presence)
    {"cmd":"drop","mode":"restart"|"abort","refuse_ms":N}
        close every client connection: "restart" sends the gateway's restart error and
        close 1001, "abort" cuts TCP (close 1006); then refuse WebSocket upgrades
        with 503 for refuse_ms milliseconds
    {"cmd":"new_epoch","room":R,"notify":B}
        the room log starts again (new epoch, offsets from 1); with notify, every member
        on an open connection gets a new welcome with recovered:false (a router restart)
    {"cmd":"state","room":R}    reply has epoch, offset, members, connections
    {"cmd":"quit"}
End of stdin also quits.
"""

import argparse
import asyncio
import json
import mimetypes
import os
import secrets
import sys
import threading
import time

try:
    from websockets.asyncio.server import broadcast, serve
    from websockets.datastructures import Headers
    from websockets.exceptions import ConnectionClosed
    from websockets.http11 import Response
except ImportError:
    sys.stderr.write("mock_chat_server: Python package 'websockets' (13 or later) is missing: pip install websockets\n")
    sys.exit(3)

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
MAX_NAME = 64


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()

def stdin_reader():
    """Lines of stdin as an asyncio queue fed by a daemon thread (None at end of input),
    so a blocked read never keeps the interpreter from exiting."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    def pump():
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, daemon=True).start()
    return queue



def now_ms():
    return int(time.time() * 1000)


class Room:
    def __init__(self, name):
        self.name = name
        self.members = {}  # name -> websocket connection, or None for a scripted member
        self.new_log()

    def new_log(self):
        self.epoch = secrets.token_hex(8)
        self.log = []
        self.next_offset = 1

    @property
    def offset(self):
        return self.next_offset - 1

    def connections(self):
        return [ws for ws in self.members.values() if ws is not None]


class Mock:
    def __init__(self, args):
        self.args = args
        self.rooms = {}
        self.refuse_until = 0.0
        self.presence = set()  # connections that asked for presence events
        self.static = {}
        if args.responses:
            self.load_responses(args.responses)
        elif args.web:
            self.load_web(args.web)

    def room(self, name):
        if name not in self.rooms:
            self.rooms[name] = Room(name)
        return self.rooms[name]

    # ---- HTTP ----

    def load_responses(self, directory):
        with open(os.path.join(directory, "manifest.json")) as f:
            manifest = json.load(f)
        for path, file in manifest.items():
            with open(os.path.join(directory, file), "rb") as f:
                raw = f.read()
            head, _, body = raw.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            _, status, reason = lines[0].split(" ", 2)
            headers = Headers([tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]])
            self.static[path] = (int(status), reason, headers, body)

    def load_web(self, directory):
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if not os.path.isfile(path) or name.endswith(".sh"):
                continue
            with open(path, "rb") as f:
                body = f.read()
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind.endswith("javascript"):
                kind += "; charset=utf-8"
            headers = Headers([
                ("Content-Type", kind), ("Content-Length", str(len(body))), ("Cache-Control", "no-cache"),
                ("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "no-referrer"), ("Connection", "close"),
            ])
            self.static["/" if name == "index.html" else "/" + name] = (200, "OK", headers, body)

    def process_request(self, connection, request):
        path = request.path.split("?", 1)[0]
        if path == "/mychat":
            if time.monotonic() < self.refuse_until:
                return connection.respond(503, "the mock is restarting\n")
            return None
        if path in self.static:
            status, reason, headers, body = self.static[path]
            return Response(status, reason, Headers(headers.raw_items()), body)
        return connection.respond(404, "not found\n")

    # ---- WebSocket chat ----

    async def handle(self, ws):
        try:
            first = await asyncio.wait_for(ws.recv(), 10)
        except (asyncio.TimeoutError, ConnectionClosed):
            return
        joined = await self.join(ws, first)
        if joined is None:
            return
        room, name = joined
        try:
            async for data in ws:
                if isinstance(data, bytes):
                    await ws.send(json.dumps({"type": "error", "message": "binary messages are not accepted"}))
                    continue
                lines = data.split("\n")
                if data.endswith("\n"):
                    lines.pop()
                for line in lines:
                    message = self.append(room, name, line)
                    emit({"event": "say", "room": room.name, "name": name, "offset": message["offset"], "text": line})
        except ConnectionClosed:
            pass
        finally:
            if room.members.get(name) is ws:
                del room.members[name]
                self.presence.discard(ws)
                self.announce(room, {"type": "leave", "name": name, "time": now_ms()}, skip=None)
                emit({"event": "leave", "room": room.name, "name": name})

    async def refuse(self, ws, request, message):
        emit({"event": "refused", "request": request, "message": message})
        await ws.send(json.dumps({"type": "error", "message": message}))
        await ws.close(1008, "join refused")

    async def join(self, ws, first):
        try:
            request = json.loads(first)
        except (TypeError, ValueError):
            request = None
        if not isinstance(request, dict):
            await self.refuse(ws, first, 'invalid join JSON; send {"name":"<you>","room":"<room>","format":"json"}')
            return None
        name, room_name = request.get("name"), request.get("room")
        for key, value in (("name", name), ("room", room_name)):
            if not isinstance(value, str) or not value or len(value.encode()) > MAX_NAME \
                    or any(ord(c) < 32 or ord(c) == 127 for c in value):
                await self.refuse(ws, request, f"{key} must be 1 to {MAX_NAME} bytes without control characters")
                return None
        if ":" in name:
            await self.refuse(ws, request, "name must not contain ':'")
            return None
        if request.get("format") != "json":
            await self.refuse(ws, request, 'this mock speaks only "format":"json"')
            return None
        if self.args.token is not None and request.get("token") != self.args.token:
            await self.refuse(ws, request, "invalid token; ask for a new link")
            return None
        history, since, epoch = request.get("history"), request.get("since"), request.get("epoch")
        if history is not None and (not isinstance(history, int) or isinstance(history, bool) or not 0 <= history <= 1000000):
            await self.refuse(ws, request, "history must be a whole number from 0 to 1000000")
            return None
        if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0
                                  or not isinstance(epoch, str)):
            await self.refuse(ws, request, "since must be a whole number and come with an epoch")
            return None
        room = self.room(room_name)
        if name in room.members:
            await self.refuse(ws, request, f'name "{name}" is already taken in room "{room_name}"; pick another name')
            return None
        recovered, lines = self.lines_for(room, history, since, epoch)
        room.members[name] = ws
        if request.get("presence") is True:
            self.presence.add(ws)
        # broadcast() writes synchronously: the welcome and its lines reach the
        # socket before any later delivery can be written.
        broadcast([ws], json.dumps(self.welcome(room, name, recovered)))
        for line in lines:
            broadcast([ws], json.dumps(line))
        self.announce(room, {"type": "join", "name": name, "time": now_ms()}, skip=ws)
        emit({"event": "join", "room": room.name, "name": name, "request": request, "recovered": recovered,
              "lines": len(lines)})
        return room, name

    def lines_for(self, room, history, since, epoch):
        first = room.log[0]["offset"] if room.log else room.next_offset
        if since is not None and epoch == room.epoch and first - 1 <= since <= room.offset:
            return True, [line for line in room.log if line["offset"] > since]
        count = self.args.history_size
        if history is not None:
            count = min(history, count)
        elif since is None:
            count = 0
        return False, room.log[-count:] if count else []

    def welcome(self, room, name, recovered):
        return {"type": "welcome", "room": room.name, "name": name, "epoch": room.epoch, "offset": room.offset,
                "recovered": recovered, "members": sorted(room.members)}

    def append(self, room, name, text):
        message = {"type": "message", "room": room.name, "offset": room.next_offset, "time": now_ms(),
                   "name": name, "text": text}
        room.next_offset += 1
        room.log.append(message)
        del room.log[:-self.args.history_size]
        broadcast(room.connections(), json.dumps(message))
        return message

    def announce(self, room, event, skip):
        targets = [ws for ws in room.connections() if ws is not skip and ws in self.presence]
        broadcast(targets, json.dumps(event))

    # ---- control ----

    async def command(self, cmd):
        kind = cmd.get("cmd")
        if kind == "say":
            room = self.room(cmd["room"])
            offsets = [self.append(room, cmd["name"], text)["offset"] for text in cmd["lines"]]
            return {"offsets": offsets}
        if kind == "member":
            room = self.room(cmd["room"])
            name = cmd["name"]
            if cmd.get("present", True):
                if name in room.members:
                    raise ValueError(f"{name} is already in {room.name}")
                room.members[name] = None
                self.announce(room, {"type": "join", "name": name, "time": now_ms()}, skip=None)
            else:
                if room.members.get(name, 0) is not None:
                    raise ValueError(f"{name} is not a scripted member of {room.name}")
                del room.members[name]
                self.announce(room, {"type": "leave", "name": name, "time": now_ms()}, skip=None)
            return {}
        if kind == "drop":
            self.refuse_until = time.monotonic() + cmd.get("refuse_ms", 0) / 1000
            dropped = 0
            for room in self.rooms.values():
                for name, ws in list(room.members.items()):
                    if ws is None:
                        continue
                    del room.members[name]
                    self.presence.discard(ws)
                    dropped += 1
                    if cmd.get("mode", "restart") == "abort":
                        ws.transport.abort()
                    else:
                        broadcast([ws], json.dumps({"type": "error", "message": "server is restarting; reconnect in a moment"}))
                        asyncio.ensure_future(ws.close(1001, "restarting"))
            return {"dropped": dropped}
        if kind == "new_epoch":
            room = self.room(cmd["room"])
            room.new_log()
            if cmd.get("notify", True):
                for name, ws in room.members.items():
                    if ws is not None:
                        broadcast([ws], json.dumps(self.welcome(room, name, False)))
            return {"epoch": room.epoch}
        if kind == "state":
            room = self.room(cmd["room"])
            return {"epoch": room.epoch, "offset": room.offset, "members": sorted(room.members),
                    "connections": len(room.connections())}
        raise ValueError(f"unknown command {kind!r}")


async def main():
    parser = argparse.ArgumentParser(description="MaChat test double: page + JSON chat protocol on /mychat")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--responses", help="directory with manifest.json and raw HTTP responses")
    parser.add_argument("--web", help="directory with the page's files (served as they are)")
    parser.add_argument("--token", help="joins must carry this token")
    parser.add_argument("--history-size", type=int, default=1000)
    args = parser.parse_args()
    mock = Mock(args)
    async with serve(mock.handle, args.host, args.port, process_request=mock.process_request,
                     server_header=None, ping_interval=None, max_size=2**20) as server:
        port = server.sockets[0].getsockname()[1]
        emit({"event": "listening", "port": port, "url": f"http://{args.host}:{port}/"})
        lines = stdin_reader()
        while True:
            line = await lines.get()
            if line is None:
                break
            if not line.strip():
                continue
            try:
                cmd = json.loads(line)
            except ValueError as error:
                emit({"event": "reply", "ok": False, "error": f"bad JSON: {error}"})
                continue
            if cmd.get("cmd") == "quit":
                emit({"event": "reply", "id": cmd.get("id"), "ok": True})
                break
            try:
                result = await mock.command(cmd)
                emit({"event": "reply", "id": cmd.get("id"), "ok": True, **result})
            except Exception as error:  # report, keep serving
                emit({"event": "reply", "id": cmd.get("id"), "ok": False, "error": f"{type(error).__name__}: {error}"})


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
