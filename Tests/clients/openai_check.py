#!/usr/bin/env python3
"""The real `openai` client against a running vkserved: completions and chat, streamed and not,
with usage. Prints one JSON object with what it saw; exits 1 on any mismatch."""
import json
import sys

import openai

base_url, model = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base_url, api_key=sys.argv[3] if len(sys.argv) > 3 else "none", max_retries=0)
seen = {}
problems = []

c = client.completions.create(model=model, prompt="The capital of France is", max_tokens=8, temperature=0)
seen["completion"] = c.choices[0].text
if c.object != "text_completion" or c.usage.completion_tokens != 8 or "Paris" not in c.choices[0].text:
    problems.append(f"completion: {c}")
if c.choices[0].finish_reason != "length" or c.usage.total_tokens != c.usage.prompt_tokens + 8:
    problems.append(f"completion usage/finish: {c}")

chat = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "What is 2+2?"}],
                                      max_tokens=12, temperature=0)
seen["chat"] = chat.choices[0].message.content
if chat.object != "chat.completion" or chat.choices[0].message.role != "assistant" or not chat.usage.prompt_tokens:
    problems.append(f"chat: {chat}")

pieces, usage, finish = [], None, None
for chunk in client.completions.create(model=model, prompt="The capital of France is", max_tokens=8, temperature=0,
                                       stream=True, stream_options={"include_usage": True}):
    if chunk.usage is not None:
        usage = chunk.usage
    for choice in chunk.choices:
        pieces.append(choice.text)
        finish = choice.finish_reason or finish
seen["completion_stream"] = "".join(pieces)
if "".join(pieces) != c.choices[0].text or usage is None or usage.completion_tokens != 8 or finish != "length":
    problems.append(f"completion stream: {pieces} {usage} {finish}")
# The same prompt again on the one worker: its slot still holds it, so all but the last token are reused.
cached = usage.prompt_tokens_details.cached_tokens if usage and usage.prompt_tokens_details else None
seen["completion_stream_cached_tokens"] = cached
if usage is None or cached != usage.prompt_tokens - 1:
    problems.append(f"completion stream: cached_tokens {cached}, want prompt_tokens - 1 ({usage})")

pieces, usage, roles = [], None, []
for chunk in client.chat.completions.create(model=model, messages=[{"role": "user", "content": "What is 2+2?"}],
                                            max_tokens=12, temperature=0, stream=True,
                                            stream_options={"include_usage": True}):
    if chunk.usage is not None:
        usage = chunk.usage
    for choice in chunk.choices:
        if choice.delta.role:
            roles.append(choice.delta.role)
        if choice.delta.content:
            pieces.append(choice.delta.content)
seen["chat_stream"] = "".join(pieces)
if "".join(pieces) != chat.choices[0].message.content or roles != ["assistant"] or usage is None:
    problems.append(f"chat stream: {pieces} {roles} {usage}")

models = client.models.list()
if [m.id for m in models.data] != [model]:
    problems.append(f"models: {models}")

try:
    client.completions.create(model="no-such-model", prompt="x", max_tokens=1)
    problems.append("unknown model accepted")
except openai.NotFoundError as e:
    seen["unknown_model"] = e.status_code

try:
    client.completions.create(model=model, prompt="x", max_tokens=1, n=2)
    problems.append("n=2 accepted")
except openai.BadRequestError as e:
    seen["n2"] = e.status_code

print(json.dumps({"seen": seen, "problems": problems}))
sys.exit(1 if problems else 0)
