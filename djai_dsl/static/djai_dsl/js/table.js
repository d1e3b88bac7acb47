// The result table: typed columns, numbers right-aligned, booleans as admin's icons.

import { h } from "./dom.js";
import { NUMERIC } from "./format.js";
import { T } from "./text.js";

export class ResultTable {
  constructor(columns, formatter, icons) {
    this.columns = columns;
    this.formatter = formatter;
    this.icons = icons;
    this.body = h("tbody");
    const head = h(
      "tr",
      {},
      columns.map((c) =>
        h(
          "th",
          { scope: "col", class: NUMERIC.has(c.type) ? "djai-num" : null, title: c.name },
          c.label || c.name,
        ),
      ),
    );
    this.table = h(
      "table",
      { class: "djai-table" },
      h("caption", { class: "visually-hidden" }, T.resultCaption),
      h("thead", {}, head),
      this.body,
    );
    // A focusable, labelled scroll box: wide tables scroll sideways by keyboard too.
    this.element = h(
      "div",
      { class: "djai-table-wrap", tabindex: "0", role: "region", aria: { label: T.resultCaption } },
      this.table,
    );
  }

  addRows(rows) {
    const fragment = document.createDocumentFragment();
    for (const row of rows) {
      fragment.append(h("tr", {}, row.map((value, i) => this.cell(value, this.columns[i]))));
    }
    this.body.append(fragment);
  }

  cell(value, column) {
    const numeric = NUMERIC.has(column.type);
    const classes = [numeric ? "djai-num" : null, `djai-type-${column.type}`];
    if (value === null || value === undefined) {
      return h("td", { class: [...classes, "djai-null"].filter(Boolean).join(" ") }, T.empty);
    }
    if (column.type === "boolean") {
      const yes = Boolean(value);
      return h(
        "td",
        { class: classes.filter(Boolean).join(" ") },
        h("img", { src: yes ? this.icons.yes : this.icons.no, alt: yes ? T.yes : T.no }),
      );
    }
    const { text, title } = this.formatter.cell(value, column);
    return h("td", { class: classes.filter(Boolean).join(" "), title }, text);
  }
}
