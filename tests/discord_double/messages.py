"""Messages the bot created (followups, original responses, channel posts) with their files.

Discord's message limits are checked here too (content 2000, 10 embeds, embed text limits,
empty messages, attachment size), so a bot that would be refused in production is refused here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .payloads import iso_now, message_payload
from .records import RecordedFile

if TYPE_CHECKING:
    from . import DiscordDouble

MAX_CONTENT = 2000
EMBED_LIMITS = {"title": 256, "description": 4096}


@dataclass
class StoredMessage:
    """A message as the double answered it (`data`), with its attachments' bytes (`files`)."""

    id: int
    channel_id: int
    kind: str  # "original" (interaction response), "followup" or "channel"
    data: dict[str, Any]
    files: list[RecordedFile] = field(default_factory=list)
    interaction_id: int | None = None
    deleted: bool = False
    edits: int = 0

    @property
    def content(self) -> str:
        return self.data.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.data.get("embeds") or []

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & 64)


def _embed_errors(embed: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}

    def bad(key: str, limit: int) -> None:
        errors[key] = {
            "_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}
            ]
        }

    total = 0
    for key, limit in EMBED_LIMITS.items():
        text = str(embed.get(key) or "")
        total += len(text)
        if len(text) > limit:
            bad(key, limit)
    fields = embed.get("fields") or []
    if len(fields) > 25:
        bad("fields", 25)
    for index, item in enumerate(fields):
        name, value = str(item.get("name") or ""), str(item.get("value") or "")
        total += len(name) + len(value)
        if len(name) > 256 or len(value) > 1024:
            errors.setdefault("fields", {})[str(index)] = {
                "_errors": [
                    {
                        "code": "BASE_TYPE_MAX_LENGTH",
                        "message": "Field name must be 256 or fewer, value 1024 or fewer in length.",
                    }
                ]
            }
    footer = str((embed.get("footer") or {}).get("text") or "")
    author = str((embed.get("author") or {}).get("name") or "")
    total += len(footer) + len(author)
    if len(footer) > 2048:
        bad("footer", 2048)
    if len(author) > 256:
        bad("author", 256)
    if total > 6000:
        errors.setdefault("_errors", []).append(
            {
                "code": "MAX_EMBED_SIZE_EXCEEDED",
                "message": "Embed size exceeds maximum size of 6000",
            }
        )
    return errors


def message_error(
    body: dict[str, Any] | None,
    files: list[RecordedFile],
    *,
    size_limit: int,
    keeps_attachments: bool = False,
    editing: bool = False,
) -> tuple[int, dict[str, Any]] | None:
    """(status, JSON) Discord would answer instead of creating the message, or None."""
    body = body or {}
    oversized = [f for f in files if len(f.data) > size_limit]
    if oversized:
        return 413, {"message": "Request entity too large", "code": 40005}
    errors: dict[str, Any] = {}
    content = body.get("content")
    if content is not None and len(str(content)) > MAX_CONTENT:
        errors["content"] = {
            "_errors": [
                {
                    "code": "BASE_TYPE_MAX_LENGTH",
                    "message": f"Must be {MAX_CONTENT} or fewer in length.",
                }
            ]
        }
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        errors["embeds"] = {
            "_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 10 or fewer in length."}
            ]
        }
    for index, embed in enumerate(embeds):
        embed_errors = _embed_errors(embed)
        if embed_errors:
            errors.setdefault("embeds", {})[str(index)] = embed_errors
    if errors:
        return 400, {"message": "Invalid Form Body", "code": 50035, "errors": errors}
    has_something = (
        content
        or embeds
        or files
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
    )
    if not editing and not has_something and not keeps_attachments:
        return 400, {"message": "Cannot send an empty message", "code": 50006}
    return None


class MessageStore:
    """Every message the bot made, and the bytes behind attachment URLs (a tiny CDN)."""

    def __init__(self, double: DiscordDouble) -> None:
        self._d = double
        self.items: list[StoredMessage] = []
        self.attachment_bytes: dict[int, RecordedFile] = {}

    def get(self, message_id: int | None) -> StoredMessage | None:
        return next((m for m in self.items if m.id == message_id), None)

    def _attachments(
        self,
        channel_id: int,
        body: dict[str, Any],
        files: list[RecordedFile],
        keep: StoredMessage | None,
    ) -> tuple[list[dict[str, Any]], list[RecordedFile]]:
        """Attachment objects (and bytes) from `attachments` metadata + files[n] parts."""
        by_index = {
            int(m.group(1)): f for f in files if (m := re.fullmatch(r"files\[(\d+)\]", f.field))
        }
        by_index.update(
            {1000 + i: f for i, f in enumerate(files) if not re.fullmatch(r"files\[\d+\]", f.field)}
        )
        existing = (
            {a["id"]: (a, f) for a, f in zip(keep.data["attachments"], keep.files, strict=True)}
            if keep
            else {}
        )
        chosen: list[tuple[dict[str, Any], RecordedFile]] = []
        if "attachments" in body:
            for meta in body["attachments"] or []:
                key = str(meta.get("id"))
                if key in existing:
                    chosen.append(existing[key])
                elif key.isdigit() and int(key) in by_index:
                    file = by_index.pop(int(key))
                    chosen.append((self._attachment_object(channel_id, file, meta), file))
        else:
            chosen.extend(existing.values())
        for index in sorted(by_index):
            chosen.append(
                (self._attachment_object(channel_id, by_index[index], {}), by_index[index])
            )
        return [a for a, _ in chosen], [f for _, f in chosen]

    def _attachment_object(
        self, channel_id: int, file: RecordedFile, meta: dict[str, Any]
    ) -> dict[str, Any]:
        attachment_id = self._d.ids.next()
        filename = meta.get("filename") or file.filename
        url = f"{self._d.base_url}/attachments/{channel_id}/{attachment_id}/{filename}"
        self.attachment_bytes[attachment_id] = file
        return {
            "id": str(attachment_id),
            "filename": filename,
            "description": meta.get("description"),
            "content_type": file.content_type,
            "size": len(file.data),
            "url": url,
            "proxy_url": url,
        }

    def create(
        self,
        channel_id: int,
        guild_id: int | None,
        body: dict[str, Any],
        files: list[RecordedFile],
        *,
        kind: str,
        interaction_id: int | None = None,
    ) -> StoredMessage:
        message_id = self._d.ids.next()
        attachments, kept = self._attachments(channel_id, body, files, None)
        app_id = self._d.application_id if interaction_id is not None else None
        data = message_payload(
            message_id=message_id,
            channel_id=channel_id,
            author=self._d.bot_user,
            body=body,
            attachments=attachments,
            guild_id=guild_id,
            webhook_id=app_id,
            application_id=app_id,
        )
        message = StoredMessage(message_id, channel_id, kind, data, kept, interaction_id)
        self.items.append(message)
        return message

    def edit(
        self, message: StoredMessage, body: dict[str, Any], files: list[RecordedFile]
    ) -> StoredMessage:
        attachments, kept = self._attachments(message.channel_id, body, files, message)
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                message.data[key] = (
                    body[key] if body[key] is not None else ([] if key != "content" else "")
                )
        message.data["attachments"], message.files = attachments, kept
        message.data["edited_timestamp"] = iso_now()
        message.edits += 1
        return message
