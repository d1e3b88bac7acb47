// The page's only way to the server: the djai HTTP API (see api/openapi.json).
//
// Every call resolves to {ok, status, body}. Failures the server answered are its error
// envelopes; a network failure or a non-JSON answer becomes an error envelope of the same
// shape (code "network_error", retryable), so callers render one kind of thing. Aborting
// (the Cancel button) rejects with the AbortError, which callers treat as "stopped".

export class Api {
  constructor(root, csrfToken) {
    this.root = root;
    this.csrfToken = csrfToken;
  }

  async request(method, path, body, { signal } = {}) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin", signal };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (method !== "GET") headers["X-CSRFToken"] = this.csrfToken;
    let response;
    try {
      response = await fetch(this.root + path, init);
    } catch (error) {
      if (error.name === "AbortError") throw error;
      return { ok: false, status: 0, body: networkError(String(error.message || error)) };
    }
    if (response.status === 204) return { ok: true, status: 204, body: null };
    let parsed;
    try {
      parsed = await response.json();
    } catch (error) {
      if (error.name === "AbortError") throw error;
      parsed = networkError(`The server answered with status ${response.status}.`);
    }
    return { ok: response.ok, status: response.status, body: parsed };
  }

  capabilities(model) {
    return this.request("GET", "capabilities" + (model ? `?model=${encodeURIComponent(model)}` : ""));
  }
  chats() {
    return this.request("GET", "chats");
  }
  createChat(title = "") {
    return this.request("POST", "chats", { title });
  }
  chat(chatId) {
    return this.request("GET", `chats/${chatId}`);
  }
  renameChat(chatId, title) {
    return this.request("PATCH", `chats/${chatId}`, { title });
  }
  deleteChat(chatId) {
    return this.request("DELETE", `chats/${chatId}`);
  }
  messages(chatId) {
    return this.request("GET", `chats/${chatId}/messages`);
  }
  send(chatId, body, options) {
    return this.request("POST", `chats/${chatId}/message`, body, options);
  }
  preview(chatId, body, options) {
    return this.request("POST", `chats/${chatId}/plan`, body, options);
  }
  run(chatId, body, options) {
    return this.request("POST", `chats/${chatId}/run`, body, options);
  }
  runCode(chatId, body, options) {
    return this.request("POST", `chats/${chatId}/code`, body, options);
  }
  previewCode(chatId, body, options) {
    return this.request("POST", `chats/${chatId}/code/preview`, body, options);
  }
  page(chatId, messageId, cursor, options) {
    const query = `?cursor=${encodeURIComponent(cursor)}`;
    return this.request("GET", `chats/${chatId}/messages/${messageId}/page${query}`, undefined, options);
  }
  exportUrl(chatId, messageId) {
    return `${this.root}chats/${chatId}/messages/${messageId}/export.csv`;
  }
}

function networkError(detail) {
  return {
    type: "error",
    message: detail,
    data: { error_code: "network_error", retryable: true },
    meta: { chat_id: null, intent_label: null, intent_confidence: null, trace_id: "" },
  };
}

const LOCALE = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$/;

/** The browser's time zone and locale, as the API's client_context. */
export function clientContext() {
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  let locale = navigator.language || "en-US";
  if (!LOCALE.test(locale)) locale = locale.split(/[-_]/)[0];
  if (!LOCALE.test(locale)) locale = "en-US";
  return { timezone, locale };
}
