from django.db import models


class WorkerHeartbeat(models.Model):
    """A worker of the database task queue (`manage.py tasks_worker`) saying it is alive, every HEARTBEAT_SECONDS, so
    /readyz can tell a worker that has stopped or died from one with nothing to do (RQ's workers keep the same in
    Redis). A row outlives its worker: a worker that stops leaves it to go stale, which is what /readyz reports."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.host} pid {self.pid} ({self.worker_id})"
