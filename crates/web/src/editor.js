// The watchlist form (create and edit): name, timeframe and weighted tickers. Nothing is
// checked here: the API validates, and its message is shown next to the field it names.

import { $, fill, h } from "./dom.js";

const form = () => $("#editor");

function tickerRow(symbol = "", weight = "") {
  const row = h("li", { class: "ticker-row" });
  const symbolInput = h("input", {
    class: "ticker-symbol",
    name: "symbol",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    value: symbol,
    "aria-label": "Ticker symbol",
  });
  const weightInput = h("input", {
    class: "ticker-weight",
    name: "weight",
    type: "number",
    inputmode: "decimal",
    min: "0",
    step: "any",
    value: weight,
    placeholder: "1",
    "aria-label": "Weight",
  });
  const error = h("p", { class: "field-error ticker-error", hidden: true });
  const remove = h("button", { type: "button", class: "quiet", onclick: () => {
    const list = row.parentElement;
    row.remove();
    list.querySelector(".ticker-symbol")?.focus();
    relabel(list);
  } }, "Remove");
  row.append(symbolInput, weightInput, remove, error);
  return row;
}

/** Each row's controls name their row, so a screen reader tells them apart. */
function relabel(list) {
  [...list.children].forEach((row, i) => {
    row.querySelector(".ticker-symbol").setAttribute("aria-label", `Ticker ${i + 1} symbol`);
    row.querySelector(".ticker-weight").setAttribute("aria-label", `Ticker ${i + 1} weight`);
    row.querySelector(".quiet").setAttribute("aria-label", `Remove ticker ${i + 1}`);
    const error = row.querySelector(".ticker-error");
    error.id = `ticker-error-${i}`;
    row.querySelector(".ticker-symbol").setAttribute("aria-describedby", error.id);
  });
}

export function openEditor(config, { onSubmit, onCancel }) {
  const f = form();
  const editing = Boolean(config);
  $("#editor-title").textContent = editing ? `Edit “${config.name}”` : "New watchlist";
  $("#wl-name").value = config?.name ?? "";
  $("#wl-days").value = String(config?.timeframe_days ?? 7);
  const list = $("#wl-tickers");
  const rows = config ? config.tickers.map((t) => tickerRow(t.symbol, t.weight === 1 ? "" : String(t.weight))) : [tickerRow()];
  fill(list, rows);
  relabel(list);
  clearErrors();
  $("#editor-submit").textContent = editing ? "Save changes" : "Create watchlist";
  f.hidden = false;
  f.onsubmit = async (event) => {
    event.preventDefault();
    clearErrors();
    const submit = $("#editor-submit");
    submit.disabled = true;
    try {
      await onSubmit(values());
    } finally {
      submit.disabled = false;
    }
  };
  $("#editor-cancel").onclick = () => {
    closeEditor();
    onCancel?.();
  };
  $("#wl-add-ticker").onclick = () => {
    const row = tickerRow();
    list.append(row);
    relabel(list);
    row.querySelector(".ticker-symbol").focus();
  };
  $("#wl-name").focus();
}

export function closeEditor() {
  form().hidden = true;
}

export function editorOpen() {
  return !form().hidden;
}

function values() {
  const tickers = [...document.querySelectorAll("#wl-tickers .ticker-row")]
    .map((row) => {
      const symbol = row.querySelector(".ticker-symbol").value.trim();
      const raw = row.querySelector(".ticker-weight").value.trim();
      if (!symbol && !raw) return null;
      return raw === "" ? { symbol } : { symbol, weight: Number(raw) };
    })
    .filter(Boolean);
  return { name: $("#wl-name").value, timeframe_days: Number($("#wl-days").value), tickers };
}

function clearErrors() {
  for (const el of document.querySelectorAll("#editor .field-error")) {
    el.hidden = true;
    el.textContent = "";
  }
  for (const el of document.querySelectorAll("#editor [aria-invalid]")) el.removeAttribute("aria-invalid");
}

function show(errorEl, input, message) {
  errorEl.textContent = message;
  errorEl.hidden = false;
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

/** Puts an API error next to the field it is about; returns false if it is about no field. */
export function showError(error) {
  const message = error.message;
  if (error.field === "name") return show($("#wl-name-error"), $("#wl-name"), message), true;
  if (error.field === "timeframe_days") return show($("#wl-days-error"), $("#wl-days"), message), true;
  if (error.field === "tickers" || error.code === "ticker_limit") {
    // "tickers[2] ..." names the row (counting the rows sent, i.e. without blank ones).
    const match = /tickers\[(\d+)\]/.exec(message);
    const sent = [...document.querySelectorAll("#wl-tickers .ticker-row")].filter(
      (row) => row.querySelector(".ticker-symbol").value.trim() || row.querySelector(".ticker-weight").value.trim(),
    );
    const row = match ? sent[Number(match[1])] : null;
    if (row) {
      const input = /weight/.test(message) ? row.querySelector(".ticker-weight") : row.querySelector(".ticker-symbol");
      return show(row.querySelector(".ticker-error"), input, message), true;
    }
    return show($("#wl-tickers-error"), document.querySelector("#wl-tickers .ticker-symbol"), message), true;
  }
  show($("#wl-form-error"), null, message);
  return false;
}
