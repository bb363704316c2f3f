"""Security of the process: no secret in logs, reproducible installs, and nothing fetched
at run time but market data (and Discord, for the bot).

* A real ``marketbot run`` process, with a recognisable token and DEBUG logging, serves
  commands (a Yahoo fetch, a refusal, a failing followup, a gateway drop); every line of
  its log file and of its stderr is scanned for the bot token and for every interaction
  token (bearer secrets for 15 minutes). The same when Discord refuses the token.
* ``netaudit`` records every connection of that process (Python sockets through the audit
  hook, libcurl through curl_cffi's session): only the two doubles on 127.0.0.1.
* constraints.txt pins everything ``make`` installs (the requirements' closure) to the
  installed version, every pin
  satisfies pyproject's range, ``make`` installs with it, and docs/reliability.md states
  each direct dependency's range.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.logs import setup_logging
from tests.discord_double import ThreadedDouble, run_in_thread
from tests.real_data import MARKET_DATA
from tests.reliability import figures
from tests.reliability.discord_helpers import wait_answer
from tests.yahoo_double import YahooDouble, running_double, shared_symbols

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)
#: Installer tooling: pip upgrades itself in `make install`; setuptools is the venv's seed.
TOOLING = {"pip", "setuptools", "wheel", "marketbot"}


def recognisable_token() -> str:
    return "MTMwMA.RELIABILITY-SECRET." + secrets.token_urlsafe(30)


def clean_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETBOT_", "DISCORD_"))}
    env |= {"PYTHONPATH": str(REPO), "MARKETBOT_DB": str(tmp / "bot.sqlite3"),
            "MARKETBOT_CACHE": str(tmp / "cache.sqlite3"), "MARKETBOT_LOG_DIR": str(tmp / "logs"), "MARKETBOT_LOG_LEVEL": "DEBUG"}  # fmt: skip
    return env


def logs_and_stderr(tmp: Path) -> str:
    parts = [p.read_text(errors="replace") for p in (tmp / "logs").glob("*.log*")]
    return "\n".join(parts) + "\n" + (tmp / "stderr.txt").read_text(errors="replace")


def assert_no_secret(text: str, secret: str) -> None:
    assert text.strip(), "nothing was logged: the scan would prove nothing"
    for piece in [secret, *(p for p in re.split(r"[.]", secret) if len(p) >= 16)]:
        assert piece not in text, f"{piece[:12]}… found in the logs"


@pytest.fixture
def doubles(tmp_path: Path) -> Iterator[tuple[ThreadedDouble, YahooDouble, str]]:
    token = recognisable_token()
    with running_double(shared_symbols(["AAPL", "MSFT"])) as yahoo:
        threaded = run_in_thread(token=token)
        try:
            yield threaded, yahoo, token
        finally:
            threaded.stop()


def test_a_running_bot_logs_no_secret_and_talks_only_to_discord_and_yahoo(
    tmp_path: Path, doubles: tuple[ThreadedDouble, YahooDouble, str]
) -> None:
    threaded, yahoo, token = doubles
    double = threaded.double
    env = clean_env(tmp_path) | double.env()
    env |= {"DISCORD_TOKEN": token, "MARKETBOT_YAHOO_BASE_URL": yahoo.base_url}
    audit = tmp_path / "net.json"
    with open(tmp_path / "stderr.txt", "wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.netaudit", str(audit), "--", "run"],
            cwd=tmp_path, env=env, stderr=stderr, stdout=stderr,
        )  # fmt: skip
        interaction_tokens = []
        try:
            threaded.run(double.wait_identify(timeout=60), timeout=70)
            for name, options in (("quote", {"symbol": "AAPL"}),
                                  ("returns", {"target": "NOPE", "period": "1m"}),
                                  ("about", {})):  # fmt: skip
                if name == "about":
                    double.faults.fail_followups(times=1, status=500)
                    threaded.run(double.drop_gateway(), timeout=10)
                handle = threaded.run(double.send_slash(name, options), timeout=30)
                interaction_tokens.append(handle.token)
                threaded.run(wait_answer(handle, 30), timeout=40)
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
    text = logs_and_stderr(tmp_path)
    assert_no_secret(text, token)
    for interaction_token in interaction_tokens:
        assert_no_secret(text, interaction_token)
    figures.add("security.log_lines_scanned", text.count("\n"))

    seen = json.loads(audit.read_text())
    allowed = {("127.0.0.1", double.port), ("127.0.0.1", yahoo.port)}
    inet = [tuple(a[:2]) for a in seen["connect"] if isinstance(a, list)]
    assert inet and set(inet) <= allowed, set(inet) - allowed
    assert seen["curl"] and all(u.startswith(yahoo.base_url + "/") for u in seen["curl"])
    assert set(seen["getaddrinfo"]) <= {"127.0.0.1"}, seen["getaddrinfo"]
    figures.add("security.connections_audited", len(inet) + len(seen["curl"]))


def test_no_secret_when_discord_refuses_the_token(
    tmp_path: Path, doubles: tuple[ThreadedDouble, YahooDouble, str]
) -> None:
    threaded, _, _ = doubles
    wrong = recognisable_token()
    env = clean_env(tmp_path) | threaded.double.env() | {"DISCORD_TOKEN": wrong}
    env["MARKETBOT_SOURCE"] = f"csv:{MARKET_DATA}"
    with open(tmp_path / "stderr.txt", "wb") as stderr:
        code = subprocess.run(
            [sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env, stderr=stderr,
            stdout=stderr, timeout=60,
        ).returncode  # fmt: skip
    assert code == 2
    text = logs_and_stderr(tmp_path)
    assert "refused the token" in text
    assert_no_secret(text, wrong)


def test_the_console_fetches_nothing_from_a_csv_folder(tmp_path: Path) -> None:
    env = clean_env(tmp_path) | {"MARKETBOT_SOURCE": f"csv:{MARKET_DATA}"}
    audit = tmp_path / "net.json"
    subprocess.run(
        [sys.executable, "-m", "tests.reliability.netaudit", str(audit), "--", "ask",
         "/compare left:china-titans right:mag7 start:2024-12-31 end:2025-03-07",
         "--chart-out", str(tmp_path / "c.png")],
        cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert (tmp_path / "c.png").stat().st_size > 10_000  # it did the whole job
    assert json.loads(audit.read_text()) == {"connect": [], "getaddrinfo": [], "curl": []}


def test_redaction_covers_messages_arguments_and_tracebacks(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    token = recognisable_token()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        path = setup_logging(tmp_path, "DEBUG", [token])
        logging.getLogger("discord.client").info("logging in using static token %s", token)
        logging.getLogger("marketbot.x").warning(f"header Authorization: Bot {token}")
        try:
            raise RuntimeError(f"request failed for token={token}")
        except RuntimeError:
            logging.getLogger("marketbot.y").exception("it failed")
        for handler in root.handlers:
            handler.flush()
        text = path.read_text() + capfd.readouterr().err
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    assert text.count("[redacted]") >= 6  # three records, file and stderr
    assert_no_secret(text, token)


# ---- dependencies -------------------------------------------------------------------------
def constraints() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            pins[canonicalize_name(name)] = version.strip()
    return pins


def direct_requirements() -> list[str]:
    """The direct dependencies as written in pyproject.toml (runtime and test extras)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {}).values()
    return project["dependencies"] + [r for extra in extras for r in extra]


def installed_closure() -> dict[str, str]:
    """Every distribution ``make install`` puts in the venv: the direct requirements and,
    recursively, theirs (markers evaluated here, extras followed), with installed versions.
    Packages someone installed by hand are not part of it."""
    versions = {
        canonicalize_name(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()
    }
    todo = [Requirement(text) for text in direct_requirements()]
    seen: dict[str, str] = {}
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        assert name in versions, f"{requirement} is required but not installed"
        if name in seen:
            continue
        seen[name] = versions[name]
        for text in importlib.metadata.requires(requirement.name) or []:
            dependency = Requirement(text)
            wanted = [""] + sorted(requirement.extras)
            if dependency.marker is None or any(
                dependency.marker.evaluate({"extra": extra}) for extra in wanted
            ):
                todo.append(dependency)
    return seen


def test_constraints_pin_everything_make_installs() -> None:
    pins = constraints()
    closure = installed_closure()
    unpinned = sorted(set(closure) - set(pins) - TOOLING)
    assert not unpinned, f"installed by make but not in constraints.txt: {unpinned}"
    differ = {n: (v, pins[n]) for n, v in closure.items() if n in pins and v != pins[n]}
    assert not differ, f"installed version differs from the pin: {differ}"
    figures.add("security.pinned_distributions", len(set(closure) - TOOLING))


def test_every_pin_satisfies_the_declared_range_and_make_uses_the_pins() -> None:
    pins = constraints()
    for text in direct_requirements():
        requirement = Requirement(text)
        pin = pins.get(canonicalize_name(requirement.name))
        assert pin is not None, f"{requirement.name} is not pinned"
        assert requirement.specifier.contains(pin, prereleases=True), (str(requirement), pin)
    makefile = (REPO / "Makefile").read_text()
    # Every pip install in the Makefile runs under the constraints (also for build backends).
    installs = re.findall(r"^\t.*pip install.*$", makefile, flags=re.MULTILINE)
    assert installs and all("PIP_CONSTRAINT=constraints.txt" in line for line in installs)


def test_docs_state_each_direct_dependency_range() -> None:
    doc = (REPO / "docs" / "reliability.md").read_text()
    for text in direct_requirements():
        assert f"`{text}`" in doc, f"docs/reliability.md does not state `{text}`"
