// The tutorial's UserActivityPlugin, in JavaScript as written.
'use strict';

class UserActivityPlugin {
  constructor() {
    this.metadata = { name: 'user-activity', version: '1.0.0' };
  }

  async initialize(context) {
    context.hooks.register('user:login', async (data) => {
      await context.messageBus.publish('user:logged-in', {
        userId: data.userId,
        timestamp: new Date(),
        source: 'user-activity-plugin',
      });
      return data;
    });
  }
}

module.exports = { default: UserActivityPlugin };
