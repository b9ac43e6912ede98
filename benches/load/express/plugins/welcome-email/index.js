// The tutorial's WelcomeEmailPlugin, in JavaScript; `checkAndSendWelcome`
// records the mail in an outbox service, as plinth's example does.
'use strict';

class WelcomeEmailPlugin {
  constructor() {
    this.metadata = { name: 'welcome-email', version: '1.0.0' };
    this.unsubscribe = null;
    this.outbox = null;
  }

  async initialize(context) {
    this.outbox = context.services.get('outbox');
    this.unsubscribe = context.messageBus.subscribe('user:logged-in', async (message) => {
      await this.checkAndSendWelcome(message.userId);
    });
  }

  async destroy() {
    this.unsubscribe?.();
  }

  async checkAndSendWelcome(userId) {
    if (!this.outbox.some((mail) => mail.to === userId)) {
      this.outbox.push({ to: userId, subject: 'Welcome!' });
    }
  }
}

module.exports = { default: WelcomeEmailPlugin };
