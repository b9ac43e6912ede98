// The seed 000 HookRegistry (hooks/HookRegistry.ts), ported to JavaScript
// as written, including its `|| 10` priority defect: it is the baseline,
// not a fixed version.
'use strict';

class HookRegistry {
  constructor() {
    this.hooks = new Map();
    this.priorities = new Map();
  }

  register(hookName, callback, priority = 10) {
    if (!this.hooks.has(hookName)) {
      this.hooks.set(hookName, []);
      this.priorities.set(hookName, new Map());
    }
    const callbacks = this.hooks.get(hookName);
    const priorityMap = this.priorities.get(hookName);
    callbacks.push(callback);
    priorityMap.set(callback, priority);
    callbacks.sort((a, b) => (priorityMap.get(a) || 10) - (priorityMap.get(b) || 10));
  }

  unregister(hookName, callback) {
    const callbacks = this.hooks.get(hookName);
    if (!callbacks) return;
    const index = callbacks.indexOf(callback);
    if (index > -1) {
      callbacks.splice(index, 1);
      this.priorities.get(hookName)?.delete(callback);
    }
  }

  async trigger(hookName, data) {
    const callbacks = this.hooks.get(hookName);
    if (!callbacks || callbacks.length === 0) {
      return data;
    }
    let result = data;
    for (const callback of callbacks) {
      result = await callback(result);
    }
    return result;
  }

  async broadcast(hookName, data) {
    const callbacks = this.hooks.get(hookName);
    if (!callbacks) return;
    await Promise.all(callbacks.map((callback) => callback(data)));
  }
}

module.exports = { HookRegistry };
