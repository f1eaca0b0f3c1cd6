"""Checkpoints: the heads of every signature and audit chain, with the time, signed with an Ed25519 key that the
database never holds, and sent out of the service (emailed to each centre admin and allocated EV, appended to
CHECKPOINT_LOG). Someone who rewrites the history consistently, every row, digest and hash, still cannot make
it contain a head that was signed before: `manage.py verify_records --checkpoint FILE` shows it.

The private key is read only by `manage.py records_checkpoint` (RECORDS_SIGNING_KEY, base64 of the 32-byte key
or a PEM, or RECORDS_SIGNING_KEY_FILE); checking needs only the public key (RECORDS_PUBLIC_KEY, or the one the
private key gives).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.utils import timezone

from assessments.models import Signature
from audit.chain import ChainHead, canonical, chain_contains, chain_heads
from audit.models import AuditEvent
from people.models import EVAllocation, Membership, Role

CHAINED = {Signature.CHAIN_NAME: Signature, AuditEvent.CHAIN_NAME: AuditEvent}
# CHECKPOINT_LOG=storage:FOLDER/ keeps the log in the file storage, shared by every machine (README, "Production").
STORED = "storage:"
CHECKPOINT_CACHE_SECONDS = 7 * 24 * 3600


def _key_bytes(text: str) -> bytes:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return text.encode()
    return base64.b64decode(text)


def signing_key() -> Ed25519PrivateKey:
    """The checkpoint signing key, from the environment; never from the database."""
    raw = getattr(settings, "RECORDS_SIGNING_KEY", "")
    path = getattr(settings, "RECORDS_SIGNING_KEY_FILE", "")
    if not raw and path:
        try:
            raw = Path(path).read_text()
        except OSError as error:
            raise ImproperlyConfigured(f"RECORDS_SIGNING_KEY_FILE {path} cannot be read: {error}") from error
    if not raw:
        raise ImproperlyConfigured(
            "No checkpoint signing key: set RECORDS_SIGNING_KEY (base64 of a 32-byte Ed25519 key, or a PEM) or "
            "RECORDS_SIGNING_KEY_FILE (a file holding either). `manage.py records_checkpoint --new-key` prints one."
        )
    data = _key_bytes(raw)
    try:
        if data.startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(data)
    except ValueError as error:
        raise ImproperlyConfigured(f"The checkpoint signing key cannot be read: {error}") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("The checkpoint signing key is not an Ed25519 key.")
    return key


def public_key_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def trusted_public_key() -> str | None:
    """The public key checkpoints must be signed with: configured, or the one the signing key gives."""
    configured = getattr(settings, "RECORDS_PUBLIC_KEY", "")
    if configured:
        return configured.strip()
    try:
        return public_key_text(signing_key().public_key())
    except ImproperlyConfigured:
        return None


def new_key_text() -> str:
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


def current_heads() -> list[dict[str, Any]]:
    heads = chain_heads(Signature) + chain_heads(AuditEvent)
    return [{"chain": h.chain, "key": h.key, "row": h.row_id, "hash": h.hash} for h in heads]


def checkpoint_make(now: datetime.datetime | None = None) -> dict[str, Any]:
    key = signing_key()
    payload = {
        "version": 1,
        "at": (now or timezone.now()).astimezone(datetime.UTC).isoformat(),
        "site": settings.SITE_URL,
        "heads": current_heads(),
    }
    signature = key.sign(canonical(payload))
    return {
        "payload": payload,
        "signature": base64.b64encode(signature).decode(),
        "public_key": public_key_text(key.public_key()),
    }


def checkpoint_line(point: dict[str, Any]) -> str:
    return json.dumps(point, sort_keys=True, separators=(",", ":"))


def _stored_prefix(path: str) -> str | None:
    """The folder in the file storage for CHECKPOINT_LOG=storage:FOLDER/, or None for a file on this machine."""
    if not path.startswith(STORED):
        return None
    return path[len(STORED) :].strip("/") + "/"


def checkpoint_append(point: dict[str, Any]) -> str | None:
    """Add the checkpoint to CHECKPOINT_LOG: a line at the end of a file on this machine, or with
    CHECKPOINT_LOG=storage:FOLDER/ (several machines) a new object of its own in the file storage (the S3 bucket),
    which every web server and worker reads. Where it went, or None when there is no log."""
    path = getattr(settings, "CHECKPOINT_LOG", "")
    if not path:
        return None
    prefix = _stored_prefix(path)
    if prefix is not None:
        # One object per checkpoint, never one object rewritten: the storage refuses to replace a name (a bucket
        # with versioning or object lock can keep even a deleted one), and two machines signing at once cannot
        # lose each other's line. Named by time, so a listing is in order.
        at = datetime.datetime.fromisoformat(point["payload"]["at"]).astimezone(datetime.UTC)
        tag = hashlib.sha256(point["signature"].encode()).hexdigest()[:16]
        name = f"{prefix}{at:%Y%m%dT%H%M%S%fZ}-{tag}.json"
        stored = default_storage.save(name, ContentFile((checkpoint_line(point) + "\n").encode()))
        return f"{STORED}{stored}"
    log = Path(path)
    log.parent.mkdir(parents=True, exist_ok=True)
    # Append only: the log's owner may make it append-only (chattr +a) so the web app can never rewrite it.
    with log.open("a", encoding="utf-8") as handle:
        handle.write(checkpoint_line(point) + "\n")
    return str(log)


def checkpoint_recipients() -> list[tuple[int, str]]:
    """(centre id, email) of every active centre admin and every EV actively allocated to a centre."""
    admins = Membership.objects.filter(role=Role.ADMIN, is_active=True, user__is_active=True).values_list(
        "centre_id", "user__email"
    )
    evs = EVAllocation.objects.filter(
        is_active=True, external_verifier__is_active=True, external_verifier__user__is_active=True
    ).values_list("centre_id", "external_verifier__user__email")
    return sorted({(c, e) for c, e in [*admins, *evs] if e})


def checkpoint_send(point: dict[str, Any]) -> int:
    """Email the checkpoint to each centre admin and allocated EV, to keep outside the service."""
    line = checkpoint_line(point)
    at = datetime.datetime.fromisoformat(point["payload"]["at"])
    subject = f"Records checkpoint {timezone.localtime(at):%d/%m/%Y %H:%M}"
    body = (
        "This is a signed checkpoint of the e-portfolio's records: the last signature and audit row of every "
        "centre, with the time, signed with the service's checkpoint key.\n\n"
        "Keep this email. If the records are ever questioned, save the line below in a file and run\n"
        "  manage.py verify_records --checkpoint FILE\n"
        "It proves whether the history still holds everything signed up to this moment.\n\n"
        f"{line}\n"
    )
    addresses = sorted({email for _, email in checkpoint_recipients()})
    for address in addresses:
        send_mail(subject, body, None, [address])
    return len(addresses)


def _points(text: str) -> list[dict[str, Any]]:
    points = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            points.append(json.loads(line))
    return points


def _stored_checkpoints(prefix: str, *, cached: bool) -> list[dict[str, Any]]:
    """Every checkpoint object under the prefix, oldest first. Each object is written once and never changed, so
    with `cached` its text is kept in the shared cache by name: a record render lists the folder and reads only
    what is new. Checking the history (verify_records) reads every object itself: the cache is not evidence."""
    try:
        _, names = default_storage.listdir(prefix)
    except FileNotFoundError:  # the file system's folder before the first checkpoint; a bucket just lists nothing
        return []
    names = sorted(f"{prefix}{name}" for name in names if name.endswith(".json"))
    keys = {name: "checkpoints:" + hashlib.sha256(name.encode()).hexdigest() for name in names}
    known = cache.get_many(list(keys.values())) if cached else {}
    points = []
    for name in names:
        text = known.get(keys[name])
        if text is None:
            with default_storage.open(name, "rb") as handle:
                text = handle.read().decode("utf-8")
            if cached:
                cache.set(keys[name], text, CHECKPOINT_CACHE_SECONDS)
        points += _points(text)
    return points


def read_checkpoints(path: str, *, cached: bool = False) -> list[dict[str, Any]]:
    """Every checkpoint in a file: one JSON object per line (the log, or a line saved from an email); or, for
    storage:FOLDER/, every checkpoint object in that folder of the file storage."""
    prefix = _stored_prefix(path)
    if prefix is not None:
        return _stored_checkpoints(prefix, cached=cached)
    return _points(Path(path).read_text(encoding="utf-8"))


def checkpoint_problems(point: dict[str, Any]) -> list[str]:
    """Whether the checkpoint is genuine and the history today still holds every head it signed."""
    payload = point.get("payload", {})
    when = payload.get("at", "?")
    trusted = trusted_public_key()
    key_text = trusted or point.get("public_key", "")
    if trusted and point.get("public_key") != trusted:
        return [f"the checkpoint of {when} is not signed with this service's checkpoint key"]
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(key_text)).verify(
            base64.b64decode(point.get("signature", "")), canonical(payload)
        )
    except (InvalidSignature, ValueError):
        return [f"the checkpoint of {when} has a signature that does not verify: it is not a genuine checkpoint"]
    problems = []
    for head in payload.get("heads", []):
        model = CHAINED.get(head["chain"])
        if model is None:
            continue
        found = chain_contains(model, ChainHead(head["chain"], head["key"], head["row"], head["hash"]))
        if found:
            problems.append(f"checkpoint of {when}: {found}")
    return problems


@dataclass
class CoveringCheckpoint:
    at: datetime.datetime
    fingerprint: str


def checkpoint_covering(signature: Signature, centre_id: int) -> CoveringCheckpoint | None:
    """The latest checkpoint in CHECKPOINT_LOG whose signature chain for the centre reaches `signature`."""
    path = getattr(settings, "CHECKPOINT_LOG", "")
    if not path or (_stored_prefix(path) is None and not Path(path).exists()):
        return None
    latest = None
    for point in read_checkpoints(path, cached=True):
        payload = point.get("payload", {})
        for head in payload.get("heads", []):
            if head["chain"] == Signature.CHAIN_NAME and head["key"] == centre_id and head["row"] >= signature.pk:
                latest = point
    if latest is None:
        return None
    return CoveringCheckpoint(
        at=datetime.datetime.fromisoformat(latest["payload"]["at"]), fingerprint=latest["signature"][:16]
    )
