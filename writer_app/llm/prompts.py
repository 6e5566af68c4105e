"""Prompts in the model's chat format: the system prompts and the one helper that applies them.

Every task (``tasks``), the critique (``critique``) and the summaries
(``summary``) build their prompts here, so a change to how a chat is laid
out (or to the writer's persona) is made once. This module imports nothing
of the llm layer's task modules, which is what lets them all depend on it
without depending on each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from writer_app.llm.runtime import ModelRuntime

SYSTEM_WRITER = (
    "You are a novelist's co-writer. You write fluent English fiction prose in the author's own voice, "
    "tense and point of view, and reply with the text only."
)
# The same persona for a Chinese text: an English "write English prose" made the model answer in English.
SYSTEM_WRITER_ZH = "你是小说作者的合写者。你用中文写流畅的小说正文，保持作者的语气、时态和视角，只回复正文。"
SYSTEM_LINE_EDITOR = "You are a strict line editor of fiction."


def system_writer(language: str) -> str:
    """The co-writer's system prompt for a text in ``language`` ("zh", "en", ...)."""
    if language == "zh":
        return SYSTEM_WRITER_ZH
    if language in ("en", ""):
        return SYSTEM_WRITER
    return SYSTEM_WRITER.replace("fluent English fiction prose", "fluent fiction prose in the language of the text")


def chat(runtime: ModelRuntime, system: str, user: str, assistant_prefix: str = "") -> str:
    """The prompt text for one exchange, in the model's own chat template.

    ``assistant_prefix`` opens the model's reply (Continue puts the author's
    text there, so the model carries on writing it instead of commenting on
    it). A base model without a chat template gets a plain document-style
    prompt instead.
    """
    tokenizer = runtime.tokenizer
    if getattr(tokenizer, "chat_template", None):
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return str(text) + assistant_prefix
    if assistant_prefix:
        return f"{user}\n\n{assistant_prefix}"
    return f"{system}\n\n{user}\n\nAnswer:\n"
