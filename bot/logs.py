"""Logging: a rotating file plus the console, with secrets redacted from every line.

discord.py never logs the token itself, but an exception message or a URL might carry it;
the redacting filter runs on every record of every logger, so it cannot reach a file.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

_MAX_BYTES = 5 * 1024 * 1024
_BACKUPS = 5


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "[redacted]")
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for secret in self.secrets:
                record.exc_text = record.exc_text.replace(secret, "[redacted]")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def setup_logging(log_dir: Path, level: str = "INFO", secrets: list[str] | None = None) -> Path:
    """Log to ``log_dir/marketbot.log`` (rotated at 5 MB, 5 kept) and stderr."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "marketbot.log"
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = RedactingFilter(secrets or [])
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8"
    )
    console = logging.StreamHandler()
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in (file_handler, console):
        handler.setFormatter(fmt)
        handler.addFilter(redact)
        root.addHandler(handler)
    root.setLevel(level)
    # At DEBUG these log request URLs and gateway payloads, which carry interaction tokens
    # (each a bearer secret for 15 minutes): never below INFO.
    for name in ("discord.http", "discord.gateway", "discord.webhook"):
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    return path
