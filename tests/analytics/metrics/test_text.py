"""The one spelling of a percentage and the one way to cut a long text, checked by hand."""

from __future__ import annotations

from analytics.metrics.text import clip, pct


def test_pct_has_a_sign_the_digits_asked_and_never_shows_a_missing_value_as_zero() -> None:
    assert pct(42.8349) == "+42.83%"
    assert pct(-10.305, 1) == "-10.3%"
    assert pct(0.0) == "+0.00%"
    assert pct(None) == "n/a"


def test_one_line_is_cut_with_an_ellipsis_within_the_limit() -> None:
    assert clip("Alibaba Group Holding", 12) == "Alibaba Gro…"
    assert clip("short", 12) == "short"
    assert clip("x" * 12, 12) == "x" * 12
    assert len(clip("T" * 300, 256)) == 256


def test_several_lines_are_cut_at_a_line_break_and_say_how_many_are_left() -> None:
    text = "\n".join(f"line {i:02d}" for i in range(30))  # 30 lines of 7 characters
    out = clip(text, 100)
    # 60 characters of room: lines 00-06 (7 x 8 - 1 = 55 characters) fit, 23 do not
    assert out == "\n".join(f"line {i:02d}" for i in range(7)) + "\n…23 more lines"
    assert len(out) <= 100


def test_a_cut_table_keeps_its_code_fence_closed() -> None:
    text = "```\n" + "\n".join(f"SYM{i}  1.00" for i in range(100)) + "\n```"
    out = clip(text, 200)
    assert out.startswith("```\nSYM0  1.00\n") and out.count("```") == 2
    assert len(out) <= 200
    shown = out.count("\n") - 2  # minus the closing fence line and the "more" line
    hidden = int(out.rsplit("…", 1)[1].split()[0])
    assert shown + hidden == 100 + 1  # every table line and the closing fence, once
