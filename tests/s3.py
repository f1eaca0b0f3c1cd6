"""A local S3 server for the tests: moto in server mode, in a thread of the test process, on a free port.

The file tests run twice in CI: on the in-memory storage, and again with STORAGE_BACKEND=s3 (`.ci/run`), when the root
conftest gives each test an empty bucket of its own here, reached through the same storage backend and options as
production's (portfolio/settings.py) over real HTTP. Nothing leaves the machine: the server answers on 127.0.0.1 and
the keys are made up.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from storages.backends.s3 import S3Storage

REGION = "eu-west-2"
KEY_ID = "testing-key-id"
SECRET = "testing-secret"


def s3_requested() -> bool:
    """Whether this run keeps every test's files on the local S3 server (STORAGE_BACKEND=s3)."""
    return os.environ.get("STORAGE_BACKEND", "").strip().lower() == "s3"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalS3Storage(S3Storage):
    """Production's S3 backend, except that its boto3 connection (about a second to make) is made once per thread
    for the whole run rather than once per test: every test's bucket is on the same server, with the same keys."""

    _shared = threading.local()

    @property
    def connection(self):
        connection = getattr(self._shared, "connection", None)
        if connection is None:
            connection = self._shared.connection = super().connection
        return connection


@dataclass
class S3Server:
    endpoint: str
    _client: object = None

    def shared_client(self):
        if self._client is None:
            self._client = self.client()
        return self._client

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
        )

    def storage_options(self, bucket: str) -> dict:
        # The options portfolio/settings.py gives S3Storage, with this server's address and keys.
        return {
            "bucket_name": bucket,
            "endpoint_url": self.endpoint,
            "region_name": REGION,
            "access_key": KEY_ID,
            "secret_key": SECRET,
            "default_acl": "private",
            "querystring_auth": False,
            "file_overwrite": False,
            "max_memory_size": 5 * 1024 * 1024,
            "addressing_style": "path",
        }


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    # boto3 must not find a developer's real credentials or profile and sign with those.
    saved = {name: os.environ.pop(name, None) for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")}
    # The server's own line per request would fill every failing test's captured output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(endpoint=f"http://127.0.0.1:{port}")
    finally:
        server.stop()
        os.environ.update({name: value for name, value in saved.items() if value is not None})


@pytest.fixture
def s3_bucket(s3_server, settings) -> Iterator[str]:
    """An empty private bucket of this test's own, as the default storage."""
    bucket = f"test-{uuid.uuid4().hex[:20]}"
    client = s3_server.shared_client()
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.s3.LocalS3Storage", "OPTIONS": s3_server.storage_options(bucket)},
    }
    yield bucket
    # Emptied and removed, so a long run does not pile up objects in the server's memory.
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    if listed:
        client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": item["Key"]} for item in listed]})
    client.delete_bucket(Bucket=bucket)
