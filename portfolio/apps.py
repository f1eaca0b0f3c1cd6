from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    """The project package as an app: the task worker's processes get its log lines (the web's come from middleware),
    and the database queue's workers their heartbeat (portfolio/heartbeat.py)."""

    name = "portfolio"
    label = "portfolio_site"
    verbose_name = "NVQ e-portfolio site"

    def ready(self) -> None:
        from portfolio.logging_config import connect_task_signals

        connect_task_signals()
