"""The site's logging: one line per request and per background task, as JSON with LOG_FORMAT=json (for a log
collector) or as readable text; errors to stderr, the rest to stdout; 500s mailed to ADMINS.

Each line written while a request or task runs carries its id (request_id): a request takes the X-Request-ID its
proxy sent, or makes one, and returns it as a response header, so one id finds a request in the proxy's log and here.
People appear by user id only, never by name or email, and secrets in a URL (a witness's or a password link's token,
a record code) are hidden from the logged path.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's id may look like; anything else (too long, odd characters that could forge log lines) is replaced.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
# URL parts that let whoever holds them in: hidden from the logged path.
SECRET_URL_PARTS = {"token", "uidb64", "code"}

requests_log = logging.getLogger("portfolio.requests")
tasks_log = logging.getLogger("portfolio.tasks")


def admins_from_env(value: str | None) -> list[tuple[str, str]]:
    """ADMINS="Ada Admin <ada@college.example>, it@college.example" as Django's (name, address) pairs."""
    if not value or not value.strip():
        return []
    admins = []
    for name, address in getaddresses([value]):
        if "@" not in address or " " in address:
            raise ImproperlyConfigured(
                f"ADMINS={value!r} is not a list of email addresses; write it as "
                '"Name <someone@example.org>, Other Name <other@example.org>".'
            )
        admins.append((name or address, address))
    return admins


class RequestIdFilter(logging.Filter):
    """Stamps every record with the id of the request or task it was written in."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class BelowErrorFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.ERROR


class NotTaskProgressFilter(logging.Filter):
    """The one line per task here (with the traceback when it failed) replaces the lines django_tasks and RQ write
    about each task: django_tasks' start, end and failure, RQ's progress lines and its copy of a job's traceback.
    RQ's progress lines name each job by its call with every argument (an email's address and body, a password
    link), so they must never be kept; rqworker sets RQ's log levels itself, so only a filter on the handlers holds.
    RQ's other warnings and errors (a lost connection, a worker killed) stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django_tasks":
            return False
        if record.name.startswith("rq."):
            return record.levelno >= logging.WARNING and not hasattr(record, "job_id")
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return getattr(record, "fields", None) or {}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request_id, the record's fields, and the traceback
    as one string when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "request_id", None):
            line["request_id"] = record.request_id
        line.update(_fields(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class PlainFormatter(logging.Formatter):
    """Readable lines: time, level, logger, message, then the record's fields as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's own name)
        extra = " ".join(f"{key}={value}" for key, value in _fields(record).items() if key != "request_id")
        rid = getattr(record, "request_id", None)
        return " ".join(part for part in [super().formatMessage(record), extra, f"[{rid}]" if rid else ""] if part)


def build_logging(*, log_format: str, level: str, requests: bool) -> dict[str, Any]:
    """Django's LOGGING for LOG_FORMAT ("json" or "plain"), LOG_LEVEL, and whether each request gets a line."""
    if log_format not in ("json", "plain"):
        raise ImproperlyConfigured(f"LOG_FORMAT={log_format!r} is neither json nor plain.")
    formatter = {"()": JsonFormatter} if log_format == "json" else {"()": PlainFormatter}
    filters = ["request_id", "not_task_progress"]
    both = ["stdout", "stderr"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": RequestIdFilter},
            "below_error": {"()": BelowErrorFilter},
            "not_task_progress": {"()": NotTaskProgressFilter},
            "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        },
        "formatters": {"line": formatter},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "line",
                "filters": [*filters, "below_error"],
            },
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "line",
                "filters": filters,
                "level": "ERROR",
            },
            # Django's own: a server error, with its traceback, to everyone in ADMINS (nobody when it is empty).
            "mail_admins": {
                "class": "django.utils.log.AdminEmailHandler",
                "level": "ERROR",
                "filters": ["require_debug_false"],
            },
        },
        "root": {"handlers": both, "level": level},
        "loggers": {
            "django": {"handlers": [*both, "mail_admins"], "level": level, "propagate": False},
            # Every request has its own line here, with its status: Django's "Not Found: ..." would repeat it.
            "django.request": {"level": "ERROR" if requests else "WARNING"},
            # A scanner asking by the machine's address is not worth an email to ADMINS for each request.
            "django.security.DisallowedHost": {"handlers": both, "level": "ERROR", "propagate": False},
            "portfolio.requests": {"level": "INFO" if requests else "WARNING"},
            # A failed task (an export, a record render, an email) is mailed to ADMINS as a server error is.
            "portfolio.tasks": {"handlers": [*both, "mail_admins"], "propagate": False},
            "axes": {"handlers": both, "level": "INFO", "propagate": False},
            # WeasyPrint reports every layout step at INFO.
            "weasyprint.progress": {"level": "WARNING"},
        },
    }


def _incoming_request_id(request: HttpRequest) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _VALID_REQUEST_ID.match(given) else uuid.uuid4().hex


def _loggable_path(request: HttpRequest) -> str:
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name, value in match.kwargs.items():
            if name in SECRET_URL_PARTS and isinstance(value, str) and value:
                path = path.replace(value, "[hidden]")
    return path


class RequestLogMiddleware:
    """One line per request, written when the response is ready; the request id goes back as X-Request-ID."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = _incoming_request_id(request)
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            requests_log.info(
                "%s %s %s",
                request.method,
                _loggable_path(request),
                response.status_code,
                extra={
                    "fields": {
                        "method": request.method,
                        "path": _loggable_path(request),
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        "user_id": user.pk if user is not None and user.is_authenticated else None,
                    }
                },
            )
            response[REQUEST_ID_HEADER] = rid
            return response
        finally:
            request_id.reset(token)


_task_starts: dict[str, float] = {}


def task_started(sender: object, task_result: Any, **kwargs: Any) -> None:
    # Lines the task writes carry its id, as a request's do.
    request_id.set(f"task-{task_result.id}")
    _task_starts[str(task_result.id)] = time.perf_counter()


def task_finished(sender: object, task_result: Any, **kwargs: Any) -> None:
    # A task's start and end are seen by the same process (the db_worker, or RQ's work horse); a horse killed outright
    # is reported by its parent, which never saw the start, so that line has no duration.
    started = _task_starts.pop(str(task_result.id), None)
    status = getattr(task_result.status, "value", task_result.status)
    failed = status == "FAILED"
    fields = {
        "task_id": str(task_result.id),
        "task": task_result.task.module_path,
        "status": status,
        "duration_ms": None if started is None else round((time.perf_counter() - started) * 1000, 1),
    }
    # Both backends report a failure while its exception is being handled; when there is none to hand (the horse
    # was killed), the traceback the backend recorded.
    exc_info = sys.exc_info() if failed and sys.exc_info()[0] is not None else None
    if failed and exc_info is None and getattr(task_result, "errors", None):
        fields["exception"] = task_result.errors[-1].traceback
    tasks_log.log(
        logging.ERROR if failed else logging.INFO,
        "task %s %s",
        task_result.task.module_path,
        status,
        exc_info=exc_info,
        extra={"fields": fields},
    )
    request_id.set(None)


def connect_task_signals() -> None:
    from django_tasks.signals import task_finished as finished
    from django_tasks.signals import task_started as started

    started.connect(task_started, dispatch_uid="portfolio.logging_config.task_started")
    finished.connect(task_finished, dispatch_uid="portfolio.logging_config.task_finished")
