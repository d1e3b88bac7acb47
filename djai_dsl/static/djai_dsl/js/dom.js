// Small DOM helpers: build elements without innerHTML, so that no text from the server is
// ever parsed as HTML.

/**
 * h("button", {type: "button", class: "x", onclick: fn, aria: {pressed: "true"}}, "Text", child)
 * Attributes: "class", "text", "dataset", "aria" (aria-*), "on<event>" handlers, booleans
 * (true sets an empty attribute, false/null/undefined skips it), anything else as attribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "aria") {
      for (const [name, v] of Object.entries(value)) {
        if (v !== null && v !== undefined) el.setAttribute(`aria-${name}`, String(v));
      }
    } else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let counter = 0;
/** A document-unique id for aria-* references. */
export function uid(prefix = "djai") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A <button type="button">. */
export function button(label, onclick, attrs = {}) {
  return h("button", { type: "button", class: "button", onclick, ...attrs }, label);
}
