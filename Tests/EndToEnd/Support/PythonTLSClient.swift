import Foundation

/// Independent TLS clients for the tests with nginx in front: Python's `ssl`
/// (OpenSSL) for the TCP chat protocol and the page, `websockets` for wss://.
/// Each verifies nginx's certificate with the test's self-signed one as its
/// CA and connects from a chosen loopback source address:
///
/// - `tls HOST PORT CA SOURCE NAME ROOM`: prints `port N` (its local
///   port) and `tls VERSION`, joins, sends each stdin line,
///   writes what arrives to stdout, and `closed` (or `closed reset`) at EOF.
/// - `wss URL CA SOURCE NAME ROOM`: the same over a WebSocket (`port N`
///   first, no `tls` line); a refused
///   upgrade prints `refused STATUS BODY`, a close `closed CODE`.
/// - `page URL CA SOURCE DIRECT_PORT`: fetches URL and the page straight
///   from the gateway at 127.0.0.1:DIRECT_PORT; prints `status`, `type`,
///   `length` and `same yes|no`.
enum PythonTLSClient {
    static let script = #"""
        import asyncio, http.client, json, socket, ssl, sys, threading, urllib.request

        def context(cafile):
            return ssl.create_default_context(cafile=cafile)

        def say(*words):
            sys.stdout.write(" ".join(str(w) for w in words) + "\n")
            sys.stdout.flush()

        def tls(host, port, cafile, source, name, room):
            raw = socket.create_connection((host, int(port)), timeout=10, source_address=(source, 0))
            conn = context(cafile).wrap_socket(raw, server_hostname=host)
            conn.settimeout(None)
            say("port", conn.getsockname()[1])
            say("tls", conn.version())
            conn.sendall((json.dumps({"name": name, "room": room}) + "\n").encode())
            def pump():
                for line in sys.stdin:
                    conn.sendall(line.encode())
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            threading.Thread(target=pump, daemon=True).start()
            try:
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    sys.stdout.write(data.decode("utf-8", "replace"))
                    sys.stdout.flush()
                say("closed")
            except (ConnectionResetError, ssl.SSLError, OSError):
                say("closed reset")

        async def wss(url, cafile, source, name, room):
            import websockets
            try:
                ws = await websockets.connect(url, ssl=context(cafile), local_addr=(source, 0), open_timeout=10)
            except websockets.exceptions.InvalidStatus as error:
                body = error.response.body.decode("utf-8", "replace").strip()
                say("refused", error.response.status_code, body)
                return
            say("port", ws.local_address[1])
            await ws.send(json.dumps({"name": name, "room": room}))
            async def relay_out():
                try:
                    async for message in ws:
                        sys.stdout.write(message if isinstance(message, str) else message.decode("utf-8", "replace"))
                        sys.stdout.flush()
                except websockets.exceptions.ConnectionClosed:
                    pass
                say("closed", ws.close_code)
            receiver = asyncio.ensure_future(relay_out())
            loop = asyncio.get_running_loop()
            while not receiver.done():
                line = await loop.run_in_executor(None, sys.stdin.readline)
                if not line:
                    break
                await ws.send(line.rstrip("\n"))
            await ws.close()
            await asyncio.wait_for(receiver, 5)

        def page(url, cafile, source, direct_port):
            opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context(cafile)))
            with opener.open(url, timeout=10) as response:
                body = response.read()
                say("status", response.status)
                say("type", response.headers["Content-Type"])
            direct = http.client.HTTPConnection("127.0.0.1", int(direct_port), timeout=10, source_address=(source, 0))
            direct.request("GET", "/")
            plain = direct.getresponse().read()
            say("length", len(body))
            say("same", "yes" if body == plain else "no")

        mode, args = sys.argv[1], sys.argv[2:]
        if mode == "tls":
            tls(*args)
        elif mode == "wss":
            asyncio.run(wss(*args))
        else:
            page(*args)
        """#

    static func start(_ arguments: [String]) throws -> PipedProcess {
        try PipedProcess(executable: "/usr/bin/env", arguments: ["python3", "-u", "-c", script] + arguments)
    }

    /// The local port the client printed first, or nil.
    static func localPort(of client: PipedProcess, timeout: Double = 15) -> UInt16? {
        guard let line = client.readLine(timeout: timeout), line.hasPrefix("port ") else { return nil }
        return UInt16(line.dropFirst(5))
    }
}
