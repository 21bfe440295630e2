"""A light Streamlit client for `bench load`: Streamlit's own websocket protocol, no browser.

A browser tab talks to the server over one websocket, `/_stcore/stream`, in protobufs that Streamlit ships
(`streamlit.proto`): the tab sends a `BackMsg` whose `rerun_script` (a `ClientState`) names the page, the query
string and the widgets that changed; the server answers with `ForwardMsg`s: `new_session` when a run starts (a
fragment's run names its fragment and redraws only that), a `delta` per element (its place in the page is
`metadata.delta_path`), `navigation`, `page_info_changed` (the query string), `auto_rerun` (a fragment that wants
a rerun every few seconds) and `script_finished` when the run ends. This client does the same with a few
kilobytes of state per learner, so thirty of them cost the machine little next to the server they measure.

A widget is found by its label (or its key, the end of its id) among the elements of the latest run, and
changed by sending its new value the way the browser serialises it (`widget_value`). A widget drawn inside a
fragment is sent with that fragment's id, so only the fragment reruns, as in the browser.
"""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FULL_RUN, COMPILE_ERROR, EARLY_FOR_RERUN, FRAGMENT_RUN = 0, 1, 2, 3  # ForwardMsg.ScriptFinishedStatus
STREAM_PATH = "/_stcore/stream"


@dataclass
class Widget:
    """A widget of the latest run: its element kind (`button`, `selectbox`, ...), id, label and fragment."""

    kind: str
    id: str
    label: str
    fragment_id: str
    proto: Any

    @property
    def key(self) -> str:
        """The user key a page gave it (`key=`), the last part of its id; '' for widgets without one."""
        parts = self.id.split("-", 2)  # "$$ID-<hash>-<key>"
        key = parts[2] if len(parts) == 3 and parts[0] == "$$ID" else ""
        return "" if key == "None" else key


@dataclass
class RunResult:
    """What one rerun brought: seconds from the message sent to its `script_finished` (None: it timed out),
    the elements drawn, and the problems a learner would see."""

    seconds: float | None
    elements: dict[tuple[int, ...], Element] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # st.error sentences

    @property
    def timed_out(self) -> bool:
        return self.seconds is None


def widget_value(widget: Widget, value: Any) -> WidgetState:
    """The `WidgetState` a browser sends for `value`: a press (True) for buttons, the option's text for a
    selectbox or radio, a list of texts for a multiselect, JSON for a custom component, a number for a slider."""
    state = WidgetState(id=widget.id)
    if widget.kind in ("button", "download_button"):
        state.trigger_value = bool(value)
    elif widget.kind in ("selectbox", "radio", "text_input", "text_area"):
        state.string_value = str(value)
    elif widget.kind == "multiselect":
        state.string_array_value.data.extend(str(item) for item in value)
    elif widget.kind == "bidi_component":
        state.json_value = value if isinstance(value, str) else json.dumps(value)
    elif widget.kind in ("checkbox", "toggle"):
        state.bool_value = bool(value)
    elif widget.kind == "slider":
        state.double_array_value.data.extend(value if isinstance(value, (list, tuple)) else [value])
    elif widget.kind == "number_input":
        state.double_value = float(value)
    else:
        raise ValueError(f"bench load cannot set a {widget.kind} widget")
    return state


def element_text(element: Element) -> str:
    """A short text for an element: a widget's or metric's label, a heading's or alert's body."""
    kind = element.WhichOneof("type")
    proto = getattr(element, kind) if kind else None
    for name in ("label", "body", "message"):
        if proto is not None and name in proto.DESCRIPTOR.fields_by_name:
            text = getattr(proto, name)
            if text:
                return str(text)
    return ""


def widgets_of(elements: dict[tuple[int, ...], Element], fragments: dict[tuple[int, ...], str]) -> list[Widget]:
    """Every element with a widget id, in page order."""
    found = []
    for path in sorted(elements):
        element = elements[path]
        kind = element.WhichOneof("type")
        proto = getattr(element, kind) if kind else None
        if kind is None or proto is None or "id" not in proto.DESCRIPTOR.fields_by_name or not proto.id:
            continue
        label = getattr(proto, "label", "") if "label" in proto.DESCRIPTOR.fields_by_name else ""
        found.append(Widget(kind, proto.id, label, fragments.get(path, ""), proto))
    return found


class LabSession:
    """One learner's browser tab, as a websocket speaking Streamlit's protocol (see the module docstring).

    `open(path)` runs a page as a first visit does; `navigate(page)` switches pages the way the app's own links
    do (by the page's script hash); `rerun(widgets)` sends changed widget values. Each returns a `RunResult`
    once the run it started has finished, or after `timeout` seconds."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        parts = urlparse(base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        self.stream_url = f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}{STREAM_PATH}"
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.socket: Any = None
        self.pages: dict[str, str] = {}  # url path ('' for Home) -> page script hash
        self.page_hash = ""
        self.query = ""
        self.elements: dict[tuple[int, ...], Element] = {}
        self.fragments: dict[tuple[int, ...], str] = {}  # delta path -> fragment id, for widgets in fragments
        self.auto_reruns: dict[str, float] = {}  # fragment id -> seconds between its reruns
        self._inbox: asyncio.Queue[ForwardMsg] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        self.socket = await connect(self.stream_url, subprotocols=["streamlit"], max_size=None,  # type: ignore[list-item]
                                    open_timeout=self.timeout, ping_interval=None)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
        if self.socket is not None:
            await self.socket.close()

    async def _read(self) -> None:
        try:
            async for frame in self.socket:
                message = ForwardMsg()
                message.ParseFromString(frame)
                self._inbox.put_nowait(message)
        except Exception:  # a closed connection ends the reader; a waiting rerun then times out
            pass

    # -- sending -----------------------------------------------------------------------------------------
    async def open(self, path: str = "/", query: str = "") -> RunResult:
        """A first visit to `path` (e.g. '/stages'), as a browser opening that address."""
        if self.socket is None:
            await self.connect()
        self.query, self.page_hash = query, ""
        state = ClientState(query_string=query, page_name=path.strip("/"))
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        state.context_info.url = f"{self.base_url}{path}{'?' + query if query else ''}"
        return await self._send(state, fragment_id="")

    async def navigate(self, url_path: str, query: str = "") -> RunResult:
        """Switch to the page at `url_path` ('' for Home) in this tab, as the app's page links do."""
        self.query = query
        if url_path not in self.pages:
            raise LookupError(f"no page at /{url_path}; the server lists {sorted(self.pages)}")
        return await self._send(ClientState(query_string=query, page_script_hash=self.pages[url_path]), "")

    async def rerun(self, *changes: tuple[Widget, Any]) -> RunResult:
        """Send new values of widgets of the current page (all in one fragment, or none)."""
        state = ClientState(query_string=self.query, page_script_hash=self.page_hash)
        state.widget_states.widgets.extend(widget_value(widget, value) for widget, value in changes)
        fragments = {widget.fragment_id for widget, _ in changes}
        return await self._send(state, fragment_id=fragments.pop() if len(fragments) == 1 else "")

    async def refresh_fragment(self, fragment_id: str) -> RunResult:
        """What a browser sends when a fragment's `run_every` comes round."""
        state = ClientState(query_string=self.query, page_script_hash=self.page_hash, is_auto_rerun=True)
        return await self._send(state, fragment_id)

    async def _send(self, state: ClientState, fragment_id: str) -> RunResult:
        state.fragment_id = fragment_id
        self._drain()  # what arrived since the last run (a late fragment, a ping): not this run's
        started = time.perf_counter()
        await self.socket.send(BackMsg(rerun_script=state).SerializeToString())
        # a fragment's run may end in a full run (its st.rerun(), e.g. when a followed job ends): that finishes it too
        return await self._collect(started, {FRAGMENT_RUN, FULL_RUN} if fragment_id else {FULL_RUN})

    # -- receiving ---------------------------------------------------------------------------------------
    def _drain(self) -> None:
        while not self._inbox.empty():
            self._apply(self._inbox.get_nowait(), RunResult(None))

    async def _collect(self, started: float, finishes: set[int]) -> RunResult:
        """Apply messages until the run this message started finishes (one of `finishes`, or a compile error)."""
        result = RunResult(None)
        deadline = started + self.timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return result
            try:
                message = await asyncio.wait_for(self._inbox.get(), remaining)
            except asyncio.TimeoutError:
                return result
            status = self._apply(message, result)
            if status in finishes or status == COMPILE_ERROR:
                result.seconds = time.perf_counter() - started
                result.elements = dict(self.elements)
                return result

    def _apply(self, message: ForwardMsg, result: RunResult) -> int | None:
        """Update the page as the browser would; returns the `script_finished` status, if this is that."""
        kind = message.WhichOneof("type")
        if kind == "new_session" and not message.metadata.run.fragment_ids:  # a full run redraws the whole page
            self.elements, self.fragments, self.auto_reruns = {}, {}, {}
        elif kind == "delta":
            self._apply_delta(message, result)
        elif kind == "navigation":
            self.pages = {page.url_pathname: page.page_script_hash for page in message.navigation.app_pages}
            self.page_hash = message.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query = message.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.auto_reruns[message.auto_rerun.fragment_id] = message.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            self.auto_reruns.clear()
        elif kind == "script_finished":
            return int(message.script_finished)
        return None

    def _apply_delta(self, message: ForwardMsg, result: RunResult) -> None:
        path = tuple(message.metadata.delta_path)
        delta = message.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        self.elements[path] = element
        if delta.fragment_id:
            self.fragments[path] = delta.fragment_id
        kind = element.WhichOneof("type")
        if kind == "exception":
            result.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "alert" and element.alert.format == element.alert.ERROR:
            result.errors.append(element.alert.body)

    # -- reading the page ----------------------------------------------------------------------------------
    def widgets(self) -> list[Widget]:
        return widgets_of(self.elements, self.fragments)

    def widget(self, label: str = "", key: str = "", kind: str = "") -> Widget:
        """The first widget of the current page with this label (or key, or element kind)."""
        for found in self.widgets():
            if ((not label or found.label == label) and (not key or found.key.startswith(key))
                    and (not kind or found.kind == kind)):
                return found
        raise LookupError(f"no widget {label or key or kind!r} on the page")

    def texts(self, kind: str) -> list[str]:
        """The texts of the current page's elements of one kind (e.g. 'metric' labels, 'heading' bodies)."""
        return [element_text(element) for path, element in sorted(self.elements.items())
                if element.WhichOneof("type") == kind]
