// The admin chat page: wires the composer, the chats sidebar and the conversation log to
// the djai HTTP API. Start-up: capabilities + chats, then the chat in ?chat= (or a new one).
//
// #djai-app[data-state] is "loading", then "ready"; "busy" while a request is out.

import { Api, clientContext } from "./api.js";
import { loadChartLibrary } from "./charts.js";
import { ChatList, chatTitle } from "./chats.js";
import { h } from "./dom.js";
import { assistantArticle, closeClarification, examplesBlock, renderEnvelope, renderError } from "./envelopes.js";
import { Formatter } from "./format.js";
import { T } from "./text.js";

class App {
  constructor(config) {
    this.config = config;
    this.api = new Api(config.apiRoot, config.csrfToken);
    this.context = clientContext();
    this.formatter = new Formatter(this.context.locale, this.context.timezone);
    this.icons = config.icons;
    this.caps = null;
    this.chatId = null;
    this.chats = [];
    this.controller = null;
    const $ = (id) => document.getElementById(id);
    this.el = {
      app: $("djai-app"),
      log: $("djai-log"),
      title: $("djai-chat-title"),
      form: $("djai-composer"),
      input: $("djai-input"),
      send: $("djai-send"),
      progress: $("djai-progress"),
      progressText: $("djai-progress-text"),
      progressTime: $("djai-progress-time"),
      cancel: $("djai-cancel"),
      newChat: $("djai-new-chat"),
      toggle: $("djai-chats-toggle"),
      sidebar: document.querySelector(".djai-sidebar"),
    };
    this.sidebar = new ChatList({
      list: $("djai-chat-list"),
      empty: $("djai-chat-list-empty"),
      dialog: $("djai-confirm"),
      formatter: this.formatter,
      onOpen: (id) => this.openChat(id, { push: true }),
      onRename: (id, title) => this.renameChat(id, title),
      onDelete: (id) => this.deleteChat(id),
    });
  }

  async start() {
    this.wire();
    const [caps, chats] = await Promise.all([this.api.capabilities(this.config.model), this.api.chats()]);
    if (!caps.ok) {
      this.el.log.replaceChildren(renderError(caps.body, { retry: () => location.reload() }));
      this.el.app.dataset.state = "ready";
      return;
    }
    this.caps = caps.body;
    if (this.caps.max_message_length) this.el.input.maxLength = this.caps.max_message_length;
    this.chats = chats.ok ? chats.body.chats : [];
    const wanted = Number(new URLSearchParams(location.search).get("chat"));
    if (wanted && this.chats.some((c) => c.id === wanted)) await this.openChat(wanted);
    else this.newChat();
    this.el.app.dataset.state = "ready";
  }

  wire() {
    this.el.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.el.input.value;
      if (!text.trim()) return;
      this.el.input.value = "";
      this.ask(text);
    });
    this.el.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.el.form.requestSubmit();
      } else if (event.key === "Escape" && this.controller) {
        event.preventDefault();
        this.cancel();
      }
    });
    this.el.cancel.addEventListener("click", () => this.cancel());
    this.el.newChat.addEventListener("click", () => {
      this.newChat({ push: true });
      this.el.input.focus();
    });
    this.el.toggle.addEventListener("click", () => {
      const open = this.el.sidebar.dataset.open !== "true";
      this.el.sidebar.dataset.open = String(open);
      this.el.toggle.setAttribute("aria-expanded", String(open));
      this.el.toggle.textContent = open ? T.hideChats : T.showChats;
    });
    window.addEventListener("popstate", () => {
      const id = Number(new URLSearchParams(location.search).get("chat"));
      if (id) this.openChat(id);
      else this.newChat();
    });
  }

  // ---------------------------------------------------------------- chats

  newChat({ push = false } = {}) {
    this.chatId = null;
    this.setTitle(null);
    this.sidebar.render(this.chats, null);
    if (push) history.pushState(null, "", location.pathname + (this.config.model ? `?model=${this.config.model}` : ""));
    const focus = this.caps?.focus;
    this.el.log.replaceChildren(
      h(
        "div",
        { class: "djai-welcome" },
        h("p", {}, focus ? T.welcomeAbout(focus.name) : T.welcome),
        this.caps?.examples?.length ? examplesBlock(this.caps.examples, this, T.tryOne) : null,
      ),
    );
  }

  async openChat(chatId, { push = false } = {}) {
    this.cancel();
    const [chat, messages] = await Promise.all([this.api.chat(chatId), this.api.messages(chatId)]);
    if (!chat.ok || !messages.ok) {
      this.chats = this.chats.filter((c) => c.id !== chatId);
      this.newChat();
      this.el.log.prepend(renderError(chat.ok ? messages.body : chat.body));
      return;
    }
    this.chatId = chatId;
    this.setTitle(chat.body);
    this.sidebar.render(this.chats, chatId);
    this.closeSidebarOnPhone();
    if (push) history.pushState(null, "", `${location.pathname}?chat=${chatId}`);
    const pending = chat.body.pending_clarification?.id;
    this.el.log.replaceChildren();
    for (const message of messages.body.messages) {
      if (message.role === "user") {
        this.addUser(message.content, { dsl: message.kind === "dsl" || message.kind === "code", scroll: false });
      } else if (message.envelope) {
        const active = message.envelope.type === "clarification" && message.envelope.data.pending_clarification_id === pending;
        this.el.log.append(renderEnvelope(message.envelope, this, { active, history: true }));
      } else {
        this.el.log.append(assistantArticle("text", h("p", {}, message.content)));
      }
    }
    this.el.log.lastElementChild?.scrollIntoView({ block: "end" });
  }

  async ensureChat() {
    if (this.chatId) return this.chatId;
    const created = await this.api.createChat();
    if (!created.ok) {
      this.el.log.append(renderError(created.body, { retry: null }));
      return null;
    }
    this.chatId = created.body.id;
    this.chats = [created.body, ...this.chats];
    this.sidebar.render(this.chats, this.chatId);
    this.el.log.querySelector(".djai-welcome")?.remove();
    history.replaceState(null, "", `${location.pathname}?chat=${this.chatId}`);
    return this.chatId;
  }

  async refreshChats() {
    const listed = await this.api.chats();
    if (!listed.ok) return;
    this.chats = listed.body.chats;
    this.sidebar.render(this.chats, this.chatId);
    this.setTitle(this.chats.find((c) => c.id === this.chatId) || null);
  }

  async renameChat(chatId, title) {
    const renamed = await this.api.renameChat(chatId, title);
    if (!renamed.ok) {
      this.addAssistant(renderError(renamed.body));
      return false;
    }
    this.chats = this.chats.map((c) => (c.id === chatId ? renamed.body : c));
    this.sidebar.render(this.chats, this.chatId);
    if (chatId === this.chatId) this.setTitle(renamed.body);
    return true;
  }

  async deleteChat(chatId) {
    const deleted = await this.api.deleteChat(chatId);
    if (!deleted.ok && deleted.status !== 404) {
      this.addAssistant(renderError(deleted.body));
      return;
    }
    this.chats = this.chats.filter((c) => c.id !== chatId);
    if (chatId === this.chatId) this.newChat({ push: true });
    else this.sidebar.render(this.chats, this.chatId);
    this.el.newChat.focus();
  }

  setTitle(chat) {
    const title = chat ? chatTitle(chat) : T.newChat;
    this.el.title.textContent = title;
    document.title = document.title.replace(/^[^|]*\|/, `${title} · Data assistant |`);
  }

  closeSidebarOnPhone() {
    if (this.el.sidebar.dataset.open === "true") this.el.toggle.click();
  }

  // ---------------------------------------------------------------- conversation

  addUser(text, { dsl = false, scroll = true } = {}) {
    const article = h(
      "article",
      { class: "djai-msg djai-user", aria: { label: T.you } },
      dsl ? h("pre", { class: "djai-dsl-view" }, text) : h("p", {}, text),
    );
    this.el.log.append(article);
    if (scroll) article.scrollIntoView({ block: "nearest" });
    return article;
  }

  addAssistant(element) {
    this.el.log.append(element);
    element.scrollIntoView({ block: "nearest" });
    return element;
  }

  /** Ask a question (or answer a clarification): the message, or in preview mode the plan. */
  async ask(text, { clarification = null } = {}) {
    text = text.trim();
    if (!text || this.controller) return;
    const chatId = await this.ensureChat();
    if (!chatId) return;
    this.closeOpenClarifications();
    this.addUser(text);
    const preview = this.caps.preview_before_run && !clarification;
    const body = { content: text, client_context: this.context };
    if (clarification) body.clarification = clarification;
    await this.exchange(
      (signal) => (preview ? this.api.preview(chatId, body, { signal }) : this.api.send(chatId, body, { signal })),
      { retry: () => this.ask(text, { clarification }) },
    );
  }

  /** A quick action: the option's label is the message, its id the answer. */
  async choose(envelope, option, article) {
    const pendingId = envelope.data.pending_clarification_id;
    closeClarification(article);
    if (pendingId) {
      await this.ask(option.label, { clarification: { pending_clarification_id: pendingId, option_id: option.id } });
      return;
    }
    // A clarification from a preview has nothing pending: preview what the option means.
    const target = option.resolves_to;
    if (target.kind === "question") {
      await this.ask(target.question);
      return;
    }
    const chatId = await this.ensureChat();
    if (!chatId) return;
    this.addUser(option.label);
    await this.exchange((signal) => this.api.preview(chatId, { dsl: target.plan, client_context: this.context }, { signal }), {});
  }

  /** Run a DSL text. From the editor, errors go back to it instead of into the log. */
  async runDsl(dsl, { fromEditor = false } = {}) {
    const chatId = await this.ensureChat();
    if (!chatId || this.controller) return null;
    this.closeOpenClarifications();
    const user = this.addUser(dsl, { dsl: true });
    const envelope = await this.exchange(
      (signal) => this.api.run(chatId, { dsl, client_context: this.context }, { signal }),
      { render: (env) => !(fromEditor && env.type === "error") },
    );
    if (fromEditor && envelope?.type === "error") user.remove();
    return envelope;
  }

  /** Run an ORM snippet (escape hatch); like runDsl. */
  async runCode(code, { fromEditor = false } = {}) {
    const chatId = await this.ensureChat();
    if (!chatId || this.controller) return null;
    this.closeOpenClarifications();
    const user = this.addUser(code, { dsl: true });
    const envelope = await this.exchange(
      (signal) => this.api.runCode(chatId, { code, client_context: this.context }, { signal }),
      { render: (env) => !(fromEditor && env.type === "error") },
    );
    if (fromEditor && envelope?.type === "error") user.remove();
    return envelope;
  }

  /** Check an ORM snippet without running it. */
  async checkCode(code) {
    const chatId = await this.ensureChat();
    if (!chatId) return null;
    const checked = await this.api.previewCode(chatId, { code, client_context: this.context });
    return checked.body;
  }

  /** Check a DSL text without running it (the editor's Check). */
  async checkDsl(dsl) {
    const chatId = await this.ensureChat();
    if (!chatId) return null;
    const checked = await this.api.preview(chatId, { dsl, client_context: this.context });
    return checked.body;
  }

  async loadMore(envelope, cursor) {
    const chatId = envelope.meta.chat_id || this.chatId;
    const next = await this.api.page(chatId, envelope.data.message_id, cursor);
    return next.body;
  }

  exportUrl(envelope) {
    if (envelope.data.source === "code") return null; // CSV export is for plan answers
    const chatId = envelope.meta.chat_id || this.chatId;
    return envelope.data.message_id && chatId ? this.api.exportUrl(chatId, envelope.data.message_id) : null;
  }

  loadChart() {
    return loadChartLibrary(this.config.chartScript);
  }

  closeOpenClarifications() {
    for (const article of this.el.log.querySelectorAll(".djai-clarification:not(.djai-closed)")) {
      closeClarification(article);
    }
  }

  /**
   * One request with the progress indicator and Cancel; its envelope is rendered into the
   * log (unless options.render says not to) and returned. Cancelling returns null.
   */
  async exchange(call, { retry = null, render = () => true } = {}) {
    const controller = new AbortController();
    this.controller = controller;
    this.showProgress(true);
    let envelope = null;
    try {
      const response = await call(controller.signal);
      envelope = response.body;
      if (render(envelope)) this.addAssistant(renderEnvelope(envelope, this, { retry, active: true }));
      // New titles (chats are titled from their first answer) and order.
      if (envelope.type !== "error") await this.refreshChats();
    } catch (error) {
      if (error.name !== "AbortError") throw error;
      this.addAssistant(assistantArticle("note", h("p", { class: "djai-quiet" }, T.cancelled)));
    } finally {
      if (this.controller === controller) this.controller = null;
      this.showProgress(false);
    }
    if (document.activeElement === document.body) this.el.input.focus();
    return envelope;
  }

  cancel() {
    this.controller?.abort();
  }

  showProgress(on) {
    clearInterval(this.timer);
    this.el.progress.hidden = !on;
    this.el.send.disabled = on;
    this.el.app.dataset.state = on ? "busy" : "ready";
    this.el.log.setAttribute("aria-busy", String(on));
    if (!on) return;
    // The seconds are for the eye only: a screen reader hears "Working…" once.
    const started = Date.now();
    this.el.progressText.textContent = T.working;
    this.el.progressTime.textContent = "";
    this.timer = setInterval(() => {
      this.el.progressTime.textContent = T.seconds(Math.round((Date.now() - started) / 1000));
    }, 1000);
  }
}

const config = JSON.parse(document.getElementById("djai-config").textContent);
const app = new App(config);
window.djaiAssistant = app; // for debugging from the console
app.start();
