// `echo-c`: a sandboxed plugin in C, built by guests/build.sh with
// Debian's clang and wasi-libc against the plinth:plugin world (the C
// bindings come from `tools/componentize --c-bindings`).
//
// - `demo:echo` (a filter of JSON values) answers its payload unchanged;
// - `demo:count` counts its calls across all instances with the store's
//   atomic add and answers the count;
// - `demo:greet` answers `"<greeting>, <name>!"` for a payload `"<name>"`,
//   the greeting from the configuration `{"greeting": "..."}` ("Hello"
//   by default).
//
// It has no JSON library: it reads the configuration only in the compact
// form the host sends (`{"greeting":"..."}`, `{}` or `null`) and names
// only without escapes, and says so otherwise. It uses no libc function
// that reaches the system, so the module imports the plinth world and
// nothing else (no WASI).

#include <stdlib.h>
#include <string.h>

#include "plugin.h"

static char greeting[128] = "Hello";

static bool equals(const plugin_string_t *s, const char *text) {
  size_t len = strlen(text);
  return s->len == len && memcmp(s->ptr, text, len) == 0;
}

static bool fail(plugin_string_t *err, const char *message) {
  plugin_string_dup(err, message);
  return false;
}

// The text between a prefix and a suffix of `s`, when `s` is exactly
// prefix + text + suffix and the text holds no quote nor backslash.
static bool between(const plugin_string_t *s, const char *prefix, const char *suffix,
                    const uint8_t **text, size_t *len) {
  size_t p = strlen(prefix), q = strlen(suffix);
  if (s->len < p + q || memcmp(s->ptr, prefix, p) != 0 ||
      memcmp(s->ptr + s->len - q, suffix, q) != 0) {
    return false;
  }
  *text = s->ptr + p;
  *len = s->len - p - q;
  for (size_t i = 0; i < *len; i++) {
    if ((*text)[i] == '"' || (*text)[i] == '\\') return false;
  }
  return true;
}

bool exports_plinth_plugin_guest_initialize(plugin_string_t *config, plugin_string_t *err) {
  const uint8_t *text;
  size_t len;
  bool ok = true;
  if (equals(config, "null") || equals(config, "{}")) {
    // The default greeting.
  } else if (between(config, "{\"greeting\":\"", "\"}", &text, &len)) {
    if (len == 0) {
      ok = fail(err, "invalid echo-c configuration: greeting must be a non-empty string");
    } else if (len >= sizeof greeting) {
      ok = fail(err, "invalid echo-c configuration: greeting longer than 127 bytes");
    } else {
      memcpy(greeting, text, len);
      greeting[len] = 0;
    }
  } else {
    ok = fail(err, "invalid echo-c configuration: expected {\"greeting\": \"<text without quotes or backslashes>\"}");
  }
  plugin_string_free(config);
  if (ok) {
    plugin_string_t line;
    plugin_string_dup(&line, "echo-c ready");
    plinth_plugin_host_log(PLINTH_PLUGIN_HOST_LEVEL_INFO, &line);
    plugin_string_free(&line);
  }
  return ok;
}

bool exports_plinth_plugin_guest_destroy(plugin_string_t *err) {
  (void)err;
  return true;
}

// Writes `n` in decimal at `out`; the length.
static size_t decimal(int64_t n, char *out) {
  char digits[24];
  size_t len = 0, at = 0;
  uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
  do {
    digits[len++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (n < 0) out[at++] = '-';
  while (len) out[at++] = digits[--len];
  return at;
}

bool exports_plinth_plugin_guest_on_hook(plugin_string_t *hook, plugin_string_t *payload,
                                         plugin_string_t *ret, plugin_string_t *err) {
  bool ok = true;
  if (equals(hook, "demo:echo")) {
    // The payload's buffer becomes the answer: no copy.
    *ret = *payload;
    payload->ptr = NULL;
    payload->len = 0;
  } else if (equals(hook, "demo:count")) {
    plugin_string_t key, error;
    int64_t count;
    plugin_string_dup(&key, "calls");
    if (plinth_plugin_host_kv_add(&key, 1, &count, &error)) {
      char text[24];
      plugin_string_dup_n(ret, text, decimal(count, text));
    } else {
      *err = error;
      ok = false;
    }
    plugin_string_free(&key);
  } else if (equals(hook, "demo:greet")) {
    const uint8_t *name;
    size_t len;
    if (between(payload, "\"", "\"", &name, &len)) {
      size_t g = strlen(greeting), total = 1 + g + 2 + len + 2;
      char *text = malloc(total);
      if (!text) abort();
      text[0] = '"';
      memcpy(text + 1, greeting, g);
      memcpy(text + 1 + g, ", ", 2);
      memcpy(text + 3 + g, name, len);
      memcpy(text + 3 + g + len, "!\"", 2);
      ret->ptr = (uint8_t *)text;
      ret->len = total;
    } else {
      ok = fail(err, "demo:greet: expected a name as a JSON string without escapes");
    }
  } else {
    ok = fail(err, "echo-c does not tap this hook");
  }
  plugin_string_free(hook);
  plugin_string_free(payload);
  return ok;
}

bool exports_plinth_plugin_guest_on_message(plugin_string_t *topic, plugin_string_t *message,
                                            plugin_string_t *err) {
  (void)err;
  plugin_string_free(topic);
  plugin_string_free(message);
  return true;
}

void exports_plinth_plugin_guest_entities(plugin_string_t *ret) {
  plugin_string_dup(ret, "{\"languages\":{\"echo-c\":\"C\"}}");
}

bool exports_plinth_plugin_guest_answer(plugin_string_t *point, plugin_string_t *extension,
                                        plugin_string_t *maybe_object, plugin_string_t *data,
                                        plugin_option_string_t *ret, plugin_string_t *err) {
  (void)err;
  // Declines every extension point: this plugin only answers hooks.
  plugin_string_free(point);
  plugin_string_free(extension);
  if (maybe_object) plugin_string_free(maybe_object);
  plugin_string_free(data);
  ret->is_some = false;
  return true;
}
