"""Who may see and who may change a learner's things (training jobs, collections of samples).

The lab has no accounts, so it uses the model shared links already give: whatever has an unguessable id in
its link (`?job=job-…`, `?collection=my-digits-…`) can be *viewed* by whoever holds the link, which is how a
reload reconnects and how a learner shows a teacher their work. *Changing* it (adding or deleting samples,
stopping a job) needs the **owner secret**: a random token that only the creating browser holds (in a cookie,
see `webapp.ui.identity`). The server never stores the secret itself, only its SHA-256 (the owner key), so a
leaked runs folder does not hand out the right to change things.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import TypeGuard

SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
OWNER_KEY_PATTERN = re.compile(r"^[0-9a-f]{64}$")
VIEW_TOKEN_BYTES = 6  # 12 hex digits, 48 bits: unguessable by trying links, short enough to read aloud


class NotOwnerError(PermissionError):
    """The visitor holds the link but not the owner secret."""


def new_secret() -> str:
    """A fresh owner secret for a browser (URL- and cookie-safe, 192 bits)."""
    return secrets.token_urlsafe(24)


def is_valid_secret(text: object) -> TypeGuard[str]:
    """True for a string that looks like a secret this module made (anything else is ignored, never trusted)."""
    return isinstance(text, str) and bool(SECRET_PATTERN.match(text))


def owner_key(secret: str) -> str:
    """What the server keeps: the secret's SHA-256, never the secret."""
    if not is_valid_secret(secret):
        raise ValueError("That is not an owner secret the lab made.")
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def is_owner(stored_key: str | None, secret: str | None) -> bool:
    """Whether `secret` is the one behind `stored_key` (constant-time; a missing key has no owner)."""
    if not stored_key or not secret or not is_valid_secret(secret):
        return False
    return hmac.compare_digest(stored_key, owner_key(secret))


def folder_name(text: str | None, fallback: str, max_length: int = 40) -> str:
    """Lower-case letters (any script), digits and single dashes, at most `max_length` characters: safe as a
    folder name (no dots, slashes or spaces), and "Ärger" and "Über" stay two names instead of collapsing into one."""
    cleaned = re.sub(r"[\W_]+", "-", (text or "").lower()).strip("-")[:max_length].strip("-")
    return cleaned or fallback


def linked_name(title: str | None, fallback: str, max_length: int = 40) -> str:
    """A name for a new shared thing: the learner's words plus an unguessable token (its view link)."""
    token = view_token()
    return f"{folder_name(title, fallback, max_length)[:max_length - len(token) - 1].strip('-')}-{token}"


def view_token() -> str:
    """The unguessable part of a view link."""
    return secrets.token_hex(VIEW_TOKEN_BYTES)


def personal_token(secret: str, purpose: str) -> str:
    """A view token derived from the visitor's secret, so the same browser finds its own default collection again
    (a returning visitor needs no link) while nobody else can work it out without the secret."""
    digest = hmac.new(secret.encode("ascii"), purpose.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:2 * VIEW_TOKEN_BYTES]
