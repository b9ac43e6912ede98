// `echo-js`: a sandboxed plugin in JavaScript, built by componentize-js
// against the plinth:plugin world (see guests/build.sh).
//
// - `demo:echo` (a filter of JSON values) answers its payload unchanged;
// - `demo:count` counts its calls across all instances with the store's
//   atomic add and answers the count;
// - `demo:greet` answers `"<greeting>, <payload>!"`, the greeting from the
//   plugin's configuration (`{"greeting": "Hello"}` by default).
//
// The component is built with every WASI feature disabled: it imports the
// plinth world and nothing else, so `Date.now()` and `Math.random()` are
// frozen; a plugin that needs them asks the host (`nowMs`, `randomBytes`),
// which checks its grants.
import { log, kvAdd } from 'plinth:plugin/host@0.1.3';

let greeting = 'Hello';

export const guest = {
  initialize(text) {
    const config = JSON.parse(text) ?? {};
    if (config.greeting !== undefined) {
      if (typeof config.greeting !== 'string' || config.greeting === '') {
        throw 'invalid echo-js configuration: greeting must be a non-empty string';
      }
      greeting = config.greeting;
    }
    log('info', `echo-js ready, greeting "${greeting}"`);
  },

  destroy() {},

  onHook(hook, payload) {
    switch (hook) {
      case 'demo:echo':
        return payload;
      case 'demo:count':
        return JSON.stringify(Number(kvAdd('calls', 1n)));
      case 'demo:greet':
        return JSON.stringify(`${greeting}, ${JSON.parse(payload)}!`);
      default:
        throw `echo-js does not tap ${hook}`;
    }
  },

  onMessage(topic, message) {
    log('debug', `echo-js got ${message} on ${topic}`);
  },

  entities() {
    return JSON.stringify({ languages: { 'echo-js': 'JavaScript' } });
  },

  answer(point, extension, object, data) {
    // Declines every extension point: this plugin only answers hooks.
    return undefined;
  },
};
