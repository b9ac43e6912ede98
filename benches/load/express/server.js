// The tutorial's Express application (app.ts), in JavaScript: the plugin
// manager discovers ./plugins, a middleware broadcasts request:start and,
// on 'finish', request:complete, and POST /api/users/:id/action triggers
// the user:action filter. Changes, each needed to run it at all or to do
// the same work as plinth's example:
// - express.json() parses bodies (the tutorial reads req.body without it);
// - request:start carries the client's address, as plinth's does;
// - the configuration gives the audit log's path and the rate limiter's
//   settings from a JSON file (argv: --port N --config FILE);
// - the logger drops debug lines; SIGTERM shuts the plugins down.
'use strict';

const path = require('path');
const fs = require('fs');
const express = require('express');
const { PluginManager } = require('./plugin-manager');
const { MessageBus } = require('./message-bus');

function createLogger() {
  return {
    debug() {},
    info: (...args) => console.error('[info]', ...args),
    warn: (...args) => console.error('[warn]', ...args),
    error: (...args) => console.error('[error]', ...args),
  };
}

class Config {
  constructor(values) {
    this.values = values;
  }

  get(key, fallback) {
    let value = this.values;
    for (const part of key.split('.')) {
      if (value == null || typeof value !== 'object' || !(part in value)) return fallback;
      value = value[part];
    }
    return value;
  }
}

class ServiceContainer {
  constructor() {
    this.services = new Map();
  }

  set(name, service) {
    this.services.set(name, service);
  }

  get(name) {
    return this.services.get(name);
  }
}

function args() {
  const parsed = { port: 3000, config: {} };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') parsed.port = Number(argv[++i]);
    else if (argv[i] === '--config') parsed.config = JSON.parse(fs.readFileSync(argv[++i], 'utf8'));
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return parsed;
}

function generateId() {
  return Math.random().toString(36).substring(2, 15);
}

async function processUserAction(data) {
  return { processed: true, data };
}

async function createApp(config) {
  const app = express();
  const logger = createLogger();
  const services = new ServiceContainer();
  services.set('outbox', []);
  const messageBus = new MessageBus();

  const pluginManager = new PluginManager({
    pluginDirectory: path.join(__dirname, 'plugins'),
    context: { logger, config, services, messageBus },
  });
  await pluginManager.discoverPlugins();
  await pluginManager.initializeAll();
  const hooks = pluginManager.getHooks();

  app.use(express.json());

  app.use(async (req, res, next) => {
    const startTime = Date.now();
    await hooks.broadcast('request:start', {
      requestId: req.headers['x-request-id'] || generateId(),
      method: req.method,
      path: req.path,
      ip: req.ip,
    });
    res.on('finish', async () => {
      await hooks.broadcast('request:complete', {
        requestId: req.headers['x-request-id'],
        method: req.method,
        path: req.path,
        statusCode: res.statusCode,
        duration: Date.now() - startTime,
      });
    });
    next();
  });

  app.get('/healthz', (req, res) => {
    res.json({ status: 'ok' });
  });

  app.post('/api/users/:id/action', async (req, res) => {
    const { id } = req.params;
    const { action, payload } = req.body;
    const processedData = await hooks.trigger('user:action', { userId: id, action, payload });
    const result = await processUserAction(processedData);
    res.json(result);
  });

  app.get('/api/admin/plugins', (req, res) => {
    res.json(pluginManager.listPlugins());
  });

  process.on('SIGTERM', async () => {
    await pluginManager.shutdown();
    process.exit(0);
  });

  return app;
}

const { port, config } = args();
createApp(new Config(config)).then((app) => {
  const server = app.listen(port, '127.0.0.1', () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}`);
  });
});
