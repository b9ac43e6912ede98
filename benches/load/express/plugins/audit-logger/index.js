// The tutorial's AuditLoggerPlugin, in JavaScript. One change, so that it
// does the work plinth's audit logger does: the flush appends the entries
// to a file as JSON lines (the tutorial leaves that line commented out).
'use strict';

const fs = require('fs/promises');

class AuditLoggerPlugin {
  constructor() {
    this.metadata = {
      name: 'audit-logger',
      version: '1.0.0',
      description: 'Logs all user actions to an audit trail',
      author: 'Your Team',
    };
    this.context = null;
    this.logBuffer = [];
    this.flushInterval = null;
    this.handleUserAction = this.handleUserAction.bind(this);
    this.handleRequestComplete = this.handleRequestComplete.bind(this);
  }

  async initialize(context) {
    this.context = context;
    const { hooks, logger, config } = context;
    hooks.register('user:action', this.handleUserAction, 1);
    hooks.register('request:complete', this.handleRequestComplete, 100);
    const flushIntervalMs = config.get('auditLogger.flushInterval', 5000);
    this.path = config.get('auditLogger.path', 'audit.log');
    this.flushInterval = setInterval(() => {
      this.flushLogs();
    }, flushIntervalMs);
    logger.info('Audit logger plugin initialized');
  }

  handleUserAction(data) {
    this.logBuffer.push({
      timestamp: new Date(),
      action: `user:${data.action}`,
      data: { userId: data.userId, payload: data.payload },
    });
    return data;
  }

  handleRequestComplete(data) {
    this.logBuffer.push({ timestamp: new Date(), action: 'request:complete', data });
    return data;
  }

  async flushLogs() {
    if (this.logBuffer.length === 0) return;
    const logsToFlush = [...this.logBuffer];
    this.logBuffer = [];
    try {
      this.context?.logger.debug(`Flushing ${logsToFlush.length} audit log entries`);
      const lines = logsToFlush
        .map((entry) => JSON.stringify({ ...entry, timestamp: entry.timestamp.getTime() }))
        .join('\n');
      await fs.appendFile(this.path, lines + '\n');
    } catch (error) {
      this.logBuffer = [...logsToFlush, ...this.logBuffer];
      this.context?.logger.error('Failed to flush audit logs', error);
    }
  }

  async destroy() {
    if (this.flushInterval) {
      clearInterval(this.flushInterval);
      this.flushInterval = null;
    }
    await this.flushLogs();
    if (this.context) {
      this.context.hooks.unregister('user:action', this.handleUserAction);
      this.context.hooks.unregister('request:complete', this.handleRequestComplete);
    }
    this.context?.logger.info('Audit logger plugin destroyed');
  }
}

module.exports = { default: AuditLoggerPlugin };
