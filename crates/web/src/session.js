// The anonymous session, kept in localStorage: created on the first visit (with a starter
// watchlist), checked on later ones, and re-created when the API says it is no longer valid.

import { ApiError, request } from "./api.js";

const KEY = "sentiment-analyzer.session";

/** The tickers the service always ingests (SENTIMENT_WATCHLIST's default). */
export const STARTER = { name: "Starter", tickers: ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "JPM"], timeframe_days: 7 };

function stored() {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? "null");
    return value && typeof value.token === "string" ? value : null;
  } catch {
    return null;
  }
}

function timezone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

export class Session {
  constructor({ onRenewed } = {}) {
    this.current = stored();
    this.onRenewed = onRenewed ?? (() => {});
    this.renewing = null;
  }

  get token() {
    return this.current?.token ?? null;
  }

  /** A usable session: the stored one if the API still knows it, else a new one. */
  async ensure() {
    if (this.current) {
      try {
        await request("GET", "/api/v2/auth/session", { token: this.token });
        return { created: false };
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 401) throw error;
      }
    }
    await this.create();
    return { created: true };
  }

  async create() {
    let created;
    try {
      created = await request("POST", "/api/v2/auth/anonymous", { body: { timezone: timezone() } });
    } catch (error) {
      // A browser zone the service does not know is no reason to go without a session.
      if (!(error instanceof ApiError) || error.field !== "timezone") throw error;
      created = await request("POST", "/api/v2/auth/anonymous", { body: {} });
    }
    this.current = { token: created.token, user_id: created.user_id, expires_at: created.session_expires_at };
    localStorage.setItem(KEY, JSON.stringify(this.current));
    await request("POST", "/api/v2/configurations", { body: STARTER, token: this.token });
  }

  /** One renewal however many requests saw the 401 at once. */
  renew() {
    this.renewing ??= this.create()
      .then(() => this.onRenewed())
      .finally(() => {
        this.renewing = null;
      });
    return this.renewing;
  }

  /** A request with the session; an expired or revoked session is replaced and the request made once more. */
  call = async (method, path, body) => {
    try {
      return await request(method, path, { body, token: this.token });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      await this.renew();
      return request(method, path, { body, token: this.token });
    }
  };
}
