"""Headless Chromium driven over the DevTools protocol (CDP), for what a command line cannot
do: pick a file in a file input, type into a box, wait on the page's own state in real time.

One browser per :func:`devtools` block, its own profile, every host but 127.0.0.1
unresolvable; stopped by its PID afterwards.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import websocket

from tests.system.chromium import NO_NETWORK


class Tab:
    """One page of the browser: send a CDP command, evaluate JavaScript, wait for a value."""

    def __init__(self, socket: websocket.WebSocket) -> None:
        self._socket = socket
        self._ids = itertools.count(1)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        call = next(self._ids)
        self._socket.send(json.dumps({"id": call, "method": method, "params": params}))
        while True:  # events arrive in between; only this call's answer is wanted
            message = json.loads(self._socket.recv())
            if message.get("id") == call:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def evaluate(self, expression: str) -> Any:
        answer = self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def open(self, url: str) -> None:
        self.send("Page.navigate", url=url)

    def wait_for(self, expression: str, timeout: float = 30) -> Any:
        """The value of ``expression`` once it is truthy (polled every 10 ms)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.evaluate(expression)
            except RuntimeError:
                value = None  # the page is between documents
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{expression} stayed falsy for {timeout} s")
            time.sleep(0.01)

    def choose_file(self, selector: str, path: Path) -> None:
        """Pick ``path`` in the file input ``selector``, as a reader would (a change event)."""
        document = self.send("DOM.getDocument")
        node = self.send("DOM.querySelector", nodeId=document["root"]["nodeId"], selector=selector)
        self.send("DOM.setFileInputFiles", files=[str(path)], nodeId=node["nodeId"])


@contextmanager
def devtools(chromium: Path, profile: Path, size: tuple[int, int] = (390, 844)) -> Iterator[Tab]:
    profile.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            str(chromium),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            f"--window-size={size[0]},{size[1]}",
            "--accept-lang=vi-VN,vi",
            NO_NETWORK,
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    socket: websocket.WebSocket | None = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.is_file() or not port_file.read_text().strip():
            assert process.poll() is None, "chromium exited"
            assert time.monotonic() < deadline, "chromium did not open DevTools in 30 s"
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        pages = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(p for p in pages if p["type"] == "page")
        socket = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True
        )
        tab = Tab(socket)
        tab.send("Page.enable")
        yield tab
    finally:
        if socket is not None:
            socket.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
