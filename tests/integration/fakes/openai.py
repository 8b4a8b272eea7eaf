"""Fake OpenAI Chat Completions API (POST /v1/chat/completions), answering like the
real one (../shared/reference/api-contracts.md): choices[0].message.content, a
refusal, finish_reason "length", and the error shape {"error":{message,type,param,
code}} for 401, 429 rate_limit_exceeded (Retry-After / x-ratelimit-reset-*), 429
insufficient_quota and 500/503.

    ai = FakeOpenAI(key="sk-test")
    ai.script("chat", ai.text("Hello"), ai.rate_limited(retry_after=2))
"""

from apibase import FakeAPI, answer, bearer_problem, json_problem


def error(status, message, type_, code, headers=None):
    return answer(status, {"error": {"message": message, "type": type_, "param": None,
                                     "code": code}}, headers)


class FakeOpenAI(FakeAPI):
    name = "openai"

    def __init__(self, key="sk-test-key", reply="A generated post about small teams."):
        self.key, self.reply = key, reply
        super().__init__()
        self.base = self.url + "/v1"

    def route(self, req):
        return "chat" if (req.method, req.path) == ("POST", "/v1/chat/completions") else None

    def check(self, route, req):
        p = bearer_problem(req, self.key) + json_problem(req, ("model", "messages"))
        body = req.json() or {}
        msgs = body.get("messages")
        if not isinstance(msgs, list) or not msgs or not all(
                isinstance(m, dict) and m.get("role") in ("system", "user", "assistant")
                and isinstance(m.get("content"), str) for m in msgs):
            p.append("messages must be a non-empty list of {role, content}")
        return p

    def default(self, route, req):
        if req.header("authorization") != "Bearer " + self.key:
            return error(401, "Incorrect API key provided: sk-te****. You can find your API "
                         "key at https://platform.openai.com/account/api-keys.",
                         "invalid_request_error", "invalid_api_key")
        return self.text(self.reply)

    @staticmethod
    def completion(content, finish="stop", refusal=None):
        return answer(200, {"id": "chatcmpl-1", "object": "chat.completion", "created": 1,
                            "model": "gpt-4o-mini",
                            "choices": [{"index": 0, "finish_reason": finish,
                                         "message": {"role": "assistant", "content": content,
                                                     "refusal": refusal}}],
                            "usage": {"prompt_tokens": 10, "completion_tokens": 20,
                                      "total_tokens": 30}})

    def text(self, content):
        return self.completion(content)

    def refusal(self):
        return self.completion(None, refusal="I'm sorry, I can't help with that.")

    def cut(self):
        return self.completion("A text that stops in the midd", finish="length")

    @staticmethod
    def rate_limited(retry_after=None, reset=None):
        headers = {}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if reset is not None:
            headers["x-ratelimit-reset-requests"] = reset
        return error(429, "Rate limit reached for gpt-4o-mini on requests per min (RPM).",
                     "requests", "rate_limit_exceeded", headers)

    @staticmethod
    def quota():
        return error(429, "You exceeded your current quota, please check your plan and "
                     "billing details.", "insufficient_quota", "insufficient_quota")

    @staticmethod
    def server_error(status=500):
        return error(status, "The server had an error while processing your request.",
                     "server_error", None)
