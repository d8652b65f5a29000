#!/usr/bin/env python3
"""The chat page as a user meets it (issue 10), in Debian's headless Chromium:

  1. page load: bytes over the wire (fresh profile, then a reload with the
     cache) and navigation start to the load event;
  2. time to first message: Join pressed to the 100 history lines shown;
  3. a message typed and sent to its echo shown (ROUNDS round trips, median and
     worst), through the server while a TCP member sends 200 lines/s in the room.

    bench/page.py [BIN_DIR]          (default .build/release)

Starts its own machat (-data-dir none, ephemeral loopback ports) and the CDP
harness of the browser tests (Tests/WebAssetsTests/Browser/cdp_harness.py),
and stops both. Prints a Markdown table.
"""

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release")
ROUNDS = int(os.environ.get("ROUNDS", "20"))


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit(f"page.py: timed out waiting for {what}")


class Harness:
    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "Tests/WebAssetsTests/Browser/cdp_harness.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = json.loads(self.process.stdout.readline())
        if ready.get("event") != "ready":
            raise SystemExit(f"page.py: chromium did not start: {ready}")
        self.product = ready.get("product")
        self.next_id = 0

    def __call__(self, cmd, **fields):
        self.next_id += 1
        self.process.stdin.write(json.dumps({"cmd": cmd, "id": self.next_id, **fields}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        if not answer.get("ok"):
            raise SystemExit(f"page.py: {cmd} failed: {answer.get('error')}")
        return answer.get("value")

    def quit(self):
        try:
            self("quit")
        except (BrokenPipeError, SystemExit, ValueError):
            pass
        self.process.wait(timeout=20)


def tcp_member(port, name, room):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(json.dumps({"name": name, "room": room}).encode() + b"\n")
    return sock


# What the page fetched: the navigation and every resource, bytes on the wire.
TRANSFERRED = """(() => {
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  return {bytes: entries.reduce((s, e) => s + e.transferSize, 0), files: entries.length,
          body: entries.reduce((s, e) => s + e.encodedBodySize, 0),
          load_ms: performance.getEntriesByType('navigation')[0].loadEventEnd};
})()"""

# Join pressed, resolved when `count` messages are in the list.
JOIN_UNTIL = """new Promise((resolve) => {
  const t0 = performance.now();
  const done = () => document.querySelectorAll('#messages [data-offset]').length >= %d;
  const observer = new MutationObserver(() => { if (done()) { observer.disconnect(); resolve(performance.now() - t0); } });
  observer.observe(document.body, {subtree: true, childList: true});
  document.querySelector('[data-testid=join-button]').click();
})"""

# A line typed and submitted, resolved when its echo (marked as ours) is shown.
ROUND_TRIP = """new Promise((resolve) => {
  const text = 'ping ' + %d;
  const t0 = performance.now();
  const shown = () => [...document.querySelectorAll('#messages .mine .text')].some((e) => e.textContent === text);
  const observer = new MutationObserver(() => { if (shown()) { observer.disconnect(); resolve(performance.now() - t0); } });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  const input = document.querySelector('[data-testid=message-input]');
  input.value = text;
  input.form.requestSubmit();
})"""


def main():
    work = tempfile.mkdtemp(prefix="machat-page-")
    log_path = os.path.join(work, "machat.log")
    log = open(log_path, "w")
    machat = subprocess.Popen([os.path.join(BIN, "machat"), "-tcp", "127.0.0.1:0", "-ws", "127.0.0.1:0",
                               "-data-dir", "none", "-runtime-dir", os.path.join(work, "run")], stderr=log)
    browser = None
    talker_stop = threading.Event()
    try:
        def ports():
            text = open(log_path).read()
            tcp = re.search(r'msg="tcp listening" addr=127\.0\.0\.1:(\d+)', text)
            ws = re.search(r'msg="ws listening" addr=127\.0\.0\.1:(\d+)', text)
            ready = text.count('msg="gateway ready"') >= 2
            return (int(tcp.group(1)), int(ws.group(1))) if tcp and ws and ready else None

        tcp_port, ws_port = wait_for(ports, 20, "machat to listen")
        url = f"http://127.0.0.1:{ws_port}/#room=dev&name=Mina"
        # 150 lines of history, written and echoed before the page comes.
        seed = tcp_member(tcp_port, "Bo", "dev")
        seed.sendall(b"".join(b"history line %d with some typical chat text\n" % i for i in range(1, 151)))
        received = b""
        while received.count(b"\n") < 150:
            received += seed.recv(65536)

        browser = Harness()
        browser("open", url=url, timeout=20)
        fresh = browser("eval", expr=TRANSFERRED)
        browser("open", url="about:blank", timeout=20)
        browser("open", url=url, timeout=20)
        cached = browser("eval", expr=TRANSFERRED)
        first = browser("eval", expr=JOIN_UNTIL % 100)
        browser("wait", expr="document.querySelector('[data-testid=status]').dataset.state === 'online'", timeout=10)

        # A member talking in the room the whole time: 200 lines/s.
        def talk():
            sock = tcp_member(tcp_port, "Cy", "dev")
            sock.setblocking(False)
            k = 0
            while not talker_stop.is_set() and k < 20_000:
                k += 1
                try:
                    sock.sendall(b"busy line %d\n" % k)
                    while True:
                        if not sock.recv(65536):
                            break
                except BlockingIOError:
                    pass
                time.sleep(0.005)
            sock.close()

        talker = threading.Thread(target=talk, daemon=True)
        talker.start()
        trips = [browser("eval", expr=ROUND_TRIP % k) for k in range(ROUNDS)]
        talker_stop.set()
        talker.join(timeout=10)
        seed.close()

        print(f"Chromium: {browser.product}; machat {BIN}")
        print()
        print("| measure | value |")
        print("|---|---|")
        print(f"| page load, fresh profile | {fresh['bytes']:,} bytes over the wire in {fresh['files']} responses "
              f"({fresh['body']:,} bytes of bodies), load event at {fresh['load_ms']:.0f} ms |")
        print(f"| page load again, with the cache | {cached['bytes']:,} bytes over the wire in {cached['files']} responses, "
              f"load event at {cached['load_ms']:.0f} ms |")
        print(f"| Join pressed to 100 history lines shown | {first:.0f} ms |")
        print(f"| message sent to its echo shown ({ROUNDS} times, another member sending 200 lines/s) | "
              f"median {statistics.median(trips):.1f} ms, worst {max(trips):.1f} ms |")
    finally:
        talker_stop.set()
        if browser:
            browser.quit()
        machat.terminate()
        machat.wait(timeout=20)
        log.close()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
