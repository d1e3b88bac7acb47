// The chats sidebar: most recently active first, with rename (inline) and delete (after a
// confirmation dialog). Each chat is a real link (?chat=<id>), so it can open in a new tab.

import { button, h } from "./dom.js";
import { T } from "./text.js";

export function chatTitle(chat) {
  return chat?.title || T.untitled;
}

export class ChatList {
  /**
   * @param {object} o  list, empty (elements), dialog (<dialog>), formatter,
   *                    onOpen(id), onRename(id, title) -> Promise<bool>, onDelete(id)
   */
  constructor({ list, empty, dialog, formatter, onOpen, onRename, onDelete }) {
    Object.assign(this, { list, empty, dialog, formatter, onOpen, onRename, onDelete });
    this.chats = [];
    this.activeId = null;
    this.dateFormat = new Intl.DateTimeFormat(formatter.locale, {
      timeZone: formatter.timeZone,
      dateStyle: "medium",
      timeStyle: "short",
    });
  }

  render(chats = this.chats, activeId = this.activeId) {
    this.chats = chats;
    this.activeId = activeId;
    this.list.replaceChildren(...chats.map((chat) => this.item(chat)));
    this.empty.hidden = chats.length > 0;
  }

  item(chat) {
    const active = chat.id === this.activeId;
    const title = chatTitle(chat);
    const link = h(
      "a",
      {
        href: `?chat=${chat.id}`,
        class: "djai-chat-link",
        aria: { current: active ? "page" : null },
        onclick: (event) => {
          if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
          event.preventDefault();
          this.onOpen(chat.id);
        },
      },
      h("span", { class: "djai-chat-name" }, title),
      h("span", { class: "djai-chat-date" }, this.dateFormat.format(new Date(chat.updated_at))),
    );
    const rename = button("", () => this.startRename(li, chat), {
      class: "djai-icon-button djai-rename",
      aria: { label: T.renameLabel(title) },
      title: T.rename,
    });
    const remove = button("", () => this.confirmDelete(chat), {
      class: "djai-icon-button djai-delete",
      aria: { label: T.deleteLabel(title) },
      title: T.delete,
    });
    const li = h("li", { class: active ? "djai-chat djai-active" : "djai-chat", dataset: { chatId: chat.id } }, link, rename, remove);
    return li;
  }

  startRename(li, chat) {
    const input = h("input", {
      type: "text",
      class: "djai-rename-input",
      maxlength: "200",
      required: true,
      aria: { label: T.renameLabel(chatTitle(chat)) },
    });
    input.value = chat.title;
    const form = h(
      "form",
      { class: "djai-rename-form" },
      input,
      h("button", { type: "submit", class: "button" }, T.save),
      button(T.cancel, () => restore()),
    );
    const restore = () => {
      this.render();
      this.list.querySelector(`[data-chat-id="${chat.id}"] .djai-rename`)?.focus();
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const title = input.value.trim();
      if (!title) return;
      if (await this.onRename(chat.id, title)) restore();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        restore();
      }
    });
    li.replaceChildren(form);
    input.focus();
    input.select();
  }

  confirmDelete(chat) {
    const dialog = this.dialog;
    dialog.querySelector("#djai-confirm-text").textContent = T.deleteText(chatTitle(chat));
    dialog.returnValue = "";
    dialog.addEventListener(
      "close",
      () => {
        if (dialog.returnValue === "confirm") this.onDelete(chat.id);
        else this.list.querySelector(`[data-chat-id="${chat.id}"] .djai-delete`)?.focus();
      },
      { once: true },
    );
    dialog.showModal();
    dialog.querySelector('button[value="cancel"]').focus();
  }
}
