"""
flockflow Python worker: runs Python code nodes (SPEC §4) one job at a time, in a `python3 -I -u`
process started and owned by the host. Standard library only.

Protocol (JSON lines, one object per line, UTF-8, at most MAX_FRAME bytes):
  host -> worker on stdin:  {"type": "run", "job": J, "node_id", "code_id": C, "code"?, "forget"?, "inputs", "requirements"}
                            {"type": "reply", "id": N, "ok": true, "value": ...}
                            {"type": "reply", "id": N, "ok": false, "error": {"name", "message"}}
  worker -> host on fd 3:   {"type": "ready", "python": "3.11.7"}
                            {"type": "call", "job": J, "id": N, "call": {"kind", ...}}
                            {"type": "done", "job": J, "outputs": {...}, "stdout": "..."}
                            {"type": "failed", "job": J, "error": {"type", "message", "traceback"}, "stdout": "..."}
A job names its code by id; the code's text comes with the first job that uses it on this worker,
and the worker keeps it, compiled, for the later ones. `forget` tells the worker to drop every code
it holds first: the host sends it when its bound on the table is reached, so both sides stay bounded.
The protocol has its own file descriptor so that nothing user code prints can corrupt it; stdout
and stderr are captured per job while a job runs.

Host calls (`tool.run`, `llm.ask`, ...) are synchronous for user code and thread-safe: each waits
on its own slot, and whichever waiting thread is reading hands the others' replies out by id, so
several threads of one node may call `llm.ask` at once. A `cancel` frame is read only while a thread
waits on the host; `cancelled()` is a courtesy, the kill is what stops a node. The host never asks a job to stop: on a deadline or cancel it kills
this process's whole process group.
"""
import builtins
import io
import json
import operator
import os
import queue
import re
import sys
import threading
import traceback

MAX_FRAME = 64 * 1024 * 1024
SHIM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shim")
if SHIM_DIR not in sys.path:
    sys.path.insert(0, SHIM_DIR)

_PROTOCOL_FD = 3
# The host's frames arrive on fd 0, read through a private duplicate: user code's `exit()` closes
# sys.stdin (site.Quitter does), and a node must never be able to cut the protocol. Each job gets a
# fresh empty stdin instead.
_host_frames = os.fdopen(os.dup(0), "rb")
_write_lock = threading.Lock()
_pending = {}
_pending_lock = threading.Lock()
_next_id = [0]
_cancelled = threading.Event()


_encode = json.JSONEncoder(ensure_ascii=False, default=str, allow_nan=False).encode
# Bound now, so a node that patches `os` or `json` cannot break the protocol for later nodes.
_write, _decode = os.write, json.loads


def _send(frame):
    # A lone surrogate in user data becomes the text `\udcxx`, which the host reads back as a JSON
    # escape (the frame stays valid UTF-8).
    data = memoryview((_encode(frame) + "\n").encode("utf-8", "backslashreplace"))
    if len(data) > MAX_FRAME + 1:
        raise ValueError("message to the host is larger than %d bytes" % MAX_FRAME)
    with _write_lock:
        while data:
            data = data[_write(_PROTOCOL_FD, data):]


class RunCancelledError(BaseException):
    """The run was cancelled. A BaseException, so `except Exception` in user code lets it through."""


class ToolError(RuntimeError):
    pass


class ToolNotFoundError(ToolError):
    pass


class LlmError(ValueError):
    pass


_ERRORS = {
    "RunCancelledError": RunCancelledError,
    "ToolError": ToolError,
    "ToolNotFoundError": ToolNotFoundError,
    "TimeoutError": TimeoutError,
}


def _rebuild_error(error):
    name = error.get("name") or "Error"
    message = error.get("message") or ""
    cls = _ERRORS.get(name)
    if cls is None:
        cls = LlmError if name.startswith("Llm") else RuntimeError
    exc = cls(message)
    exc.flockflow_name = name
    return exc


class _Slot:
    __slots__ = ("event", "reply")

    def __init__(self):
        self.event = threading.Event()
        self.reply = None


def _host_call(job, call):
    slot = _Slot()
    with _pending_lock:
        _next_id[0] += 1
        call_id = _next_id[0]
        _pending[call_id] = slot
    try:
        _send({"type": "call", "job": job, "id": call_id, "call": call})
        _read_until(slot.event.is_set)
    finally:
        with _pending_lock:
            _pending.pop(call_id, None)
    reply = slot.reply
    if reply.get("ok"):
        return reply.get("value")
    raise _rebuild_error(reply.get("error") or {})


class _ToolFacade:
    def __init__(self, job):
        self._job = job

    def run(self, name, **kwargs):
        return _host_call(self._job, {"kind": "tool", "name": str(name), "args": kwargs})

    def run_safe(self, name, **kwargs):
        return _host_call(self._job, {"kind": "tool_safe", "name": str(name), "args": kwargs})


class _LlmFacade:
    _OPTIONAL = ("model", "provider_id", "timeout_s", "max_retries", "retry_delay_s", "ttft_timeout_s", "idle_timeout_s")

    def __init__(self, job):
        self._job = job

    def ask(self, prompt, temperature=None, *, model=None, provider_id=None, timeout_s=None, max_retries=None,
            retry_delay_s=None, ttft_timeout_s=None, idle_timeout_s=None):
        # Arguments not passed are left out, so the workflow's and the config's defaults apply (SPEC §4).
        given = {"model": model, "provider_id": provider_id, "timeout_s": timeout_s, "max_retries": max_retries,
                 "retry_delay_s": retry_delay_s, "ttft_timeout_s": ttft_timeout_s, "idle_timeout_s": idle_timeout_s}
        options = {k: v for k, v in given.items() if v is not None}
        if temperature is not None:
            options["temperature"] = temperature
        return _host_call(self._job, {"kind": "llm", "prompt": str(prompt), "options": options})


_MISSING = object()


def _get_path(data, path):
    text = str(path).strip()
    if text == "":
        return _MISSING
    if text == "$":
        return data
    if text.startswith("$."):
        text = text[2:]
    current = data
    for segment in text.split("."):
        if isinstance(current, list):
            try:
                index = int(segment)
            except ValueError:
                return _MISSING
            if index < 0 or index >= len(current):
                return _MISSING
            current = current[index]
        elif isinstance(current, dict):
            if segment not in current:
                return _MISSING
            current = current[segment]
        else:
            return _MISSING
    return current


class _JobStdout(io.TextIOBase):
    """Collects what a job prints; threads the node starts print here too."""

    def __init__(self):
        self._parts = []
        self._lock = threading.Lock()

    def writable(self):
        return True

    def write(self, text):
        with self._lock:
            self._parts.append(text)
        return len(text)

    def flush(self):
        pass

    def getvalue(self):
        with self._lock:
            return "".join(self._parts)


def _node_traceback(exc, filename):
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    lines = ["Traceback (most recent call last):"]
    for frame in frames:
        where = "" if frame.name == "<module>" else ", in %s" % frame.name
        lines.append("  line %d%s" % (frame.lineno, where))
        if frame.line:
            lines.append("    " + frame.line.strip())
    lines.append("%s: %s" % (type(exc).__name__, exc))
    return "\n".join(lines)


# The module a `metadata.requirements` entry provides: the same rule as check-requirements.ts.
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_DIST_MODULES = {
    "pyyaml": "yaml", "beautifulsoup4": "bs4", "python-dateutil": "dateutil", "pillow": "PIL",
    "scikit-learn": "sklearn", "opencv-python": "cv2", "opencv-python-headless": "cv2", "pyjwt": "jwt",
    "python-dotenv": "dotenv", "protobuf": "google.protobuf",
}


def _requirement_for(module, requirements):
    """The requirement whose module is `module` (or its top-level package), if one is listed."""
    top = (module or "").split(".")[0].lower()
    for spec in requirements:
        match = _REQUIREMENT_NAME.match(str(spec))
        if not match:
            continue
        name = match.group(1)
        provided = _DIST_MODULES.get(re.sub(r"[-_.]+", "-", name.lower()), name.replace("-", "_"))
        if top and provided.split(".")[0].lower() == top:
            return spec
    return None


def _describe(exc, filename, requirements=()):
    """Flocks' wording of each failure (reference flocks-engine.md §4.1), in English."""
    kind = type(exc).__name__
    name = getattr(exc, "flockflow_name", None)
    if isinstance(exc, SyntaxError):
        return {"type": "SyntaxError", "message": "Syntax error in code at line %s: %s" % (exc.lineno, exc.msg),
                "traceback": "  line %s\n    %s\nSyntaxError: %s" % (exc.lineno, (exc.text or "").rstrip("\n"), exc.msg),
                "line": exc.lineno}
    if name:
        # A host error (tool, LLM) keeps its own type name and message.
        return {"type": name, "message": str(exc), "traceback": _node_traceback(exc, filename)}
    if isinstance(exc, KeyError):
        message = "Missing required input key: %r" % (exc.args[0] if exc.args else "")
    elif isinstance(exc, NameError):
        message = "Undefined variable or function: %s" % exc
    elif isinstance(exc, TypeError):
        message = "Type error during execution: %s" % exc
    elif isinstance(exc, AttributeError):
        message = "AttributeError: %s" % exc
    elif isinstance(exc, ModuleNotFoundError):
        spec = _requirement_for(exc.name, requirements)
        if spec is not None:
            message = "Module not found: %s \u2014 requirement '%s' from metadata.requirements is not installed for %s" % (
                exc.name, spec, sys.executable)
        else:
            message = "Module not found: %s (install it for python3, or list it in metadata.requirements)" % exc.name
    else:
        message = "Runtime error (%s): %s" % (kind, exc)
    return {"type": kind, "message": message, "traceback": _node_traceback(exc, filename)}


# What the worker's builtins module holds before any job, so a job's changes to it can be undone.
_BUILTINS = dict(vars(builtins))
_BUILTIN_NAMES = tuple(_BUILTINS)
_BUILTIN_VALUES = tuple(_BUILTINS.values())
# Bound now: a node may replace `builtins.all` or `builtins.map` themselves.
_is, _all, _map = operator.is_, all, map


def _restore_builtins():
    # Uses no builtin a node can replace: the ones a node replaced are exactly what this undoes.
    current = builtins.__dict__
    # Nearly always nothing changed: the same names, in the same order, bound to the same objects
    # (compared by identity, in C, so an object claiming equality cannot pass for a builtin).
    if (current.__len__() == _BUILTIN_NAMES.__len__() and _all(_map(_is, current, _BUILTIN_NAMES))
            and _all(_map(_is, current.values(), _BUILTIN_VALUES))):
        return
    for name in [n for n in current if n not in _BUILTINS]:
        del current[name]
    for name, value in _BUILTINS.items():
        if current.get(name) is not value:
            current[name] = value


def _fail_frame(job, error, stdout):
    """Send a failure; if even that cannot be encoded, send a plain one (a job always settles)."""
    try:
        _send({"type": "failed", "job": job, "error": error, "stdout": stdout})
    except Exception as exc:  # noqa: BLE001
        _send({"type": "failed", "job": job, "stdout": "",
               "error": {"type": "ProtocolError", "message": "the node's failure could not be reported: %s" % exc, "traceback": ""}})


# The node code this worker holds, by code id: [text, compiled code or None until it compiles].
# The host bounds it (see the protocol above); code that does not compile is compiled, and fails,
# again on each job, so each reports its syntax error.
_codes = {}


def _node_code(frame, filename):
    if frame.get("forget"):
        _codes.clear()
    code_id = frame.get("code_id")
    text = frame.get("code")
    if text is not None:
        entry = _codes[code_id] = [text, None]
    else:
        entry = _codes.get(code_id)
        if entry is None:
            raise RuntimeError("protocol error: the host named code %r, which this worker does not hold" % (code_id,))
    if entry[1] is None:
        entry[1] = compile(entry[0], filename, "exec")
    return entry[1]


_stdin = [None]


def _empty_stdin():
    """Each job reads an empty stdin; a fresh one if the last job closed or replaced it."""
    current = _stdin[0]
    if current is None or current.closed or sys.stdin is not current:
        current = _stdin[0] = io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")
    sys.stdin = current


def _run_job(frame):
    job = frame["job"]
    node_id = frame.get("node_id") or "node"
    filename = "<%s>" % node_id
    captured = _JobStdout()
    inputs = frame.get("inputs") or {}
    namespace = {"__name__": "__flockflow_node__", "__builtins__": builtins}

    def get_path(path, data=None):
        value = _get_path(inputs if data is None else data, path)
        return None if value is _MISSING else value

    def cancelled():
        return _cancelled.is_set()

    namespace.update({
        "inputs": inputs, "outputs": {}, "tool": _ToolFacade(job), "llm": _LlmFacade(job),
        "get_path": get_path, "cancelled": cancelled, "is_cancelled": cancelled,
    })
    saved = sys.stdout, sys.stderr
    threads_before = threading.active_count()
    _empty_stdin()
    sys.stdout = sys.stderr = captured
    try:
        code = _node_code(frame, filename)
        try:
            exec(code, namespace)
        except SystemExit:
            pass  # exit() / sys.exit() end the node early and keep its outputs (Flocks).
        finally:
            # Before the runner itself runs again: user code may have replaced builtins it uses.
            _restore_builtins()
        outputs = namespace.get("outputs")
        if outputs is None:
            outputs = {}
        sys.stdout, sys.stderr = saved
        if not isinstance(outputs, dict):
            _fail_frame(job, {"type": "TypeError", "message": "`outputs` must be a dict", "traceback": ""}, captured.getvalue())
            return
        # A thread the node left running would print into the next job's stdout and keep working:
        # the host retires this worker once the answer is in.
        # (A worker holds no thread of its own between jobs: one left over retires the worker.)
        retire = threading.active_count() > threads_before
        try:
            _send({"type": "done", "job": job, "outputs": outputs, "stdout": captured.getvalue(), "retire": retire})
        except ValueError as exc:
            _fail_frame(job, {"type": "ValueError", "message": "the outputs cannot be sent as JSON: %s" % exc, "traceback": ""}, captured.getvalue())
    except BaseException as exc:  # noqa: BLE001 - every failure is reported, cancellation included
        sys.stdout, sys.stderr = saved
        _fail_frame(job, _describe(exc, filename, frame.get("requirements") or ()), captured.getvalue())
    finally:
        sys.stdout, sys.stderr = saved


# Frames from the host are read by whichever thread needs one, one reader at a time (a leader /
# follower scheme, no reader thread): a thread waiting for its reply reads frames itself and hands
# other threads' replies over; the main loop reads its next job the same way. This saves a thread
# hand-off (tens of µs) on every job and every host call.
_reader_state = threading.Condition()
_reader_busy = [False]
_jobs = []


def _dispatch(frame):
    """Deliver one frame; called with _reader_state held."""
    kind = frame.get("type")
    if kind == "reply":
        with _pending_lock:
            slot = _pending.get(frame.get("id"))
        if slot is not None:
            slot.reply = frame
            slot.event.set()
    elif kind == "run":
        _jobs.append(frame)
    elif kind == "cancel":
        _cancelled.set()


def _read_frame():
    """The next frame from the host (None if unreadable); exits the process when the host is gone."""
    raw = _host_frames.readline(MAX_FRAME + 1)
    if not raw:
        os._exit(0)  # the host went away
    try:
        return _decode(raw)
    except ValueError:
        return None


def _read_until(done):
    """Block until `done()` holds, reading and dispatching frames while no other thread reads."""
    while True:
        with _reader_state:
            while not done() and _reader_busy[0]:
                _reader_state.wait()
            if done():
                return
            _reader_busy[0] = True
        frame = None
        try:
            frame = _read_frame()
        finally:
            with _reader_state:
                _reader_busy[0] = False
                if frame is not None:
                    _dispatch(frame)
                _reader_state.notify_all()


def main():
    _send({"type": "ready", "python": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable})
    while True:
        if _jobs:
            with _reader_state:
                frame = _jobs.pop(0)
        elif threading.active_count() == 1:
            # Between jobs no other thread exists (a job that leaves one retires its worker), so
            # the main thread reads its next job itself, without the reader hand-off.
            frame = _read_frame()
            if frame is None or frame.get("type") != "run":
                if frame is not None:
                    with _reader_state:
                        _dispatch(frame)  # a late reply, or a cancel for a job that has ended
                continue
        else:
            _read_until(lambda: bool(_jobs))
            with _reader_state:
                frame = _jobs.pop(0)
        _cancelled.clear()
        _run_job(frame)


if __name__ == "__main__":
    main()
