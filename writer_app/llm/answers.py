"""What the model answers, cleaned: only the text that belongs in the manuscript.

Small instruct models wrap their answers in preambles ("Here is the
rewritten text:"), quotes, notes and chat tokens, and a length limit cuts
them mid-sentence. These functions are pure text work (no model, no torch),
so the editor runs them on the GUI thread on the final answer, and the
summaries clean each of their pieces with them too. None of them raises.
"""

from __future__ import annotations

import re

CHAT_ARTEFACT = re.compile(r"<\|[^|>]{1,30}\|>|</?s>|<(?:start|end)_of_turn>")
_PREAMBLE = re.compile(
    r"^\s*(?:(?:sure|certainly|of course|okay|ok|absolutely)[!,.]?\s*)?"
    r"(?:here(?:'s| is| are)|below is|this is)\b[^\n:]{0,80}:\s*",
    re.IGNORECASE,
)
_LABEL = re.compile(
    r"^\s*(?:\*\*)?(?:rewritten|revised|edited|expanded|shortened|improved|new|corrected)?\s*"
    r"(?:text|version|passage|description|summary|answer)(?:\*\*)?\s*:\s*",
    re.IGNORECASE,
)
_PREAMBLE_LINE = re.compile(
    r"^[^\n]{0,120}\b(?:here(?:'s| is| are)|below is|revised version|rewritten (?:text|version))\b[^\n]{0,80}[:\-–—]\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_TRAILER = re.compile(r"\n\s*(?:note|explanation|changes made|i hope|let me know)\b.*\Z", re.IGNORECASE | re.DOTALL)
_QUOTES = {'"': '"', "“": "”", "'": "'", "«": "»", "„": "“"}
# Chinese and Japanese put no spaces between sentences or words; a small model's tokenizer often
# does ("。 他", "他 说"). Spaces (not line breaks, not the ideographic space U+3000 that indents
# a paragraph) between two characters of those scripts are removed: Han, kana, CJK punctuation
# and full-width forms, and a curly quote between them ("。 “你好”", "“你好” 他说"). Korean is left
# alone (it separates words with spaces), and so is every space that touches a Latin letter
# or digit: "我用 Python 写" keeps its spaces, English keeps all of its own.
CJK_CHARACTERS = (  # a regex character class's inside (the ghost text's upright spans use it too)
    "\u3001-\u303f"  # CJK punctuation (U+3000, the ideographic space, is not in it)
    "\u3040-\u30ff\u31f0-\u31ff"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han
    "\uff01-\uff60\uff61-\uff9f"  # full-width forms, half-width kana
    "\U00020000-\U0002fa1f"  # Han extensions B-F
)
_CJK_QUOTES = "“”‘’"
_CJK_SPACE = re.compile(
    f"(?<=[{CJK_CHARACTERS}])[ \t\u00a0]+(?=[{CJK_CHARACTERS}{_CJK_QUOTES}])"
    f"|(?<=[{CJK_CHARACTERS}][{_CJK_QUOTES}])[ \t\u00a0]+(?=[{CJK_CHARACTERS}])"
)
_CJK_CHAR = re.compile(f"[{CJK_CHARACTERS}]")
_STARTS_CJK = re.compile(rf"\s*[{_CJK_QUOTES}]?[{CJK_CHARACTERS}]")


def strip_chat_artefacts(text: str) -> str:
    """Cut at a new chat turn and drop special tokens the model may print."""
    for marker in ("<|im_start|>", "<|start_header_id|>", "<start_of_turn>", "[INST]"):
        cut = text.find(marker)
        if cut >= 0:
            text = text[:cut]
    return CHAT_ARTEFACT.sub("", text)


def join_cjk(text: str) -> str:
    """``text`` without the spaces a model puts between Chinese or Japanese characters ("。 他" → "。他")."""
    return _CJK_SPACE.sub("", text)


def starts_with_cjk(text: str) -> bool:
    """Whether the first visible character is Chinese or Japanese (a continuation then needs no joining space)."""
    return bool(_STARTS_CJK.match(text))


def joining_space(before: str, addition: str) -> str:
    """What goes between the author's text and an inserted answer: a space, except after
    whitespace, at the start, or where either side is Chinese or Japanese ("。" + "他")."""
    if not before or before[-1].isspace() or addition[:1].isspace():
        return ""
    last = before.rstrip(_CJK_QUOTES)[-1:]  # "。”" ends a Chinese sentence, "Now.”" an English one
    if (last and _CJK_CHAR.match(last)) or starts_with_cjk(addition):
        return ""
    return " "


def clean_output(task: str, raw: str) -> str:
    """The part of the model's answer that belongs in the manuscript."""
    # U+FFFD: byte tokens that never made a whole character (seen in Chinese answers, "任�那家").
    text = join_cjk(strip_chat_artefacts(raw)).replace("\ufffd", "")
    if task == "continue":
        return _trim_to_sentence(text.rstrip())
    text = text.strip()
    text = re.sub(r"^```[a-z]*\n|\n?```\s*\Z", "", text).strip()
    for _ in range(2):
        text = _LABEL.sub("", _PREAMBLE.sub("", text, count=1), count=1).strip()
    line = _PREAMBLE_LINE.search(text[:300])
    if line and text[line.end():].strip():
        text = text[line.end():].strip()
    text = _TRAILER.sub("", text).strip()
    text = _leading_quoted_block(text)
    text = text.strip('"\n ').strip() if text.startswith('"""') else text
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] == _QUOTES[text[0]] and text.count(text[0]) <= 2:
        text = text[1:-1].strip()
    elif text[:1] in ('"', "“") and text.count(text[0]) == 1 and _QUOTES[text[0]] not in text[1:]:
        text = text[1:].strip()  # an opening quote whose closing one was cut off by the length limit
    return text if task == "brainstorm" else _trim_to_sentence(text)


def _leading_quoted_block(text: str) -> str:
    """When the answer opens with a quoted passage followed by commentary, keep the passage."""
    if len(text) < 2 or text[0] not in _QUOTES:
        return text
    close = text.find(_QUOTES[text[0]], 1)
    if close > 0 and text[close + 1 : close + 3].strip(" ") .startswith("\n"):
        return text[1:close].strip()
    return text


def _trim_to_sentence(text: str) -> str:
    """Drop a dangling half sentence at the end of a continuation, when a full one precedes it."""
    if not text or text[-1] in ".!?…\"”’*)。！？」』":
        return text
    # Chinese and Japanese sentences end in 。！？ with no space after them.
    ends = [m.end() for m in re.finditer(r"[.!?…][\"”’)]?(?=\s)|[。！？][”’」』）]?", text)]
    if ends and ends[-1] >= len(text) * 0.4:
        return text[: ends[-1]]
    return text


def parse_list(raw: str) -> list[str]:
    """Brainstorm items from a numbered or bulleted answer (one per line); never raises."""
    items: list[str] = []
    for line in strip_chat_artefacts(str(raw)).splitlines():
        line = line.strip()
        stripped = re.sub(r"^(?:[-*•·]+|\(?\d{1,2}[.):]|[a-e][.)])\s*", "", line).strip()
        stripped = stripped.strip("*").strip()
        if not stripped or (stripped.endswith(":") and len(stripped) < 80 and stripped == line):
            continue
        if stripped.lower() not in {i.lower() for i in items}:
            items.append(stripped)
    return items
