"""gunicorn's own settings for the web servers (`gunicorn -c deploy/gunicorn.conf.py portfolio.wsgi`, as systemd's
portfolio-web and compose's web run it): gunicorn's own lines (started, a worker booted, a worker timed out and killed)
in the app's format, so with LOG_FORMAT=json every line a web server writes is JSON, its errors on stderr and the rest
on stdout, as the app's are (portfolio/logging_config.py). The app's own line per request replaces gunicorn's access
log, which stays off."""

import os
import sys
from pathlib import Path

# The project's own modules, whichever folder gunicorn was started from.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portfolio.logging_config import build_logging  # noqa: E402

_app_logging = build_logging(
    log_format=(os.environ.get("LOG_FORMAT") or "plain").strip().lower(),
    level=os.environ.get("LOG_LEVEL") or "INFO",
    requests=False,
)

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {name: _app_logging["filters"][name] for name in ("request_id", "below_error", "not_task_progress")},
    "formatters": _app_logging["formatters"],
    "handlers": {name: _app_logging["handlers"][name] for name in ("stdout", "stderr")},
    "root": {"handlers": ["stdout", "stderr"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout", "stderr"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}

# Nothing here uses gunicorn's control socket, and its default place (the service user's home folder) is read-only
# under the systemd unit's protections: without this each start logs an error.
control_socket_disable = True
