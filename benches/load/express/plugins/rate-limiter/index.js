// The tutorial's RateLimiterPlugin, in JavaScript as written: it counts
// requests per key in `request:start` and marks the ones over the limit
// (the tutorial's broadcast drops that mark, so nothing is refused).
'use strict';

class RateLimiterPlugin {
  constructor() {
    this.metadata = {
      name: 'rate-limiter',
      version: '1.0.0',
      description: 'Request rate limiting',
      configSchema: {
        type: 'object',
        properties: {
          windowMs: { type: 'number', default: 60000, description: 'Time window in milliseconds' },
          maxRequests: { type: 'number', default: 100, description: 'Maximum requests per window' },
          keyGenerator: { type: 'string', enum: ['ip', 'user', 'custom'], default: 'ip' },
        },
        required: ['windowMs', 'maxRequests'],
      },
    };
    this.config = null;
    this.requestCounts = new Map();
  }

  async initialize(context) {
    this.config = context.config.get(`plugins.${this.metadata.name}`, {
      windowMs: 60000,
      maxRequests: 100,
      keyGenerator: 'ip',
    });
    context.hooks.register('request:start', async (data) => {
      const key = this.getKey(data);
      const allowed = this.checkLimit(key);
      if (!allowed) {
        return { ...data, rateLimited: true };
      }
      return data;
    }, 0);
  }

  getKey(data) {
    switch (this.config?.keyGenerator) {
      case 'user':
        return data.userId || data.ip || 'anonymous';
      case 'ip':
      default:
        return data.ip || 'unknown';
    }
  }

  checkLimit(key) {
    const now = Date.now();
    const record = this.requestCounts.get(key);
    if (!record || record.resetAt < now) {
      this.requestCounts.set(key, { count: 1, resetAt: now + (this.config?.windowMs || 60000) });
      return true;
    }
    if (record.count >= (this.config?.maxRequests || 100)) {
      return false;
    }
    record.count++;
    return true;
  }
}

module.exports = { default: RateLimiterPlugin };
