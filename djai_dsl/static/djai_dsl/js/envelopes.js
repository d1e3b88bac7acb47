// One renderer per envelope type (answer, clarification, out_of_scope, error) and for plan
// previews. Renderers only build DOM; what buttons do is asked of ``app`` (main.js):
//
//   app.formatter, app.icons, app.caps           formatting and settings
//   app.ask(text)                                 send a question
//   app.choose(envelope, option, article)         a clarification quick action
//   app.loadMore(envelope, cursor)                -> next page envelope
//   app.exportUrl(envelope)                       -> CSV URL or null
//   app.runDsl(dsl, {fromEditor})                 -> envelope (answers go to the log)
//   app.checkDsl(dsl)                             -> preview envelope
//   app.runCode(code, {fromEditor}), app.checkCode(code)   the same for ORM snippets
//   app.loadChart()                               -> Promise<Chart>

import { chartShape, drawChart } from "./charts.js";
import { button, h, uid } from "./dom.js";
import { DslEditor } from "./editor.js";
import { ResultTable } from "./table.js";
import { T, errorTitle } from "./text.js";

export function assistantArticle(kind, ...children) {
  return h(
    "article",
    { class: `djai-msg djai-assistant djai-${kind}`, aria: { label: T.assistant } },
    ...children,
  );
}

/** The element for one envelope. options: {active, retry, history} */
export function renderEnvelope(envelope, app, options = {}) {
  switch (envelope?.type) {
    case "answer":
      return envelope.data.executed ? renderAnswer(envelope, app) : renderPreview(envelope, app);
    case "clarification":
      return renderClarification(envelope, app, options);
    case "out_of_scope":
      return renderOutOfScope(envelope, app);
    default:
      return renderError(envelope, options);
  }
}

// ------------------------------------------------------------------------- answer

function renderAnswer(envelope, app) {
  const d = envelope.data;
  const article = assistantArticle(
    "answer",
    fromCode(d),
    h("p", { class: "djai-explanation" }, d.explanation),
    notes(d.notes),
    h("p", { class: "djai-summary" }, envelope.message),
  );
  if (d.result) article.append(new ResultView(envelope, app).element);
  article.append(...[planPanel(envelope, app), snippetPanel(envelope, app), codePanel(d.code)].filter(Boolean));
  return article;
}

// ------------------------------------------------------------------------- ORM snippets

/** The mark on an answer that an ORM snippet (the escape hatch) computed, not a plan. */
function fromCode(d) {
  return d.source === "code" ? h("p", { class: "djai-from-code" }, T.fromCode) : null;
}

/** The snippet under a code answer (sent only to users who may see code); users who may
 * run snippets (capabilities.escape_hatch) can edit and re-run it. */
function snippetPanel(envelope, app) {
  const code = envelope.data.snippet;
  if (!code) return null;
  const body = h("div", { class: "djai-plan-body" }, h("pre", { class: "djai-dsl-view djai-snippet" }, code));
  if (app.caps?.escape_hatch) {
    const edit = button(T.editAndRun, () => openCodeEditor(body, code, app, edit));
    body.append(h("div", { class: "djai-actions" }, edit));
  }
  return h("details", { class: "djai-plan djai-code-snippet" }, h("summary", {}, T.snippet), body);
}

function openCodeEditor(container, code, app, opener) {
  if (container.querySelector(".djai-editor")) {
    container.querySelector(".djai-editor textarea").focus();
    return;
  }
  opener.hidden = true;
  const editor = new DslEditor({
    dsl: code,
    label: T.codeLabel,
    help: T.codeHelp,
    maxLength: app.caps?.max_dsl_length,
    onCheck: (text) => app.checkCode(text),
    onRun: (text) => app.runCode(text, { fromEditor: true }),
    onClose: () => {
      opener.hidden = false;
      opener.focus();
    },
  });
  container.append(editor.element);
  editor.focus();
}

function renderCodePreview(envelope, app) {
  const d = envelope.data;
  const body = h("div", { class: "djai-plan-body" });
  if (d.snippet) body.append(h("pre", { class: "djai-dsl-view djai-snippet", aria: { label: T.snippet } }, d.snippet));
  body.append(codePanel(d.code));
  if (d.snippet && app.caps?.escape_hatch) {
    const run = h("button", { type: "button", class: "button default" }, T.run);
    const ran = h("p", { class: "djai-quiet", hidden: true }, T.previewRan);
    run.addEventListener("click", async () => {
      run.disabled = true;
      const result = await app.runCode(d.snippet, { fromEditor: false });
      if (result?.type === "answer") ran.hidden = false;
      else run.disabled = false;
    });
    const edit = button(T.edit, () => openCodeEditor(body, d.snippet, app, edit));
    body.append(h("div", { class: "djai-actions" }, run, edit), ran);
  }
  return assistantArticle(
    "preview",
    fromCode(d),
    h("p", { class: "djai-quiet" }, T.codePreview),
    h("p", { class: "djai-explanation" }, d.explanation),
    notes(d.notes),
    body,
  );
}

function notes(items) {
  if (!items?.length) return null;
  return h("div", { class: "djai-notes" }, h("p", {}, T.notes), h("ul", {}, items.map((n) => h("li", {}, n))));
}

function windows(items) {
  if (!items?.length) return null;
  return h(
    "p",
    { class: "djai-windows" },
    `${T.windows}: `,
    items.map((w, i) => [i ? "; " : "", h("span", { title: `${w.start} – ${w.end}` }, `${w.field}: ${w.description}`)]),
  );
}

/** The table (and chart) of an answer, with load more and CSV download. */
class ResultView {
  constructor(envelope, app) {
    const d = envelope.data;
    this.app = app;
    this.envelope = envelope;
    this.columns = d.result.columns;
    this.rows = [...d.result.rows];
    this.cursor = d.next_cursor;
    this.truncated = d.truncated;
    this.table = new ResultTable(this.columns, app.formatter, app.icons);
    this.table.addRows(this.rows);
    this.shape = chartShape(this.columns, this.rows);
    this.view = "table";

    this.chartBox = h("div", { class: "djai-chart", hidden: true });
    this.status = h("p", { class: "djai-result-status", aria: { live: "polite" } });
    this.moreButton = button(T.loadMore, () => this.loadMore(), { class: "button djai-load-more" });
    this.error = h("div", { class: "djai-inline-error" });
    const tools = h("div", { class: "djai-result-tools" });
    if (this.shape) tools.append(this.toggle());
    const url = app.exportUrl(envelope);
    if (url && this.rows.length) {
      tools.append(
        h(
          "a",
          {
            href: url,
            class: "button djai-csv",
            download: "",
            title: T.downloadCsvTitle(app.caps.export_max_rows, (n) => app.formatter.count(n)),
          },
          T.downloadCsv,
        ),
      );
    }
    this.element = h(
      "div",
      { class: "djai-result" },
      tools.childElementCount ? tools : null,
      this.table.element,
      this.chartBox,
      h("div", { class: "djai-result-footer" }, this.status, this.moreButton),
      this.error,
    );
    this.update();
  }

  toggle() {
    const make = (name, label) =>
      h("button", { type: "button", class: "button", dataset: { view: name }, aria: { pressed: String(name === this.view) }, onclick: () => this.show(name) }, label);
    this.toggleButtons = [make("table", T.table), make("chart", T.chart)];
    return h("div", { class: "djai-toggle", role: "group", aria: { label: T.view } }, this.toggleButtons);
  }

  async show(view) {
    this.view = view;
    for (const b of this.toggleButtons) b.setAttribute("aria-pressed", String(b.dataset.view === view));
    this.table.element.hidden = view !== "table";
    this.chartBox.hidden = view !== "chart";
    if (view === "chart") await this.drawChart();
  }

  async drawChart() {
    let Chart;
    try {
      Chart = await this.app.loadChart();
    } catch (error) {
      this.chartBox.replaceChildren(h("p", { class: "errornote" }, error.message));
      return;
    }
    let canvas = this.chartBox.querySelector("canvas");
    if (!canvas) {
      const title = this.columns.slice(1).map((c) => c.label || c.name).join(", ");
      canvas = h("canvas", { role: "img", aria: { label: T.chartLabel(this.shape.kind, title) } });
      this.chartBox.replaceChildren(canvas);
    }
    drawChart(Chart, canvas, this.shape, this.columns, this.rows, this.app.formatter);
  }

  update() {
    const count = (n) => this.app.formatter.count(n);
    if (!this.rows.length) this.status.textContent = T.noRows;
    else if (this.truncated) this.status.textContent = T.shownRows(this.rows.length, count);
    else this.status.textContent = this.rows.length > 1 ? T.allRows(this.rows.length, count) : "";
    this.moreButton.hidden = !(this.truncated && this.cursor);
  }

  async loadMore() {
    this.error.replaceChildren();
    this.moreButton.disabled = true;
    try {
      const next = await this.app.loadMore(this.envelope, this.cursor);
      if (!next) return;
      if (next.type !== "answer" || !next.data.result) {
        this.error.append(renderError(next, { retry: next.data?.retryable ? () => this.loadMore() : null }));
        return;
      }
      const rows = next.data.result.rows;
      this.rows.push(...rows);
      this.table.addRows(rows);
      this.cursor = next.data.next_cursor;
      this.truncated = next.data.truncated;
      this.update();
      if (this.view === "chart") await this.drawChart();
    } finally {
      this.moreButton.disabled = false;
    }
  }
}

/** The plan under an answer: collapsed; it opens to the DSL text and "Edit and run". */
function planPanel(envelope, app) {
  const dsl = envelope.data.plan;
  if (!dsl) return null;
  const body = h("div", { class: "djai-plan-body" }, windows(envelope.data.windows), h("pre", { class: "djai-dsl-view" }, dsl));
  const edit = button(T.editAndRun, () => openEditor(body, dsl, app, edit));
  body.append(h("div", { class: "djai-actions" }, edit));
  return h("details", { class: "djai-plan" }, h("summary", {}, T.plan), body);
}

function codePanel(code) {
  if (!code) return null;
  return h("details", { class: "djai-code" }, h("summary", {}, T.sql), h("pre", { class: "djai-sql" }, code));
}

function openEditor(container, dsl, app, opener) {
  if (container.querySelector(".djai-editor")) {
    container.querySelector(".djai-editor textarea").focus();
    return;
  }
  opener.hidden = true;
  const editor = new DslEditor({
    dsl,
    maxLength: app.caps?.max_dsl_length,
    onCheck: (text) => app.checkDsl(text),
    onRun: (text) => app.runDsl(text, { fromEditor: true }),
    onClose: () => {
      opener.hidden = false;
      opener.focus();
    },
  });
  container.append(editor.element);
  editor.focus();
}

// ------------------------------------------------------------------------- preview

function renderPreview(envelope, app) {
  const d = envelope.data;
  if (d.source === "code") return renderCodePreview(envelope, app);
  const body = h("div", { class: "djai-plan-body" });
  const run = h("button", { type: "button", class: "button default" }, T.run);
  const edit = button(T.edit, () => openEditor(body, d.plan, app, edit));
  const ran = h("p", { class: "djai-quiet", hidden: true }, T.previewRan);
  run.addEventListener("click", async () => {
    run.disabled = true;
    const result = await app.runDsl(d.plan, { fromEditor: false });
    if (result?.type === "answer") ran.hidden = false;
    else run.disabled = false;
  });
  body.append(
    windows(d.windows),
    h("pre", { class: "djai-dsl-view", aria: { label: T.plan } }, d.plan),
    codePanel(d.code),
    h("div", { class: "djai-actions" }, run, edit),
    ran,
  );
  return assistantArticle(
    "preview",
    h("p", { class: "djai-quiet" }, T.preview),
    h("p", { class: "djai-explanation" }, d.explanation),
    notes(d.notes),
    body,
  );
}

// ------------------------------------------------------------------------- clarification

function renderClarification(envelope, app, { active = true } = {}) {
  const d = envelope.data;
  const labelId = uid("djai-q");
  const options = h("div", { class: "djai-options", role: "group", aria: { labelledby: labelId } });
  const article = assistantArticle(
    "clarification",
    h("p", { class: "djai-question", id: labelId }, d.question),
    h("p", { class: "djai-quiet" }, T.chooseOne),
    options,
  );
  for (const option of d.options) {
    const title = option.resolves_to.kind === "plan" ? option.resolves_to.explanation : option.resolves_to.question;
    options.append(
      h("button", { type: "button", class: "button djai-option", title, onclick: () => app.choose(envelope, option, article) }, option.label),
    );
  }
  if (!active) closeClarification(article);
  return article;
}

/** Buttons of a clarification that was answered (or replaced) stop working. */
export function closeClarification(article) {
  for (const b of article.querySelectorAll(".djai-option")) b.disabled = true;
  article.classList.add("djai-closed");
}

// ------------------------------------------------------------------------- out of scope

function renderOutOfScope(envelope, app) {
  const d = envelope.data;
  return assistantArticle(
    "out-of-scope",
    h("p", { class: "djai-reason" }, d.reason),
    h("p", { class: "djai-hint" }, d.how_to_rephrase),
    d.examples?.length ? examplesBlock(d.examples, app) : null,
  );
}

export function examplesBlock(examples, app, heading = T.examples) {
  const id = uid("djai-ex");
  return h(
    "div",
    { class: "djai-examples" },
    h("p", { class: "djai-quiet", id }, heading),
    h(
      "div",
      { class: "djai-options", role: "group", aria: { labelledby: id } },
      examples.map((q) => h("button", { type: "button", class: "button djai-example", onclick: () => app.ask(q) }, q)),
    ),
  );
}

// ------------------------------------------------------------------------- error

export function renderError(envelope, { retry = null, history = false } = {}) {
  const d = envelope?.data || {};
  const article = assistantArticle(
    "error-message",
    h("p", { class: "djai-error-title" }, errorTitle(d.error_code)),
    envelope?.message ? h("p", {}, envelope.message) : null,
    d.hint ? h("p", { class: "djai-hint" }, d.hint) : null,
  );
  if (!history) article.setAttribute("role", "alert"); // announced when it happens, not on reload
  if (d.retryable && retry) {
    const again = button(T.retry, () => {
      again.disabled = true;
      retry();
    }, { class: "button djai-retry" });
    article.append(h("div", { class: "djai-actions" }, again));
  }
  if (envelope?.meta?.trace_id) {
    article.append(h("p", { class: "djai-trace" }, `trace ${envelope.meta.trace_id}`));
  }
  return article;
}
