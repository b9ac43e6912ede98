"""`echo-py`: a sandboxed plugin in Python, built by componentize-py
against the plinth:plugin world (see guests/build.sh).

- `demo:echo` (a filter of JSON values) answers its payload unchanged;
- `demo:count` counts its calls across all instances with the store's
  atomic add and answers the count;
- `demo:greet` answers `"<greeting>, <payload>!"`, the greeting from the
  plugin's configuration (`{"greeting": "Hello"}` by default).

The component is built with WASI stubbed out (`--stub-wasi`): it imports
the plinth world and nothing else. A plugin that needs the clock or random
bytes asks the host (`now_ms`, `random_bytes`), which checks its grants.
"""

import json
from typing import Optional

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import host


class Guest(exports.Guest):
    greeting = "Hello"

    def initialize(self, config: str) -> None:
        settings = json.loads(config) or {}
        if not isinstance(settings, dict):
            raise Err("invalid echo-py configuration: expected an object")
        if "greeting" in settings:
            greeting = settings["greeting"]
            if not isinstance(greeting, str) or not greeting:
                raise Err(
                    "invalid echo-py configuration: greeting must be a non-empty string"
                )
            Guest.greeting = greeting
        host.log(host.Level.INFO, f'echo-py ready, greeting "{Guest.greeting}"')

    def destroy(self) -> None:
        pass

    def on_hook(self, hook: str, payload: str) -> str:
        if hook == "demo:echo":
            return payload
        if hook == "demo:count":
            return json.dumps(host.kv_add("calls", 1))
        if hook == "demo:greet":
            return json.dumps(f"{Guest.greeting}, {json.loads(payload)}!")
        raise Err(f"echo-py does not tap {hook}")

    def on_message(self, topic: str, message: str) -> None:
        host.log(host.Level.DEBUG, f"echo-py got {message} on {topic}")

    def entities(self) -> str:
        return json.dumps({"languages": {"echo-py": "Python"}})

    def answer(
        self, point: str, extension: str, object: Optional[str], data: str
    ) -> Optional[str]:
        # Declines every extension point: this plugin only answers hooks.
        return None
