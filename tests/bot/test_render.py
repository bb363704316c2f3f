"""Replies always fit Discord's embed limits: summarised, never rejected."""

from __future__ import annotations

from bot.render import MAX_FIELDS, MAX_TOTAL, MAX_VALUE, clip, to_embed
from commands.reply import Field, Reply, table


def test_clip_keeps_code_fences_balanced_and_counts_hidden_lines() -> None:
    body = table([["SYM" + str(i), f"{i:.2f}"] for i in range(400)])
    clipped = clip(body, 1024)
    assert len(clipped) <= 1024
    assert clipped.count("```") == 2
    assert clipped.endswith("more lines")
    hidden = int(clipped.rsplit("…", 1)[1].split()[0])
    shown = clipped.count("\n") - 2  # minus the fence lines and the "more" line
    assert shown + hidden >= 400


def test_a_huge_reply_is_summarised_within_every_limit() -> None:
    reply = Reply(
        title="T" * 300,
        description="x\n" * 5000,
        fields=[Field(f"field {i}", "y" * 2000) for i in range(40)],
        footer="f" * 3000,
    )
    embed = to_embed(reply).embed
    assert len(embed) <= MAX_TOTAL
    assert len(embed.title) <= 256 and len(embed.footer.text) <= 2048
    assert len(embed.fields) <= MAX_FIELDS
    assert all(len(f.value) <= MAX_VALUE and len(f.name) <= 256 for f in embed.fields)
    assert embed.fields[-1].name == "More"  # says what was left out


def test_colours_follow_gains_and_losses() -> None:
    assert to_embed(Reply(title="up", tone="gain")).embed.colour.value == 0x2ECC71
    assert to_embed(Reply(title="down", tone="loss")).embed.colour.value == 0xE74C3C


def test_stale_replies_say_so_in_the_title() -> None:
    assert to_embed(Reply(title="mag7", stale=True)).embed.title == "mag7 · stale"


def test_a_chart_is_attached_and_shown_in_the_embed() -> None:
    rendered = to_embed(Reply(title="c", image=b"\x89PNG...", image_name="chart.png"))
    assert rendered.file is not None and rendered.file.filename == "chart.png"
    assert rendered.embed.image.url == "attachment://chart.png"
