// The dashboard: one page over the public API v2. State lives here; each section is redrawn
// from it after every load. Data refreshes on its own every minute while the page is visible
// (the API caches reads for a minute and news arrives every 15), and errors the API returns
// become a notice that clears itself when a retry succeeds.

import { ApiError, endpoints } from "./api.js";
import { HistoryChart } from "./chart.js";
import { $, ago, band, dateTime, fill, h, label, percent, score, time } from "./dom.js";
import { closeEditor, editorOpen, openEditor, showError } from "./editor.js";
import { Session } from "./session.js";

const REFRESH_EVERY_MS = 60_000;
const ARTICLES_PER_PAGE = 10;
const RANGES = { "24h": { days: 1, interval: "1h" }, "7d": { days: 7, interval: "1h" }, "30d": { days: 30, interval: "1d" } };

const session = new Session({
  onRenewed: () => {
    // The old session's watchlists are not the new one's.
    state.configId = null;
    notify("Your session had expired, so a new one was started with the starter watchlist.", "info");
  },
});
const api = endpoints(session.call);

const state = {
  configs: [],
  configId: localStorage.getItem("sentiment-analyzer.watchlist"),
  overview: null,
  ticker: null,
  range: "7d",
  heatmapView: "sources",
  heatmap: null,
  history: null,
  detail: null,
  articles: { pages: [null], page: 0, items: [], next: null },
  loadedAt: null,
};

let chart;
let refreshTimer = null;
let retryTimer = null;
let countdownTimer = null;
let recoveries = 0;

// ---- notices -------------------------------------------------------------------------------

function notify(message, kind = "info") {
  const box = $("#notice");
  box.className = `notice ${kind}`;
  fill(box, h("span", { class: "notice-icon", "aria-hidden": "true" }, kind === "error" ? "⚠" : "ℹ"), " ", message);
  box.hidden = false;
}

/** A load succeeded: an error notice is over (other notices stay until the next one). */
function clearNotice() {
  clearInterval(countdownTimer);
  if ($("#notice").classList.contains("error")) $("#notice").hidden = true;
}

/** A failed load: say what happened; retry by itself when the error is one that passes. */
function failed(error, retry) {
  if (!(error instanceof ApiError)) throw error;
  // A watchlist that is gone (deleted elsewhere, or the session was replaced): start over
  // from the list, once or twice, rather than show an error about something no longer shown.
  if (error.status === 404 && recoveries < 2) {
    recoveries += 1;
    state.configId = null;
    loadAll();
    return;
  }
  if (!error.transient) {
    notify(error.message, "error");
    return;
  }
  const wait = Math.min(300, Math.max(1, error.retryAfter ?? 10));
  const what =
    error.status === 429
      ? "Too many requests for now"
      : error.status === 0
        ? "The service cannot be reached"
        : "The service is temporarily unavailable";
  let left = wait;
  const say = () => notify(`${what}; trying again in ${left} s. The figures below may be out of date.`, "error");
  say();
  clearInterval(countdownTimer);
  countdownTimer = setInterval(() => {
    left -= 1;
    if (left > 0) say();
  }, 1000);
  clearTimeout(retryTimer);
  retryTimer = setTimeout(retry, wait * 1000);
}

// ---- loading -------------------------------------------------------------------------------

async function loadAll() {
  clearTimeout(retryTimer);
  try {
    const [list] = await Promise.all([api.configurations(), loadStatus()]);
    state.configs = list.configurations;
    if (!state.configs.some((c) => c.config_id === state.configId)) state.configId = state.configs[0]?.config_id ?? null;
    renderWatchlists();
    await loadWatchlist();
    state.loadedAt = new Date();
    renderStatus();
    clearNotice();
    recoveries = 0;
  } catch (error) {
    failed(error, loadAll);
  }
}

async function loadStatus() {
  const [market, health] = await Promise.all([api.market(), api.health().catch(() => null)]);
  state.market = market;
  state.health = health;
}

async function loadWatchlist() {
  const id = state.configId;
  if (!id) {
    state.overview = null;
    renderOverview();
    return;
  }
  localStorage.setItem("sentiment-analyzer.watchlist", id);
  const [overview, heatmap] = await Promise.all([api.configurationSentiment(id), api.heatmap(id, state.heatmapView)]);
  state.overview = overview;
  state.heatmap = heatmap;
  if (!overview.tickers.some((t) => t.ticker === state.ticker)) {
    state.ticker = overview.tickers[0]?.ticker ?? null;
    state.articles = { pages: [null], page: 0, items: [], next: null };
  }
  renderOverview();
  renderHeatmap();
  await loadTicker();
}

async function loadTicker() {
  const id = state.configId;
  const symbol = state.ticker;
  if (!symbol) return;
  const range = RANGES[state.range];
  const days = state.overview?.window?.endsWith("d") ? Number.parseInt(state.overview.window, 10) : 7;
  const [history, detail, page] = await Promise.all([
    api.history(id, symbol, range.days, range.interval),
    api.tickerSentiment(symbol, days),
    api.articles(symbol, state.articles.pages[state.articles.page], ARTICLES_PER_PAGE),
  ]);
  state.history = history;
  state.detail = detail;
  state.articles.items = page.articles;
  state.articles.next = page.next_cursor;
  renderDetail();
  renderArticles();
}

/** Runs a user's action; a failure is shown, and transient ones retried by the next refresh. */
async function act(action) {
  try {
    await action();
    state.loadedAt = new Date();
    renderStatus();
  } catch (error) {
    failed(error, loadAll);
  }
}

function scheduleRefresh() {
  clearInterval(refreshTimer);
  refreshTimer = setInterval(() => {
    if (document.visibilityState === "visible") loadAll();
  }, REFRESH_EVERY_MS);
}

// ---- rendering -----------------------------------------------------------------------------

function renderStatus() {
  const m = state.market;
  if (m) {
    const open = m.is_open;
    const next = open ? m.next_close : m.next_open;
    const session = { pre: "Pre-market", after_hours: "After hours", open: "Open", closed: "Closed" }[m.session] ?? m.session;
    fill(
      $("#market"),
      h("span", { "aria-hidden": "true" }, open ? "●" : "○"),
      ` Market ${open ? "open" : "closed"}`,
      m.session !== "open" && m.session !== "closed" ? ` (${session})` : "",
      m.holiday ? ` · ${m.holiday}` : "",
      ` · ${open ? "closes" : "opens"} `,
      dateTime(next),
    );
    $("#market").className = `badge ${open ? "open" : "closed"}`;
  }
  const parts = [];
  if (state.loadedAt) parts.push("Updated ", time(state.loadedAt.toISOString()));
  const run = state.health?.last_ingestion;
  if (run) parts.push(" · news ingested ", ago(run.finished_at));
  fill($("#refreshed"), parts);
}

function renderWatchlists() {
  const select = $("#wl-select");
  fill(
    select,
    state.configs.map((c) => h("option", { value: c.config_id, selected: c.config_id === state.configId }, c.name)),
  );
  const none = state.configs.length === 0;
  select.disabled = none;
  $("#wl-edit").disabled = none;
  $("#wl-delete").disabled = none;
  $("#wl-count").textContent = `${state.configs.length} watchlist${state.configs.length === 1 ? "" : "s"}`;
}

function current() {
  return state.configs.find((c) => c.config_id === state.configId) ?? null;
}

function renderOverview() {
  const o = state.overview;
  const body = $("#overview-body");
  if (!o) {
    fill(body, h("p", { class: "empty" }, "No watchlist yet. Create one with “New watchlist”."));
    fill($("#weighted"));
    $("#detail").hidden = true;
    $("#heatmap").hidden = true;
    $("#articles").hidden = true;
    return;
  }
  $("#detail").hidden = false;
  $("#heatmap").hidden = false;
  $("#articles").hidden = false;
  fill(
    $("#weighted"),
    h("span", { class: "weighted-title" }, `${o.name} · weighted score over ${o.window}`),
    h("span", { class: `weighted-score ${band(o.score)}` }, score(o.score)),
    label(o.label),
  );
  const rows = o.tickers.map((t) =>
    h(
      "tr",
      { class: t.ticker === state.ticker ? "selected" : null, "data-ticker": t.ticker },
      h(
        "th",
        { scope: "row" },
        h(
          "button",
          {
            type: "button",
            class: "ticker-button",
            "data-focus-key": `ticker-${t.ticker}`,
            "aria-pressed": String(t.ticker === state.ticker),
            onclick: () => selectTicker(t.ticker),
          },
          t.ticker,
        ),
      ),
      h("td", { class: "num", "data-label": "Weight" }, t.weight === 1 ? "1" : String(t.weight)),
      h("td", { class: `num score ${band(t.score)}`, "data-label": "Score" }, score(t.score)),
      h("td", { "data-label": "Sentiment" }, label(t.label)),
      h("td", { class: "num", "data-label": "Confidence" }, percent(t.confidence)),
      h("td", { class: "num", "data-label": "Articles" }, String(t.counts.total)),
    ),
  );
  fill(
    body,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "tickers" },
        h("caption", { class: "visually-hidden" }, `Current sentiment of the tickers in ${o.name}`),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Ticker"),
            h("th", { scope: "col", class: "num" }, "Weight"),
            h("th", { scope: "col", class: "num" }, "Score"),
            h("th", { scope: "col" }, "Sentiment"),
            h("th", { scope: "col", class: "num" }, "Confidence"),
            h("th", { scope: "col", class: "num" }, "Articles"),
          ),
        ),
        h("tbody", {}, rows),
      ),
    ),
  );
}

function renderHeatmap() {
  const m = state.heatmap;
  if (!m) return;
  for (const button of document.querySelectorAll("#heatmap-views button")) {
    button.setAttribute("aria-pressed", String(button.dataset.view === state.heatmapView));
  }
  const names = { tiingo: "Tiingo", finnhub: "Finnhub", "24h": "24 h", "7d": "7 days", "30d": "30 days" };
  fill(
    $("#heatmap-body"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "heatmap" },
        h("caption", { class: "visually-hidden" }, `Scores by ${m.view === "sources" ? "source" : "period"}`),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Ticker"), m.columns.map((c) => h("th", { scope: "col" }, names[c] ?? c)))),
        h(
          "tbody",
          {},
          m.rows.map((row) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, row.ticker),
              row.cells.map((cell) =>
                h(
                  "td",
                  { class: `cell ${band(cell.score)}` },
                  h("span", { class: "cell-score" }, score(cell.score)),
                  " ",
                  label(cell.label),
                  h("span", { class: "cell-count" }, `${cell.articles} article${cell.articles === 1 ? "" : "s"}`),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function renderDetail() {
  const symbol = state.ticker;
  const d = state.detail;
  $("#detail-title").textContent = `${symbol}: history and breakdown`;
  for (const button of document.querySelectorAll("#ranges button")) {
    button.setAttribute("aria-pressed", String(button.dataset.range === state.range));
  }
  if (d) {
    const src = (name, s) =>
      h(
        "div",
        { class: "source" },
        h("dt", {}, name),
        h("dd", {}, h("span", { class: `score ${band(s.score)}` }, score(s.score)), " ", label(s.label), ` · ${s.articles} article${s.articles === 1 ? "" : "s"}`),
      );
    fill(
      $("#current"),
      h(
        "dl",
        { class: "current" },
        h("div", {}, h("dt", {}, "Score"), h("dd", { class: `big score ${band(d.score)}` }, score(d.score))),
        h("div", {}, h("dt", {}, "Sentiment"), h("dd", {}, label(d.label))),
        h("div", {}, h("dt", {}, "Confidence"), h("dd", {}, percent(d.confidence))),
        h("div", {}, h("dt", {}, "Articles"), h("dd", {}, `${d.counts.total} (${d.counts.positive} ▲, ${d.counts.negative} ▼, ${d.counts.neutral} ●)`)),
      ),
      h("h4", {}, `Tiingo vs Finnhub over ${d.window}`),
      h("dl", { class: "sources" }, src("Tiingo", d.sources.tiingo), src("Finnhub", d.sources.finnhub)),
    );
    renderDrivers(d.drivers);
  }
  const buckets = state.history?.buckets ?? [];
  const withData = buckets.filter((b) => b.score !== null);
  const last = withData.at(-1);
  $("#chart").setAttribute(
    "aria-label",
    `Score of ${symbol} over ${state.range}: ${withData.length} of ${buckets.length} intervals have news` +
      (last ? `; the latest, ${new Date(last.start).toLocaleString()}, scored ${score(last.score)}` : ""),
  );
  chart.draw(buckets);
}

/** The articles that weigh most in the current score, with their words, when the API says. */
function renderDrivers(drivers) {
  const box = $("#drivers");
  if (!Array.isArray(drivers) || drivers.length === 0) {
    box.hidden = true;
    fill(box);
    return;
  }
  box.hidden = false;
  fill(
    box,
    h("h4", {}, "What drives this score"),
    h(
      "ol",
      { class: "drivers" },
      // Each driver is an article as /api/v2/articles gives it, with its `share` of the score.
      drivers.map((d) =>
        h(
          "li",
          { class: "driver" },
          h("a", { href: safeUrl(d.url), target: "_blank", rel: "noopener noreferrer" }, d.title),
          " ",
          label(d.sentiment?.label),
          " ",
          h("span", { class: "muted" }, `${score(d.sentiment?.score)} · share of the score ${score(d.share)}`),
          words(d.explanation?.words),
        ),
      ),
    ),
  );
}

/** "Why": the words that moved a score, largest effect first, each with its direction. */
function words(list) {
  if (!Array.isArray(list) || list.length === 0) return null;
  return h(
    "p",
    { class: "why" },
    h("span", { class: "why-label" }, "Why: "),
    list.slice(0, 6).map((w) =>
      h(
        "span",
        { class: `word ${w.effect > 0 ? "up" : w.effect < 0 ? "down" : "flat"}`, title: `moved the score by ${score(w.effect)}` },
        h("span", { "aria-hidden": "true" }, w.effect > 0 ? "▲ " : w.effect < 0 ? "▼ " : "● "),
        w.word,
        " ",
        h("span", { class: "effect" }, score(w.effect)),
      ),
    ),
  );
}

function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function renderArticles() {
  const a = state.articles;
  $("#articles-title").textContent = `${state.ticker}: articles, newest first`;
  const items = a.items.map((article) => {
    const publishers = [...new Set(article.sources.map((s) => `${s.publisher} via ${s.source}`))].join(", ");
    const why = words(article.explanation?.words);
    return h(
      "li",
      { class: "article", "data-article-id": article.id },
      h("h4", {}, h("a", { href: safeUrl(article.url), target: "_blank", rel: "noopener noreferrer" }, article.title)),
      h(
        "p",
        { class: "article-meta" },
        label(article.sentiment.label),
        ` ${score(article.sentiment.score)} · confidence ${percent(article.sentiment.confidence)} · `,
        ago(article.published_at),
        publishers ? ` · ${publishers}` : "",
      ),
      why ?? h("p", { class: "why-none muted" }, "No word-level explanation recorded for this article."),
    );
  });
  fill(
    $("#articles-body"),
    items.length ? h("ol", { class: "article-list" }, items) : h("p", { class: "empty" }, "No articles for this ticker yet."),
  );
  $("#articles-newer").disabled = a.page === 0;
  $("#articles-older").disabled = !a.next;
  $("#articles-page").textContent = `Page ${a.page + 1}`;
}

// ---- actions -------------------------------------------------------------------------------

function selectTicker(symbol) {
  state.ticker = symbol;
  state.articles = { pages: [null], page: 0, items: [], next: null };
  renderOverview();
  act(loadTicker);
}

function startCreate() {
  openEditor(null, {
    onSubmit: async (body) => {
      try {
        const created = await api.createConfiguration(body);
        closeEditor();
        state.configId = created.config_id;
        state.ticker = null;
        notify(`Watchlist “${created.name}” created.`, "info");
        await loadAll();
        $("#wl-select").focus();
      } catch (error) {
        // At the form, whatever it is: a retry is the person's to make.
        if (error instanceof ApiError) showError(error);
        else throw error;
      }
    },
    onCancel: () => $("#wl-new").focus(),
  });
}

function startEdit() {
  const config = current();
  if (!config) return;
  openEditor(config, {
    onSubmit: async (body) => {
      try {
        await api.updateConfiguration(config.config_id, body);
        closeEditor();
        notify(`Watchlist “${body.name.trim()}” saved.`, "info");
        await loadAll();
        $("#wl-edit").focus();
      } catch (error) {
        // At the form, whatever it is: a retry is the person's to make.
        if (error instanceof ApiError) showError(error);
        else throw error;
      }
    },
    onCancel: () => $("#wl-edit").focus(),
  });
}

function askDelete() {
  const config = current();
  if (!config) return;
  const box = $("#confirm-delete");
  fill(
    box,
    h("p", {}, `Delete the watchlist “${config.name}”? This cannot be undone.`),
    h(
      "button",
      {
        type: "button",
        class: "danger",
        id: "confirm-delete-yes",
        onclick: () =>
          act(async () => {
            await api.deleteConfiguration(config.config_id);
            box.hidden = true;
            state.configId = null;
            notify(`Watchlist “${config.name}” deleted.`, "info");
            await loadAll();
            $("#wl-new").focus();
          }),
      },
      "Delete",
    ),
    " ",
    h("button", { type: "button", onclick: () => ((box.hidden = true), $("#wl-delete").focus()) }, "Keep it"),
  );
  box.hidden = false;
  $("#confirm-delete-yes").focus();
}

function wire() {
  $("#wl-select").addEventListener("change", (event) => {
    state.configId = event.target.value;
    state.ticker = null;
    if (editorOpen()) closeEditor();
    act(loadWatchlist);
  });
  $("#wl-new").addEventListener("click", startCreate);
  $("#wl-edit").addEventListener("click", startEdit);
  $("#wl-delete").addEventListener("click", askDelete);
  $("#refresh").addEventListener("click", () => loadAll());
  for (const button of document.querySelectorAll("#ranges button")) {
    button.addEventListener("click", () => {
      state.range = button.dataset.range;
      act(loadTicker);
    });
  }
  for (const button of document.querySelectorAll("#heatmap-views button")) {
    button.addEventListener("click", () => {
      state.heatmapView = button.dataset.view;
      act(async () => {
        state.heatmap = await api.heatmap(state.configId, state.heatmapView);
        renderHeatmap();
      });
    });
  }
  $("#articles-older").addEventListener("click", () => {
    const a = state.articles;
    if (!a.next) return;
    a.pages[a.page + 1] = a.next;
    a.page += 1;
    act(loadTicker);
  });
  $("#articles-newer").addEventListener("click", () => {
    const a = state.articles;
    if (a.page === 0) return;
    a.page -= 1;
    act(loadTicker);
  });
  document.addEventListener("visibilitychange", () => {
    // Back from another tab: catch up at once if the data is older than a refresh interval.
    if (document.visibilityState === "visible" && state.loadedAt && Date.now() - state.loadedAt > REFRESH_EVERY_MS) loadAll();
  });
}

async function start() {
  chart = new HistoryChart($("#chart"));
  wire();
  try {
    const { created } = await session.ensure();
    if (created) notify("Welcome: an anonymous session was started with a starter watchlist. It is kept in this browser.", "info");
  } catch (error) {
    failed(error, start);
    return;
  }
  await loadAll();
  scheduleRefresh();
  document.body.dataset.ready = "true";
}

start();
