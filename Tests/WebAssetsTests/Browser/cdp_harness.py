#!/usr/bin/env python3
"""Drives a real headless Chromium for browser tests through the Chrome DevTools
Protocol (CDP), over its WebSocket, with Python's `websockets` package.

    python3 cdp_harness.py [--chromium /usr/bin/chromium] [--tmp-parent DIR]

It starts Chromium with --headless=new --remote-debugging-port=0 and a fresh
--user-data-dir (a temporary directory), reads the DevTools URL from Chromium's
stderr, then answers JSON commands, one object per line on stdin, with one JSON
object per line on stdout. On "quit", end of stdin, SIGTERM or SIGINT it kills
Chromium's whole process group and removes the temporary directory; Chromium
also gets SIGKILL if this script dies first (PR_SET_PDEATHSIG).

First line on stdout: {"event":"ready","product":"Chrome/…","devtools":"ws://…"}
(or {"event":"failed","error":…} and exit status 2).

Every command may carry "id" (echoed in its answer) and "page" (a name; default
"main"; a page is created by its first "open"). Answers are
{"id":I,"ok":true,"value":V} or {"id":I,"ok":false,"error":"…"}.

    {"cmd":"open","url":U,"timeout":S}        navigate, wait for readyState "complete"
    {"cmd":"eval","expr":E}                    Runtime.evaluate (awaits promises); value = the JSON result
    {"cmd":"wait","expr":E,"timeout":S}        poll E every 50 ms until truthy (as JavaScript judges); value =
                                               that result (a DOM node: true); on timeout an error with E's last value
    {"cmd":"click","selector":C}               scroll into view, real mouse press and release at its centre
    {"cmd":"focus","selector":C}               element.focus()
    {"cmd":"type","text":T,"selector":C?}      focus C if given, then Input.insertText(T)
    {"cmd":"key","key":K,"modifiers":[M…]}     K: Enter, Tab, Escape, Backspace, Space, ArrowUp, ArrowDown,
                                               ArrowLeft, ArrowRight, Home, End; M: Shift, Control, Alt, Meta
    {"cmd":"viewport","width":W,"height":H,"scale":F,"mobile":B}   Emulation.setDeviceMetricsOverride
    {"cmd":"color_scheme","value":"light"|"dark"|""}               emulated prefers-color-scheme
    {"cmd":"screenshot","path":P}              PNG of the viewport; value = {"path":P,"bytes":N}
    {"cmd":"logs","clear":B}                   console calls, exceptions, Log entries (CSP violations,
                                               network errors) and dialogs since the last clear:
                                               [{"kind":"console"|"exception"|"log"|"dialog","level":…,"text":…}]
    {"cmd":"close","page":P}                   close a page
    {"cmd":"quit"}
JavaScript dialogs (alert, confirm) are dismissed at once and recorded as "dialog" logs.
"""

import argparse
import asyncio
import base64
import collections
import ctypes
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time

try:
    from websockets.asyncio.client import connect
except ImportError:
    sys.stderr.write("cdp_harness: Python package 'websockets' (13 or later) is missing: pip install websockets\n")
    sys.exit(3)

KEYS = {
    # key: (code, windowsVirtualKeyCode, text)
    "Enter": ("Enter", 13, "\r"), "Tab": ("Tab", 9, ""), "Escape": ("Escape", 27, ""),
    "Backspace": ("Backspace", 8, ""), "Space": ("Space", 32, " "), "ArrowUp": ("ArrowUp", 38, ""),
    "ArrowDown": ("ArrowDown", 40, ""), "ArrowLeft": ("ArrowLeft", 37, ""), "ArrowRight": ("ArrowRight", 39, ""),
    "Home": ("Home", 36, ""), "End": ("End", 35, ""),
}
MODIFIERS = {"Alt": 1, "Control": 2, "Meta": 4, "Shift": 8}


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



def die_with_parent():
    # In the child before exec: SIGKILL when this harness dies (prctl(2), PR_SET_PDEATHSIG = 1).
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


def become_subreaper():
    # Orphaned Chromium helpers become our children (prctl(2), PR_SET_CHILD_SUBREAPER = 36), so
    # reap_orphans() can collect them instead of leaving zombies to PID 1.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    except Exception:
        pass


def reap_orphans():
    # Bounded: wait up to 5 s for the last helpers to exit, collecting each.
    for _ in range(100):
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


class CommandError(Exception):
    pass


class DevTools:
    """One CDP connection to the browser; pages are flat sessions on it."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.pending = {}
        self.listeners = []
        self.reader = asyncio.ensure_future(self.read())

    async def read(self):
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                if "id" in message:
                    future = self.pending.pop(message["id"], None)
                    if future and not future.done():
                        if "error" in message:
                            future.set_exception(CommandError(f"CDP error: {message['error'].get('message')}"))
                        else:
                            future.set_result(message.get("result", {}))
                else:
                    for listener in list(self.listeners):
                        listener(message)
        finally:
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(CommandError("the DevTools connection closed"))

    async def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        await self.ws.send(json.dumps(message))
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            self.pending.pop(message["id"], None)
            raise CommandError(f"{method} got no answer within {timeout} s")


class Page:
    def __init__(self, devtools, target, session):
        self.devtools = devtools
        self.target = target
        self.session = session
        self.logs = []
        devtools.listeners.append(self.on_event)

    @classmethod
    async def create(cls, devtools):
        target = (await devtools.call("Target.createTarget", {"url": "about:blank"}))["targetId"]
        session = (await devtools.call("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
        page = cls(devtools, target, session)
        for domain in ("Page", "Runtime", "Log"):
            await page.call(f"{domain}.enable")
        return page

    def call(self, method, params=None, timeout=30):
        return self.devtools.call(method, params, session=self.session, timeout=timeout)

    def on_event(self, message):
        if message.get("sessionId") != self.session:
            return
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
            self.logs.append({"kind": "console", "level": params.get("type"), "text": text})
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "")
            self.logs.append({"kind": "exception", "level": "error", "text": text})
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            self.logs.append({"kind": "log", "level": entry.get("level"), "source": entry.get("source"),
                              "text": entry.get("text", "")})
        elif method == "Page.javascriptDialogOpening":
            self.logs.append({"kind": "dialog", "level": params.get("type"), "text": params.get("message", "")})
            asyncio.ensure_future(self.call("Page.handleJavaScriptDialog", {"accept": False}))

    async def evaluate(self, expr, timeout=30):
        result = await self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True},
                                 timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CommandError("JavaScript exception: "
                               + (details.get("exception", {}).get("description") or details.get("text", "")))
        return result.get("result", {}).get("value")

    async def wait(self, expr, timeout):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        value = None
        # Truthiness is JavaScript's (an empty array or object is true); a DOM node comes back as true.
        probe = ("Promise.resolve(%s).then((v) => [!!v, v instanceof Node ? true : v])" % expr)
        while True:
            try:
                truthy, value = await self.evaluate(probe, timeout=max(1, timeout))
            except CommandError as error:
                value = str(error)
            else:
                if truthy:
                    return value
            if loop.time() >= deadline:
                raise CommandError(f"timed out after {timeout} s waiting for {expr}; last value: {json.dumps(value)}")
            await asyncio.sleep(0.05)

    async def element_centre(self, selector):
        box = await self.evaluate(
            "(() => { const e = document.querySelector(%s); if (!e) return null;"
            " e.scrollIntoView({block: 'center', inline: 'center'}); const r = e.getBoundingClientRect();"
            " return {x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width, h: r.height}; })()"
            % json.dumps(selector))
        if not box:
            raise CommandError(f"no element matches {selector}")
        if box["w"] <= 0 or box["h"] <= 0:
            raise CommandError(f"{selector} is not visible (size {box['w']}x{box['h']})")
        return box["x"], box["y"]

    async def click(self, selector):
        x, y = await self.element_centre(selector)
        await self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        for kind in ("mousePressed", "mouseReleased"):
            await self.call("Input.dispatchMouseEvent",
                            {"type": kind, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1})

    async def key(self, key, modifiers):
        if key not in KEYS:
            raise CommandError(f"unknown key {key}; known: {', '.join(KEYS)}")
        code, vk, text = KEYS[key]
        bits = 0
        for modifier in modifiers:
            if modifier not in MODIFIERS:
                raise CommandError(f"unknown modifier {modifier}")
            bits |= MODIFIERS[modifier]
        down = {"type": "keyDown" if text else "rawKeyDown", "key": key, "code": code, "modifiers": bits,
                "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk}
        if text:
            down.update(text=text, unmodifiedText=text)
        await self.call("Input.dispatchKeyEvent", down)
        await self.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": code, "modifiers": bits,
                                                   "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk})


class Harness:
    def __init__(self, args):
        self.args = args
        self.tmp = None
        self.process = None
        self.devtools = None
        self.stderr_tail = collections.deque(maxlen=200)
        self.pages = {}

    async def start(self):
        self.tmp = tempfile.mkdtemp(prefix="machat-chromium-", dir=self.args.tmp_parent)
        argv = [self.args.chromium, "--headless=new", "--remote-debugging-port=0", f"--user-data-dir={self.tmp}",
                "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
                "--disable-features=Translate,MediaRouter,OptimizationHints", "about:blank"]
        self.process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE, start_new_session=True, preexec_fn=die_with_parent)
        url = await asyncio.wait_for(self.devtools_url(), 30)
        asyncio.ensure_future(self.drain_stderr())
        ws = await connect(url, max_size=None, ping_interval=None, open_timeout=15)
        self.devtools = DevTools(ws)
        version = await self.devtools.call("Browser.getVersion")
        return {"event": "ready", "product": version.get("product"), "devtools": url}

    async def devtools_url(self):
        while True:
            line = await self.process.stderr.readline()
            if not line:
                raise CommandError("chromium exited before printing its DevTools URL:\n" + "\n".join(self.stderr_tail))
            text = line.decode("utf-8", "replace").rstrip()
            self.stderr_tail.append(text)
            match = re.search(r"DevTools listening on (ws://\S+)", text)
            if match:
                return match.group(1)

    async def drain_stderr(self):
        while self.process and self.process.stderr:
            line = await self.process.stderr.readline()
            if not line:
                return
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    async def page(self, name, create=False):
        if name not in self.pages:
            if not create:
                raise CommandError(f"no page {name!r}; open it first")
            self.pages[name] = await Page.create(self.devtools)
        return self.pages[name]

    async def run(self, cmd):
        kind = cmd.get("cmd")
        name = cmd.get("page", "main")
        timeout = float(cmd.get("timeout", 15))
        if kind == "open":
            page = await self.page(name, create=True)
            result = await page.call("Page.navigate", {"url": cmd["url"]}, timeout=timeout)
            if result.get("errorText"):
                raise CommandError(f"cannot open {cmd['url']}: {result['errorText']}")
            await page.wait("document.readyState === 'complete'", timeout)
            return None
        if kind == "close":
            page = self.pages.pop(name, None)
            if page:
                self.devtools.listeners.remove(page.on_event)
                await self.devtools.call("Target.closeTarget", {"targetId": page.target})
            return None
        page = await self.page(name)
        if kind == "eval":
            return await page.evaluate(cmd["expr"], timeout=timeout)
        if kind == "wait":
            return await page.wait(cmd["expr"], timeout)
        if kind == "click":
            await page.click(cmd["selector"])
            return None
        if kind == "focus":
            await page.evaluate("document.querySelector(%s).focus()" % json.dumps(cmd["selector"]))
            return None
        if kind == "type":
            if cmd.get("selector"):
                await page.evaluate("document.querySelector(%s).focus()" % json.dumps(cmd["selector"]))
            await page.call("Input.insertText", {"text": cmd["text"]})
            return None
        if kind == "key":
            await page.key(cmd["key"], cmd.get("modifiers", []))
            return None
        if kind == "viewport":
            await page.call("Emulation.setDeviceMetricsOverride", {
                "width": int(cmd["width"]), "height": int(cmd["height"]),
                "deviceScaleFactor": float(cmd.get("scale", 1)), "mobile": bool(cmd.get("mobile", False))})
            return None
        if kind == "color_scheme":
            await page.call("Emulation.setEmulatedMedia",
                            {"features": [{"name": "prefers-color-scheme", "value": cmd.get("value", "")}]})
            return None
        if kind == "screenshot":
            data = base64.b64decode((await page.call("Page.captureScreenshot", {"format": "png"}, timeout=timeout))["data"])
            with open(cmd["path"], "wb") as f:
                f.write(data)
            return {"path": cmd["path"], "bytes": len(data)}
        if kind == "logs":
            logs = list(page.logs)
            if cmd.get("clear", True):
                page.logs.clear()
            return logs
        raise CommandError(f"unknown command {kind!r}")

    async def serve(self):
        lines = stdin_reader()
        while True:
            line = await lines.get()
            if line is None:
                return
            if not line.strip():
                continue
            try:
                cmd = json.loads(line)
            except ValueError as error:
                emit({"ok": False, "error": f"bad JSON: {error}"})
                continue
            if cmd.get("cmd") == "quit":
                emit({"id": cmd.get("id"), "ok": True, "value": None})
                return
            try:
                emit({"id": cmd.get("id"), "ok": True, "value": await self.run(cmd)})
            except (CommandError, KeyError, ValueError, TypeError, OSError) as error:
                emit({"id": cmd.get("id"), "ok": False, "error": f"{type(error).__name__}: {error}"})

    async def stop(self):
        if self.devtools:
            # Browser.close shuts Chromium down in order: it ends and reaps its own helpers.
            try:
                await self.devtools.call("Browser.close", timeout=3)
            except Exception:
                pass
            try:
                await asyncio.wait_for(self.devtools.ws.close(), 2)
            except Exception:
                pass
        if self.process and self.process.returncode is None:
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except asyncio.TimeoutError:
                pass
        if self.process and self.process.returncode is None:
            for sig, grace in ((signal.SIGTERM, 3), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    await asyncio.wait_for(self.process.wait(), grace)
                    break
                except asyncio.TimeoutError:
                    pass
        if self.process:
            # Helpers (crashpad, zygotes) share the process group; make sure none outlives us.
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            reap_orphans()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


async def main():
    parser = argparse.ArgumentParser(description="Headless Chromium over CDP, driven by JSON lines")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--tmp-parent", default=None, help="where to create the temporary profile directory")
    args = parser.parse_args()
    become_subreaper()
    harness = Harness(args)
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    status = 0
    try:
        emit(await harness.start())
        await harness.serve()
    except asyncio.CancelledError:
        status = 1
    except Exception as error:
        emit({"event": "failed", "error": f"{type(error).__name__}: {error}", "stderr": list(harness.stderr_tail)[-20:]})
        status = 2
    finally:
        await harness.stop()
    return status


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
