// k6 load test of the dashboard API: what dashboard users do, at four stages of load.
//
//   k6 run --env API_URL=https://... --env STAGE=smoke|load|stress|soak tests/load/api-load-test.js
//
// Locally, scripts/load-test [STAGE] starts the service on the embedded store with the sample
// news and its rate limits raised, and runs this against it.
//
// Each iteration is one user's visit (every request tagged `name`, see JOURNEY below):
// create an anonymous session; create two configurations, one with plain symbols and one with
// {symbol, weight} objects; list them; read a configuration's sentiment, one ticker's history
// and the heatmap; read public sentiment and two pages of the article feed; delete both
// configurations (a user may hold only SENTIMENT_MAX_CONFIGS, default 5) and sign out.
//
// Environment (--env):
//   API_URL       base URL of the API (required), e.g. http://127.0.0.1:8080
//   STAGE         smoke (default), load, stress or soak
//   SUMMARY_DIR   where handleSummary writes summary.json and summary.txt (default: .)
//   P95_MS, P99_MS  per-request latency budgets (default 1000 and 3000: the scaling
//                 runbook's p95 warning and critical levels)
//   MAX_ERROR_RATE  failed-request budget, overall and per request (default 0.01: the
//                 runbook's 5xx warning level)
//   BANDS         stress only: the VU levels to climb through (default 10,25,50,100,200,400)
//   DURATION      soak only: how long to hold (default 1h)
//   AUTH          how the session token is sent: x-user-id (default) or bearer
//
// Against a deployment (docs/deploy.md, "Smoke test"): CloudFront signs each request to the
// Function URL, so the viewer's Authorization header never reaches the function. The token
// therefore goes in X-User-ID, and every request that may carry a body sends the SHA-256 of
// its body in x-amz-content-sha256. Public reads are sent without the token: CloudFront caches
// them and forwards no viewer header on those paths.
// Rate limits: every request but /health is limited per session, or per client address when
// it carries no token; session creation always per address. All of k6's sessions come from
// one address, so the default anonymous_session limit (10/1h) must be raised there for any
// stage but smoke (6 sessions); the summary counts 429 answers separately so this shows.
//
// Exit status: k6 exits 99 when a threshold fails. The summary (stdout, summary.txt,
// summary.json) names each failed threshold and, for stress, the first VU band that broke.

import http from 'k6/http';
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import { check, sleep } from 'k6';
import { Counter, Rate } from 'k6/metrics';

const API_URL = (__ENV.API_URL || '').replace(/\/+$/, '');
if (!/^https?:\/\/[^/]+/.test(API_URL)) {
  throw new Error('set API_URL to the API base URL: k6 run --env API_URL=http://127.0.0.1:8080 ...');
}
const STAGE = __ENV.STAGE || 'smoke';
const SUMMARY_DIR = (__ENV.SUMMARY_DIR || '.').replace(/\/+$/, '');
const P95_MS = Number(__ENV.P95_MS || 1000);
const P99_MS = Number(__ENV.P99_MS || 3000);
const MAX_ERROR_RATE = Number(__ENV.MAX_ERROR_RATE || 0.01);
// Checks guard bodies as well as statuses; allow the same small share to fail.
const MIN_CHECKS_RATE = 1 - MAX_ERROR_RATE;
if (!(P95_MS > 0 && P99_MS > 0 && MAX_ERROR_RATE > 0 && MAX_ERROR_RATE < 1)) {
  throw new Error('P95_MS and P99_MS must be positive numbers, MAX_ERROR_RATE a fraction such as 0.01');
}
const AUTH = (__ENV.AUTH || 'x-user-id').toLowerCase();
if (AUTH !== 'x-user-id' && AUTH !== 'bearer') {
  throw new Error(`AUTH must be x-user-id or bearer, got ${__ENV.AUTH}`);
}

function numbers(raw, what) {
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`${what} must be a comma-separated list of whole numbers, got ${raw}`);
  }
  return list.sort((a, b) => a - b);
}

// Stress climbs through these VU levels: a short ramp to each, then a hold long enough for
// its own percentiles. Every request is tagged with the band it was made in.
const BANDS = numbers(__ENV.BANDS || '10,25,50,100,200,400', 'BANDS');
const BAND_RAMP_S = 20;
const BAND_HOLD_S = 60;
// A band failing this share of its requests is broken beyond doubt: the climb stops there
// (k6 aborts; the summary still reports every band) instead of loading the service further.
const ABORT_ERROR_RATE = 0.1;

// Closed model: each VU runs visits back to back, pausing THINK seconds (uniform in the
// range) between requests the way a person reading a dashboard does.
const STAGES = {
  // A few users, well under a minute: does every journey step work at all? Six visits, so
  // six sessions: within a deployment's default anonymous_session limit (10/1h per address).
  smoke: {
    think: [0.2, 0.5],
    scenario: { executor: 'per-vu-iterations', vus: 2, iterations: 3, maxDuration: '1m' },
  },
  // Normal traffic: 20 concurrent dashboard users.
  load: {
    think: [0.5, 1.5],
    scenario: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: '1m', target: 20 },
        { duration: '3m', target: 20 },
        { duration: '30s', target: 0 },
      ],
      gracefulRampDown: '30s',
    },
  },
  // Climb band by band; thresholds per band say which level first broke.
  stress: {
    think: [0.2, 0.6],
    scenario: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: BANDS.flatMap((vus) => [
        { duration: `${BAND_RAMP_S}s`, target: vus },
        { duration: `${BAND_HOLD_S}s`, target: vus },
      ]),
      gracefulRampDown: '30s',
    },
  },
  // Long and steady: leaks, growing latency, counters or files that do not expire.
  soak: {
    think: [0.5, 1.5],
    scenario: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: '2m', target: 20 },
        { duration: __ENV.DURATION || '1h', target: 20 },
        { duration: '1m', target: 0 },
      ],
      gracefulRampDown: '30s',
    },
  },
};
if (!STAGES[STAGE]) {
  throw new Error(`STAGE must be one of ${Object.keys(STAGES).join(', ')}, got ${STAGE}`);
}
const THINK = STAGES[STAGE].think;

// Every request the journey makes, by its `name` tag, in journey order.
const JOURNEY = [
  'create_session',
  'create_config_symbols',
  'create_config_weighted',
  'list_configs',
  'config_sentiment',
  'config_history',
  'config_heatmap',
  'public_sentiment',
  'articles_feed',
  'articles_feed_next',
  'delete_config',
  'signout',
];

const thresholds = {
  http_req_failed: [`rate<${MAX_ERROR_RATE}`],
  checks: [`rate>${MIN_CHECKS_RATE}`],
};
for (const name of JOURNEY) {
  // A threshold per tag is also what makes k6 keep the tagged sub-metric for the summary.
  thresholds[`http_req_duration{name:${name}}`] = [`p(95)<${P95_MS}`, `p(99)<${P99_MS}`];
  thresholds[`http_req_failed{name:${name}}`] = [`rate<${MAX_ERROR_RATE}`];
}
if (STAGE === 'stress') {
  BANDS.forEach((vus, i) => {
    thresholds[`http_req_duration{band:${vus}}`] = [`p(95)<${P95_MS}`, `p(99)<${P99_MS}`];
    thresholds[`http_req_failed{band:${vus}}`] = [
      `rate<${MAX_ERROR_RATE}`,
      // Judged once the band has run for its ramp: a few early errors among its first
      // requests must not end the test.
      {
        threshold: `rate<${ABORT_ERROR_RATE}`,
        abortOnFail: true,
        delayAbortEval: `${i * (BAND_RAMP_S + BAND_HOLD_S) + BAND_RAMP_S}s`,
      },
    ];
  });
}

export const options = {
  scenarios: { [STAGE]: STAGES[STAGE].scenario },
  thresholds,
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'],
};

// Answers by kind, so a run that failed says whether it was rate limiting, the server, or the
// network (status 0: no answer at all).
const rateLimited = new Counter('responses_429');
const clientErrors = new Counter('responses_4xx_other');
const serverErrors = new Counter('responses_5xx');
const noResponse = new Counter('responses_none');
// Behind CloudFront, the share of answers (of those with an X-Cache header) served from its
// cache: cached public reads are not comparable with the origin's own latency.
const cdnCacheHits = new Rate('cdn_cache_hits');

function count(res) {
  if (res.status === 0) noResponse.add(1);
  else if (res.status === 429) rateLimited.add(1);
  else if (res.status >= 500) serverErrors.add(1);
  else if (res.status >= 400) clientErrors.add(1);
  const cache = res.headers['X-Cache'];
  if (cache) cdnCacheHits.add(/^(Hit|RefreshHit)/i.test(cache));
}

function json(res) {
  try {
    return res.json();
  } catch (_) {
    return null;
  }
}

function think() {
  sleep(THINK[0] + Math.random() * (THINK[1] - THINK[0]));
}

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

// The default watchlist: tickers the service always knows.
const TICKERS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOGL', 'META', 'TSLA', 'JPM'];

function distinct(n) {
  const pool = TICKERS.slice();
  const out = [];
  while (out.length < n) out.push(pool.splice(Math.floor(Math.random() * pool.length), 1)[0]);
  return out;
}

// One request: tagged by name, counted by kind, checked. Returns the response and its body.
function call(method, name, path, { body = null, token = null, expect = 200, checks = {} } = {}) {
  const headers = { Accept: 'application/json' };
  const payload = body === null ? '' : JSON.stringify(body);
  if (body !== null) headers['Content-Type'] = 'application/json';
  // Lambda behind CloudFront's origin access control takes no unsigned body (an empty one
  // included); the local service ignores the header.
  if (method !== 'GET') headers['x-amz-content-sha256'] = crypto.sha256(payload, 'hex');
  if (token && AUTH === 'bearer') headers.Authorization = `Bearer ${token}`;
  else if (token) headers['X-User-ID'] = token;
  const res = http.request(method, `${API_URL}${path}`, body === null ? null : payload, {
    headers,
    tags: { name },
  });
  count(res);
  const data = expect === 204 ? null : json(res);
  const all = { [`${name}: status ${expect}`]: (r) => r.status === expect };
  for (const [label, fn] of Object.entries(checks)) {
    all[`${name}: ${label}`] = () => {
      if (res.status !== expect || data === null) return false;
      try {
        return fn(data, res) === true;
      } catch (_) {
        return false; // a body without the expected shape
      }
    };
  }
  check(res, all, { name });
  return { res, data: res.status === expect ? data : null };
}

// Field by field: k6's res.json() does not keep the order of an object's keys.
function sameTickers(got, want) {
  return (
    Array.isArray(got) &&
    got.length === want.length &&
    got.every((t, i) => t.symbol === want[i].symbol && t.weight === want[i].weight)
  );
}

// Timestamps carry from zero to nine fractional digits, so compare them as times, not text.
function sortedNewestFirst(articles) {
  const times = articles.map((a) => Date.parse(a.published_at));
  for (let i = 0; i < times.length; i++) {
    if (Number.isNaN(times[i]) || (i > 0 && times[i - 1] < times[i])) return false;
  }
  return true;
}

export function setup() {
  const res = http.get(`${API_URL}/health`, { tags: { name: 'health' } });
  count(res);
  const body = json(res);
  check(res, { 'health: status 200': (r) => r.status === 200 }, { name: 'health' });
  return { version: body && body.version ? body.version : null, startedAt: new Date().toISOString() };
}

// In the stress stage every metric of an iteration carries the VU band it ran in: the
// smallest band at or above the VUs active when the iteration began.
function tagBand() {
  if (STAGE !== 'stress') return;
  const active = exec.instance.vusActive;
  const band = BANDS.find((b) => b >= active) || BANDS[BANDS.length - 1];
  exec.vu.metrics.tags.band = String(band);
}

export default function () {
  tagBand();
  try {
    visit();
  } finally {
    // Also after a failed step: a broken server must not turn VUs into a tight loop.
    think();
  }
}

function visit() {
  // 1. An anonymous session; its token authorises the rest.
  const session = call('POST', 'create_session', '/api/v2/auth/anonymous', {
    body: { timezone: 'America/New_York' },
    expect: 201,
    checks: {
      'has token': (d) => typeof d.token === 'string' && d.token.length >= 40,
      'anonymous user': (d) => d.auth_type === 'anonymous' && typeof d.user_id === 'string',
      'expires later': (d) => d.session_expires_at > d.created_at,
    },
  });
  if (!session.data) return;
  const token = session.data.token;
  think();

  // 2. Two configurations, one per ticker payload shape.
  const plain = distinct(3);
  const symbols = call('POST', 'create_config_symbols', '/api/v2/configurations', {
    token,
    body: { name: 'Watchlist', tickers: plain.map((t) => t.toLowerCase()), timeframe_days: 7 },
    expect: 201,
    checks: {
      'has config_id': (d) => typeof d.config_id === 'string' && d.config_id.length > 0,
      'symbols upper-cased, weight 1': (d) => sameTickers(d.tickers, plain.map((symbol) => ({ symbol, weight: 1 }))),
      'timeframe 7d': (d) => d.timeframe_days === 7,
    },
  });
  think();
  const weightedTickers = distinct(2).map((symbol, i) => ({ symbol, weight: i === 0 ? 0.75 : 0.25 }));
  const weighted = call('POST', 'create_config_weighted', '/api/v2/configurations', {
    token,
    body: { name: 'Weighted', tickers: weightedTickers, timeframe_days: 30 },
    expect: 201,
    checks: {
      'has config_id': (d) => typeof d.config_id === 'string' && d.config_id.length > 0,
      'weights kept': (d) => sameTickers(d.tickers, weightedTickers),
      'timeframe 30d': (d) => d.timeframe_days === 30,
    },
  });
  const created = [symbols.data, weighted.data].filter((c) => c !== null);
  think();

  try {
    // 3. The list holds exactly what this session created.
    call('GET', 'list_configs', '/api/v2/configurations', {
      token,
      checks: {
        'lists what was created': (d) =>
          Array.isArray(d.configurations) &&
          JSON.stringify(d.configurations.map((c) => c.config_id).sort()) ===
            JSON.stringify(created.map((c) => c.config_id).sort()),
        'max_allowed >= 2': (d) => d.max_allowed >= 2,
      },
    });
    think();

    // 4. One configuration's views: sentiment, a ticker's history, the heatmap.
    if (created.length > 0) {
      const config = pick(created);
      const id = config.config_id;
      call('GET', 'config_sentiment', `/api/v2/configurations/${id}/sentiment`, {
        token,
        checks: {
          'its tickers, weighted': (d) =>
            d.config_id === id &&
            d.window === `${config.timeframe_days}d` &&
            Array.isArray(d.tickers) &&
            d.tickers.map((t) => t.ticker).join() === config.tickers.map((t) => t.symbol).join() &&
            d.tickers.every((t) => typeof t.weight === 'number'),
        },
      });
      think();
      const ticker = pick(config.tickers).symbol;
      call('GET', 'config_history', `/api/v2/configurations/${id}/sentiment/${ticker}/history?days=7&interval=1h`, {
        token,
        checks: {
          '168 hourly buckets': (d) =>
            d.ticker === ticker && d.interval === '1h' && Array.isArray(d.buckets) && d.buckets.length === 7 * 24,
        },
      });
      think();
      const view = pick(['sources', 'periods']);
      const columns = view === 'sources' ? ['tiingo', 'finnhub'] : ['24h', '7d', '30d'];
      call('GET', 'config_heatmap', `/api/v2/configurations/${id}/heatmap?view=${view}`, {
        token,
        checks: {
          'a row per ticker': (d) =>
            d.view === view &&
            JSON.stringify(d.columns) === JSON.stringify(columns) &&
            Array.isArray(d.rows) &&
            d.rows.length === config.tickers.length &&
            d.rows.every((r) => r.cells.length === columns.length),
        },
      });
      think();
    }

    // 5. Public reads: sentiment for a few tickers, the article feed and its next page. No
    //    token, as through CloudFront (which caches them): limited per client address.
    const publicTickers = distinct(3);
    call('GET', 'public_sentiment', `/api/v2/sentiment?tickers=${publicTickers.join(',')}&window=7d`, {
      checks: {
        'each ticker answered': (d) =>
          Array.isArray(d.tickers) &&
          d.tickers.map((t) => t.ticker).join() === publicTickers.join() &&
          d.tickers.every((t) => t.status === 'ok' || t.status === 'no_data'),
      },
    });
    think();
    const first = call('GET', 'articles_feed', '/api/v2/articles?limit=20', {
      checks: {
        'a page, newest first': (d) =>
          Array.isArray(d.articles) && d.articles.length <= 20 && sortedNewestFirst(d.articles),
      },
    });
    think();
    if (first.data && first.data.next_cursor) {
      const page1 = first.data.articles;
      call('GET', 'articles_feed_next', `/api/v2/articles?limit=20&cursor=${encodeURIComponent(first.data.next_cursor)}`, {
        checks: {
          'continues the first page': (d) => {
            const seen = new Set(page1.map((a) => a.id));
            const all = page1.concat(d.articles);
            return Array.isArray(d.articles) && d.articles.every((a) => !seen.has(a.id)) && sortedNewestFirst(all);
          },
        },
      });
      think();
    }
  } finally {
    // 6. Leave nothing behind: delete what was created, then sign out.
    for (const config of created) {
      call('DELETE', 'delete_config', `/api/v2/configurations/${config.config_id}`, { token, expect: 204 });
    }
    call('POST', 'signout', '/api/v2/auth/signout', { token, expect: 204 });
  }
}

// ---------------------------------------------------------------------------------------------
// Summary: per request p50/p95/p99 and error rate from k6's own tagged metrics, every
// threshold with its observed value, and for stress the first band that broke.
// ---------------------------------------------------------------------------------------------

// "p(95)<1000" -> the statistic it reads ("p(95)"), for the observed value.
function statistic(expression) {
  const m = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)\s*(?:<=|>=|==|!=|<|>)/.exec(expression);
  return m ? m[1] : null;
}

function thresholdResults(metrics) {
  const results = [];
  for (const [metric, m] of Object.entries(metrics)) {
    for (const [expression, t] of Object.entries(m.thresholds || {})) {
      // k6 passes a threshold whose metric has no samples; the summary says so instead of "ok".
      const samples = m.type === 'trend' ? m.values.count : m.type === 'rate' ? m.values.passes + m.values.fails : null;
      const stat = statistic(expression);
      const observed = samples !== 0 && stat && m.values[stat] !== undefined ? m.values[stat] : null;
      results.push({ metric, threshold: expression, ok: t.ok, evaluated: samples !== 0, observed, samples });
    }
  }
  return results.sort((a, b) => a.metric.localeCompare(b.metric) || a.threshold.localeCompare(b.threshold));
}

function trendStats(metric) {
  const v = metric && metric.values.count > 0 ? metric.values : {};
  return {
    count: v.count || 0,
    avg_ms: v.avg,
    p50_ms: v.med,
    p90_ms: v['p(90)'],
    p95_ms: v['p(95)'],
    p99_ms: v['p(99)'],
    max_ms: v.max,
  };
}

// A rate without samples is no rate at all (k6 reports 0).
function rateOf(metric) {
  return metric && metric.values.passes + metric.values.fails > 0 ? metric.values.rate : null;
}

function failedChecks(group, out = []) {
  for (const c of group.checks || []) {
    if (c.fails > 0) out.push({ check: c.name, passes: c.passes, fails: c.fails });
  }
  for (const g of group.groups || []) failedChecks(g, out);
  return out;
}

function buildSummary(data) {
  const m = data.metrics;
  const thresholdList = thresholdResults(m);
  const failed = thresholdList.filter((t) => !t.ok);
  const of = (metric) => thresholdList.filter((t) => t.metric === metric);

  const requests = {};
  for (const name of JOURNEY) {
    const duration = `http_req_duration{name:${name}}`;
    const errors = `http_req_failed{name:${name}}`;
    requests[name] = Object.assign(trendStats(m[duration]), {
      error_rate: rateOf(m[errors]),
      thresholds: of(duration).concat(of(errors)),
    });
  }

  let stress = null;
  if (STAGE === 'stress') {
    const bands = BANDS.map((vus) => {
      const duration = `http_req_duration{band:${vus}}`;
      const errors = `http_req_failed{band:${vus}}`;
      const results = of(duration).concat(of(errors));
      const stats = trendStats(m[duration]);
      return Object.assign({ vus }, stats, {
        error_rate: rateOf(m[errors]),
        reached: stats.count > 0,
        ok: results.every((t) => t.ok),
        failed_thresholds: results.filter((t) => !t.ok).map((t) => `${t.metric} ${t.threshold}`),
      });
    });
    const broke = bands.find((b) => b.reached && !b.ok);
    const held = bands.filter((b) => b.reached && b.ok && (!broke || b.vus < broke.vus));
    stress = {
      bands,
      broke_at_vus: broke ? broke.vus : null,
      held_up_to_vus: held.length ? held[held.length - 1].vus : null,
    };
  }

  const counter = (name) => (m[name] ? m[name].values.count : 0);
  return {
    stage: STAGE,
    api_url: API_URL,
    service_version: data.setup_data ? data.setup_data.version : null,
    started_at: data.setup_data ? data.setup_data.startedAt : null,
    passed: failed.length === 0,
    duration_s: data.state.testRunDurationMs / 1000,
    iterations: m.iterations ? m.iterations.values.count : 0,
    max_vus: m.vus_max ? m.vus_max.values.max : null,
    overall: {
      requests: m.http_reqs ? m.http_reqs.values.count : 0,
      requests_per_s: m.http_reqs ? m.http_reqs.values.rate : 0,
      error_rate: rateOf(m.http_req_failed),
      checks_rate: rateOf(m.checks),
      duration: trendStats(m.http_req_duration),
    },
    responses: {
      rate_limited_429: counter('responses_429'),
      client_errors_4xx_other: counter('responses_4xx_other'),
      server_errors_5xx: counter('responses_5xx'),
      no_response: counter('responses_none'),
    },
    // null when no answer carried X-Cache (not behind CloudFront).
    cdn_cache_hit_rate: rateOf(m.cdn_cache_hits),
    budgets: { p95_ms: P95_MS, p99_ms: P99_MS, max_error_rate: MAX_ERROR_RATE, min_checks_rate: MIN_CHECKS_RATE },
    requests,
    not_exercised: JOURNEY.filter((name) => requests[name].count === 0),
    thresholds: thresholdList,
    failed_thresholds: failed.map((t) => `${t.metric} ${t.threshold}`),
    failed_checks: failedChecks(data.root_group),
    stress,
  };
}

function ms(x) {
  if (x === null || x === undefined) return '-';
  return x >= 1000 ? `${(x / 1000).toFixed(2)}s` : `${x.toFixed(x < 10 ? 2 : 1)}ms`;
}

function pct(x) {
  return x === null || x === undefined ? '-' : `${(x * 100).toFixed(2)}%`;
}

function pad(s, n, right = false) {
  s = String(s);
  return right ? s.padEnd(n) : s.padStart(n);
}

function observed(t) {
  if (t.observed === null) return '';
  return t.metric.startsWith('http_req_duration') ? ms(t.observed) : pct(t.observed);
}

function renderText(s) {
  const lines = [];
  lines.push(
    `api-load-test: stage ${s.stage} against ${s.api_url}${s.service_version ? ` (version ${s.service_version})` : ''}: ` +
      (s.passed ? 'PASSED' : `FAILED (${s.failed_thresholds.length} of ${s.thresholds.length} thresholds crossed)`),
  );
  lines.push(
    `${s.duration_s.toFixed(0)} s, ${s.iterations} visits, ${s.overall.requests} requests ` +
      `(${s.overall.requests_per_s.toFixed(1)}/s), up to ${s.max_vus} VUs; ` +
      `failed requests ${pct(s.overall.error_rate)}, checks passed ${pct(s.overall.checks_rate)}`,
  );
  const r = s.responses;
  lines.push(
    `answers: 429 ${r.rate_limited_429}, other 4xx ${r.client_errors_4xx_other}, 5xx ${r.server_errors_5xx}, none ${r.no_response}` +
      (s.cdn_cache_hit_rate !== null ? `; CloudFront cache hits ${pct(s.cdn_cache_hit_rate)} of answers with X-Cache` : ''),
  );
  lines.push(
    `budgets: p95 < ${ms(s.budgets.p95_ms)}, p99 < ${ms(s.budgets.p99_ms)}, failed < ${pct(s.budgets.max_error_rate)} per request and overall, checks > ${pct(s.budgets.min_checks_rate)}`,
  );
  lines.push('');
  lines.push(
    `${pad('request', 24, true)}${pad('count', 8)}${pad('p50', 10)}${pad('p95', 10)}${pad('p99', 10)}${pad('max', 10)}${pad('failed', 9)}  thresholds`,
  );
  for (const [name, q] of Object.entries(s.requests)) {
    const verdict = q.count === 0 ? 'not exercised' : q.thresholds.every((t) => t.ok) ? 'ok' : 'FAILED';
    lines.push(
      `${pad(name, 24, true)}${pad(q.count, 8)}${pad(ms(q.p50_ms), 10)}${pad(ms(q.p95_ms), 10)}${pad(ms(q.p99_ms), 10)}${pad(ms(q.max_ms), 10)}${pad(pct(q.error_rate), 9)}  ${verdict}`,
    );
  }
  if (s.stress) {
    lines.push('');
    lines.push(`${pad('stress band', 24, true)}${pad('count', 8)}${pad('p50', 10)}${pad('p95', 10)}${pad('p99', 10)}${pad('max', 10)}${pad('failed', 9)}  thresholds`);
    for (const b of s.stress.bands) {
      const verdict = !b.reached ? 'not reached' : b.ok ? 'ok' : `BROKE: ${b.failed_thresholds.join('; ')}`;
      lines.push(
        `${pad(`${b.vus} VUs`, 24, true)}${pad(b.count, 8)}${pad(ms(b.p50_ms), 10)}${pad(ms(b.p95_ms), 10)}${pad(ms(b.p99_ms), 10)}${pad(ms(b.max_ms), 10)}${pad(pct(b.error_rate), 9)}  ${verdict}`,
      );
    }
    lines.push(
      s.stress.broke_at_vus !== null
        ? `breaking point: the ${s.stress.broke_at_vus}-VU band is the first to cross a threshold` +
            (s.stress.held_up_to_vus !== null ? ` (held at ${s.stress.held_up_to_vus} VUs)` : '')
        : `breaking point: not reached; held up to ${s.stress.held_up_to_vus} VUs`,
    );
  }
  lines.push('');
  lines.push('thresholds:');
  for (const t of s.thresholds) {
    if (!t.evaluated) {
      lines.push(`  n/a   ${t.metric} ${t.threshold}  no samples (k6 counts it as passed)`);
    } else {
      lines.push(`  ${t.ok ? 'ok  ' : 'FAIL'}  ${t.metric} ${t.threshold}  observed ${observed(t)}`);
    }
  }
  if (s.not_exercised.length) {
    lines.push(`not exercised (their thresholds passed without samples): ${s.not_exercised.join(', ')}`);
  }
  if (s.failed_checks.length) {
    lines.push('failed checks:');
    for (const c of s.failed_checks) lines.push(`  ${c.check}: ${c.fails} failed, ${c.passes} passed`);
  }
  return `${lines.join('\n')}\n`;
}

export function handleSummary(data) {
  const summary = buildSummary(data);
  const text = renderText(summary);
  return {
    stdout: text,
    [`${SUMMARY_DIR}/summary.txt`]: text,
    [`${SUMMARY_DIR}/summary.json`]: `${JSON.stringify(summary, null, 2)}\n`,
  };
}
