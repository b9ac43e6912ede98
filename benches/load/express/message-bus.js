// The tutorial's MessageBus (plugins/MessageBus.ts), in JavaScript as
// written.
'use strict';

class MessageBus {
  constructor() {
    this.subscribers = new Map();
  }

  subscribe(messageType, handler) {
    if (!this.subscribers.has(messageType)) {
      this.subscribers.set(messageType, new Set());
    }
    this.subscribers.get(messageType).add(handler);
    return () => {
      this.subscribers.get(messageType)?.delete(handler);
    };
  }

  async publish(messageType, message) {
    const handlers = this.subscribers.get(messageType);
    if (!handlers) return;
    const errors = [];
    await Promise.all(
      Array.from(handlers).map(async (handler) => {
        try {
          await handler(message);
        } catch (error) {
          errors.push(error);
        }
      }),
    );
    if (errors.length > 0) {
      console.error(`Errors publishing message ${messageType}:`, errors);
    }
  }
}

module.exports = { MessageBus };
