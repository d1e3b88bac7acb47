// The DSL editor: a monospace text area with Check, Run and Cancel. Errors the API reports
// for the text (data.line / data.column) are shown right under it: the line with a caret at
// the column, what was expected, and the server's "did you mean"; the text cursor is put
// at the error.

import { button, h, uid } from "./dom.js";
import { T, errorTitle } from "./text.js";

export class DslEditor {
  /**
   * @param {object} o
   * @param {string} o.dsl        the text to start from
   * @param {function} o.onCheck  async (dsl) => envelope (a preview)
   * @param {function} o.onRun    async (dsl) => envelope (the run's answer or error)
   * @param {function} o.onClose  () => void
   * @param {string} [o.label]    the field's label (default: the DSL's)
   * @param {string} [o.help]     the help line under it
   */
  constructor({ dsl, onCheck, onRun, onClose, maxLength, label = T.dslLabel, help = T.dslHelp }) {
    this.onCheck = onCheck;
    this.onRun = onRun;
    this.onClose = onClose;
    const id = uid("djai-dsl");
    this.errorId = `${id}-error`;
    this.textarea = h("textarea", {
      id,
      class: "djai-dsl vLargeTextField",
      rows: String(Math.min(Math.max(dsl.split("\n").length + 1, 4), 16)),
      spellcheck: "false",
      autocapitalize: "off",
      autocomplete: "off",
      maxlength: maxLength ? String(maxLength) : null,
      aria: { describedby: `${id}-help` },
    });
    this.textarea.value = dsl;
    this.textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.run();
      } else if (event.key === "Escape") {
        event.preventDefault();
        this.close();
      }
    });
    this.textarea.addEventListener("input", () => this.clearFeedback());
    this.feedback = h("div", { class: "djai-dsl-feedback", id: this.errorId, aria: { live: "polite" } });
    this.checkButton = button(T.check, () => this.check());
    this.runButton = h("button", { type: "button", class: "button default", onclick: () => this.run() }, T.run);
    this.element = h(
      "div",
      { class: "djai-editor" },
      h("label", { for: id }, label),
      this.textarea,
      h("p", { class: "djai-help", id: `${id}-help` }, help),
      this.feedback,
      h("div", { class: "djai-actions" }, this.runButton, this.checkButton, button(T.cancel, () => this.close())),
    );
  }

  focus() {
    this.textarea.focus();
  }

  close() {
    this.element.remove();
    this.onClose?.();
  }

  async check() {
    await this.submit(this.onCheck, (envelope) => {
      if (envelope.type === "answer") this.showValid(envelope);
      else if (envelope.type === "error") this.showError(envelope);
    });
  }

  async run() {
    await this.submit(this.onRun, (envelope) => {
      if (envelope.type === "error") this.showError(envelope);
      else this.close();
    });
  }

  async submit(action, done) {
    this.clearFeedback();
    this.setBusy(true);
    try {
      const envelope = await action(this.textarea.value);
      if (envelope) done(envelope);
    } finally {
      this.setBusy(false);
    }
  }

  setBusy(busy) {
    this.runButton.disabled = busy;
    this.checkButton.disabled = busy;
  }

  clearFeedback() {
    this.feedback.replaceChildren();
    this.feedback.className = "djai-dsl-feedback";
    this.textarea.removeAttribute("aria-invalid");
    this.textarea.setAttribute("aria-describedby", this.textarea.getAttribute("aria-describedby").split(" ")[0]);
  }

  showValid(envelope) {
    this.feedback.className = "djai-dsl-feedback djai-ok";
    this.feedback.append(h("p", {}, T.planValid), h("p", {}, envelope.data.explanation));
  }

  /** The error under the text area, at its line and column when the API gave them. */
  showError(envelope) {
    const data = envelope.data || {};
    this.feedback.className = "djai-dsl-feedback djai-error";
    this.feedback.setAttribute("role", "alert");
    const where = data.line ? T.lineColumn(data.line, data.column || 1) + ": " : "";
    this.feedback.append(
      h("p", { class: "djai-error-title" }, errorTitle(data.error_code)),
      h("p", { class: "djai-dsl-message" }, h("strong", {}, where), envelope.message),
    );
    if (data.line) this.feedback.append(excerpt(this.textarea.value, data.line, data.column || 1));
    if (data.expected?.length && !/expected/i.test(envelope.message)) {
      this.feedback.append(h("p", {}, `${T.expected} ${data.expected.join(", ")}`));
    }
    for (const detail of data.details || []) {
      if (detail.message && detail.message !== envelope.message) {
        this.feedback.append(h("p", {}, detail.path ? `${detail.path}: ${detail.message}` : detail.message));
      }
      if (detail.suggestions?.length) {
        this.feedback.append(h("p", {}, `${T.didYouMean} ${detail.suggestions.join(", ")}`));
      }
    }
    if (data.hint) this.feedback.append(h("p", { class: "djai-hint" }, data.hint));
    this.textarea.setAttribute("aria-invalid", "true");
    this.textarea.setAttribute(
      "aria-describedby",
      `${this.textarea.getAttribute("aria-describedby").split(" ")[0]} ${this.errorId}`,
    );
    if (data.line) placeCursor(this.textarea, data.line, data.column || 1);
  }
}

/** The offending line with a caret under the column, like a compiler prints it. */
function excerpt(text, line, column) {
  const lines = text.split("\n");
  const source = lines[line - 1] ?? "";
  const number = String(line);
  const gutter = " ".repeat(number.length);
  const caret = " ".repeat(Math.max(column - 1, 0)) + "^";
  return h(
    "pre",
    { class: "djai-dsl-excerpt", aria: { hidden: "true" } },
    `${number} | ${source}\n${gutter} | `,
    h("span", { class: "djai-caret" }, caret),
  );
}

function placeCursor(textarea, line, column) {
  const lines = textarea.value.split("\n");
  let offset = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i += 1) offset += lines[i].length + 1;
  offset += Math.max(column - 1, 0);
  offset = Math.min(offset, textarea.value.length);
  textarea.focus();
  textarea.setSelectionRange(offset, offset);
}
