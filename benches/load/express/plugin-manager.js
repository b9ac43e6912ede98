// The tutorial's PluginManager (plugins/PluginManager.ts), in JavaScript as
// written: discovery of plugin folders (each with an index.js), dependency
// order, initialize, enable, disable, shutdown. The context also carries
// the tutorial's message bus, as its "Plugin Communication" section adds.
'use strict';

const fs = require('fs/promises');
const path = require('path');
const { HookRegistry } = require('../../../bench/hooks/hook-registry');

class PluginManager {
  constructor(options) {
    this.plugins = new Map();
    this.pluginDirectory = options.pluginDirectory;
    this.hooks = new HookRegistry();
    this.context = { ...options.context, hooks: this.hooks };
  }

  async discoverPlugins() {
    const entries = await fs.readdir(this.pluginDirectory, { withFileTypes: true });
    const pluginDirs = entries.filter((entry) => entry.isDirectory());
    for (const dir of pluginDirs) {
      const pluginPath = path.join(this.pluginDirectory, dir.name);
      await this.loadPlugin(pluginPath);
    }
  }

  async loadPlugin(pluginPath) {
    try {
      const pluginModule = require(pluginPath);
      const PluginClass = pluginModule.default || pluginModule.plugin;
      if (!PluginClass) {
        console.warn(`No plugin export found in ${pluginPath}`);
        return;
      }
      const instance = new PluginClass();
      const { metadata } = instance;
      if (this.plugins.has(metadata.name)) {
        console.warn(`Plugin ${metadata.name} already loaded, skipping`);
        return;
      }
      this.plugins.set(metadata.name, { instance, metadata, enabled: true, initialized: false });
      this.context.logger.info(`Loaded plugin: ${metadata.name}@${metadata.version}`);
    } catch (error) {
      console.error(`Failed to load plugin from ${pluginPath}:`, error);
    }
  }

  async initializeAll() {
    const order = this.resolveDependencyOrder();
    for (const pluginName of order) {
      await this.initializePlugin(pluginName);
    }
    await this.hooks.broadcast('plugins:ready', { plugins: Array.from(this.plugins.keys()) });
  }

  async initializePlugin(name) {
    const plugin = this.plugins.get(name);
    if (!plugin || plugin.initialized || !plugin.enabled) return;
    try {
      await plugin.instance.initialize(this.context);
      plugin.initialized = true;
      this.context.logger.info(`Initialized plugin: ${name}`);
    } catch (error) {
      console.error(`Failed to initialize plugin ${name}:`, error);
      plugin.enabled = false;
    }
  }

  resolveDependencyOrder() {
    const order = [];
    const visited = new Set();
    const visiting = new Set();
    const visit = (name) => {
      if (visited.has(name)) return;
      if (visiting.has(name)) {
        throw new Error(`Circular dependency detected involving ${name}`);
      }
      visiting.add(name);
      const plugin = this.plugins.get(name);
      if (plugin?.metadata.dependencies) {
        for (const depName of Object.keys(plugin.metadata.dependencies)) {
          if (this.plugins.has(depName)) {
            visit(depName);
          } else {
            console.warn(`Missing dependency: ${name} requires ${depName}`);
          }
        }
      }
      visiting.delete(name);
      visited.add(name);
      order.push(name);
    };
    for (const name of this.plugins.keys()) visit(name);
    return order;
  }

  async disablePlugin(name) {
    const plugin = this.plugins.get(name);
    if (!plugin || !plugin.enabled) return;
    if (plugin.instance.destroy) await plugin.instance.destroy();
    plugin.enabled = false;
    plugin.initialized = false;
  }

  async enablePlugin(name) {
    const plugin = this.plugins.get(name);
    if (!plugin || plugin.enabled) return;
    plugin.enabled = true;
    await this.initializePlugin(name);
  }

  getHooks() {
    return this.hooks;
  }

  listPlugins() {
    return Array.from(this.plugins.values()).map((p) => ({ ...p.metadata, enabled: p.enabled }));
  }

  async shutdown() {
    const order = this.resolveDependencyOrder().reverse();
    for (const name of order) {
      const plugin = this.plugins.get(name);
      if (plugin?.enabled && plugin.instance.destroy) {
        await plugin.instance.destroy();
      }
    }
    this.plugins.clear();
  }
}

module.exports = { PluginManager };
