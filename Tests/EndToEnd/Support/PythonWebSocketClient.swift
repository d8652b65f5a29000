import Foundation

/// An independent WebSocket chat client: Python's `websockets` package from
/// PyPI (CI installs it; locally `pip install websockets`). It joins, sends
/// every stdin line as one text message, writes every message it receives to
/// stdout, and closes normally at the end of stdin.
///
/// The script lives in this Swift file rather than a `.py` beside it so that
/// SwiftPM has no unhandled file in the test target; it runs as `python3 -c`.
enum PythonWebSocketClient {
    static let script = #"""
        import asyncio, json, sys
        try:
            import websockets
        except ImportError:
            sys.stderr.write("ws_client: Python package 'websockets' is missing: pip install websockets\n")
            sys.exit(3)

        async def relay_out(ws):
            try:
                async for message in ws:
                    if isinstance(message, bytes):
                        message = message.decode("utf-8", "replace")
                    sys.stdout.write(message)
                    sys.stdout.flush()
            except websockets.exceptions.ConnectionClosed:
                pass

        async def main(url, name, room):
            # No Origin header: a non-browser client.
            async with websockets.connect(url) as ws:
                await ws.send(json.dumps({"name": name, "room": room}))
                receiver = asyncio.ensure_future(relay_out(ws))
                loop = asyncio.get_running_loop()
                while True:
                    line = await loop.run_in_executor(None, sys.stdin.readline)
                    if not line:
                        break
                    await ws.send(line.rstrip("\n"))
                await ws.close()
                await asyncio.wait_for(receiver, 5)

        asyncio.run(main(*sys.argv[1:4]))
        """#

    /// Whether `python3` with `websockets` is available.
    static var isAvailable: Bool { PipedProcess.pythonHasModule("websockets") }

    /// Starts the client for `url` as `name` in `room`.
    static func start(url: String, name: String, room: String) throws -> PipedProcess {
        try PipedProcess(executable: "/usr/bin/env", arguments: ["python3", "-u", "-c", script, url, name, room])
    }
}
