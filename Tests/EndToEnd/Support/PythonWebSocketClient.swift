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

    /// Whether `python3` with `websockets` is available. If the package is
    /// missing it is installed from PyPI once (a test-only tool, like
    /// `.ci/run` does), so `swift test` works on a fresh machine with pip.
    static var isAvailable: Bool {
        if PipedProcess.pythonHasModule("websockets") { return true }
        for extra in [[], ["--user"]] {
            let arguments =
                ["python3", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"] + extra + ["websockets"]
            guard let pip = try? PipedProcess(executable: "/usr/bin/env", arguments: arguments) else { return false }
            pip.closeInput()
            _ = pip.waitForExit(timeout: 120)
            if PipedProcess.pythonHasModule("websockets") { return true }
        }
        return false
    }

    /// Starts the client for `url` as `name` in `room`.
    static func start(url: String, name: String, room: String) throws -> PipedProcess {
        try PipedProcess(executable: "/usr/bin/env", arguments: ["python3", "-u", "-c", script, url, name, room])
    }
}
