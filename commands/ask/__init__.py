"""Questions in plain words -> the command a careful user would have typed (issue 14)."""

from commands.ask.frame import Command, Frame
from commands.ask.interpret import Ambiguous, NeedsName, Outcome, Refusal, Understood, interpret

__all__ = [
    "Ambiguous",
    "Command",
    "Frame",
    "NeedsName",
    "Outcome",
    "Refusal",
    "Understood",
    "interpret",
]
