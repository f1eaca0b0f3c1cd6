"""The app as gunicorn serves it, plus the benchmarks' floor view (bench/evidence_pages.py), for the HTTP benchmarks
only: `gunicorn floor_wsgi:application` with bench/ on the path and the benchmark's settings in the environment."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()

from evidence_pages import route_floor  # noqa: E402  (the URLconf is ready only once the app is)

route_floor()
