// Building the page's elements: text always goes in as text (headlines come from upstream
// vendors), never as HTML.

/** h("a", { href, class: "x" }, "text", child...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function $(selector) {
  return document.querySelector(selector);
}

/** Replaces an element's content, keeping keyboard focus on the same control when it is re-made. */
export function fill(el, ...children) {
  const focused = document.activeElement;
  const key = focused && el.contains(focused) ? focused.dataset.focusKey : undefined;
  el.replaceChildren();
  append(el, children);
  if (key) el.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)?.focus();
}

const LABELS = {
  positive: { icon: "▲", text: "Positive" },
  negative: { icon: "▼", text: "Negative" },
  neutral: { icon: "●", text: "Neutral" },
};

/** A sentiment label: icon and word, colour only as a third carrier. */
export function label(value) {
  const known = LABELS[value];
  if (!known) return h("span", { class: "label none" }, h("span", { "aria-hidden": "true" }, "–"), " No data");
  return h("span", { class: `label ${value}` }, h("span", { "aria-hidden": "true" }, known.icon), " ", known.text);
}

export function score(value) {
  if (value === null || value === undefined) return "–";
  const fixed = Math.abs(value).toFixed(2);
  return value > 0 ? `+${fixed}` : value < 0 ? `−${fixed}` : fixed;
}

export function percent(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`;
}

/** A score's colour band, for backgrounds (five steps over [-1, 1]). */
export function band(value) {
  if (value === null || value === undefined) return "band-none";
  if (value <= -0.3) return "band-neg2";
  if (value < -0.1) return "band-neg1";
  if (value <= 0.1) return "band-0";
  if (value < 0.3) return "band-pos1";
  return "band-pos2";
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

export function time(iso) {
  const at = new Date(iso);
  return h("time", { datetime: at.toISOString(), title: at.toLocaleString() }, timeFormat.format(at));
}

export function dateTime(iso) {
  const at = new Date(iso);
  return h("time", { datetime: at.toISOString(), title: at.toLocaleString() }, dateTimeFormat.format(at));
}

export function ago(iso, now = Date.now()) {
  const at = new Date(iso);
  const minutes = Math.round((now - at.getTime()) / 60000);
  let text;
  if (minutes < 1) text = "just now";
  else if (minutes < 60) text = `${minutes} min ago`;
  else if (minutes < 48 * 60) text = `${Math.round(minutes / 60)} h ago`;
  else text = `${Math.round(minutes / 1440)} days ago`;
  return h("time", { datetime: at.toISOString(), title: at.toLocaleString() }, text);
}
