#!/usr/bin/env python3
"""Generates the bundled offline news corpus in Tiingo's and Finnhub's exact wire formats.

Headlines are written here from templates (no third-party text). The output is deterministic
(fixed seed) and timestamped relative to a fixed anchor; the sample source re-bases the
timestamps at load time so the newest item is always recent.

Usage: python3 tools/generate-sample-corpus.py           (writes crates/sources/sample/)
       python3 tools/generate-sample-corpus.py --check   (fails if the committed files differ)
"""
import json
import sys
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "crates" / "sources" / "sample"
ANCHOR = datetime(2026, 1, 31, 21, 0, tzinfo=timezone.utc)  # newest possible item
DAYS = 21
rng = random.Random(20261128)

COMPANIES = {
    "AAPL": ("Apple", ["iPhone", "services", "Mac", "wearables"], "Cupertino"),
    "MSFT": ("Microsoft", ["Azure cloud", "Office", "gaming", "AI software"], "Redmond"),
    "NVDA": ("Nvidia", ["data-center", "gaming chip", "AI accelerator", "automotive"], "Santa Clara"),
    "AMZN": ("Amazon", ["AWS", "retail", "advertising", "logistics"], "Seattle"),
    "GOOGL": ("Alphabet", ["search advertising", "Google Cloud", "YouTube", "Waymo"], "Mountain View"),
    "META": ("Meta Platforms", ["advertising", "Reality Labs", "Instagram", "WhatsApp business"], "Menlo Park"),
    "TSLA": ("Tesla", ["vehicle delivery", "energy storage", "Cybertruck", "robotaxi"], "Austin"),
    "JPM": ("JPMorgan Chase", ["investment banking", "trading", "consumer lending", "wealth management"], "New York"),
}
BANKS = ["Morgan Stanley", "Goldman Sachs", "Bernstein", "Wedbush", "Jefferies", "UBS", "Barclays", "Evercore ISI"]
CONFERENCES = ["an investor conference", "a technology summit", "its annual developer event", "a financial services forum"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

POSITIVE = [
    "{co} shares jump after strong {seg} growth",
    "{co} beats quarterly estimates as {seg} revenue climbs",
    "{bank} raises {co} price target on robust {seg} demand",
    "{co} stock hits record high after upbeat outlook",
    "{co} upgraded to buy at {bank}",
    "{co} raises full-year guidance, shares rally",
    "{co} wins major {seg} contract, stock gains",
    "{co} posts record {seg} sales",
    "{co} announces ${n} billion buyback as profit soars",
    "{co} {seg} business surges, lifting margins",
    "Investors cheer {co} results as {seg} sales beat forecasts",
    "{co} shares rise on better-than-expected {seg} demand",
]
NEGATIVE = [
    "{co} shares fall after weak {seg} sales",
    "{co} misses revenue estimates as {seg} slows",
    "{co} downgraded to sell at {bank} on valuation concerns",
    "Regulators open probe into {co} {seg} practices",
    "{co} cuts outlook, stock slides",
    "{co} faces lawsuit over {seg} business",
    "{co} shares tumble as {seg} demand weakens",
    "{co} warns of margin pressure in {seg}, shares drop",
    "{bank} slashes {co} price target citing {seg} weakness",
    "{co} loses key {seg} customer, stock sinks",
    "{co} profit falls short as {seg} costs jump",
    "Investors dump {co} after disappointing {seg} update",
]
NEUTRAL = [
    "{co} to report quarterly earnings on {day}",
    "{co} to present at {conf}",
    "{co} names new head of {seg}",
    "What to watch in {co}'s {seg} update",
    "{co} schedules annual shareholder meeting",
    "{co} files quarterly report with the SEC",
    "{co} opens new office in {city}",
    "{co} executives to discuss {seg} strategy at {conf}",
    "{co} reorganizes {seg} division under existing leadership",
    "{co} sets date for {seg} product event",
]
SUMMARIES = {
    "positive": ["Analysts said the results point to sustained momentum.", "The company said demand remained strong through the quarter."],
    "negative": ["Analysts said the update raises questions about near-term growth.", "The company did not comment on the report."],
    "neutral": ["The company said more details would follow.", "The announcement was made in a regulatory filing."],
}
MARKET = [
    ("Megacap tech stocks mixed as investors await Fed decision", ["aapl", "msft", "googl", "amzn"], "neutral"),
    ("Chip stocks rally as AI spending plans grow", ["nvda", "msft", "amd"], "positive"),
    ("Big banks slide after weak trading revenue", ["jpm", "gs", "c"], "negative"),
    ("Tech giants face new EU antitrust scrutiny", ["aapl", "googl", "meta"], "negative"),
    ("Cloud providers post strong growth in enterprise demand", ["amzn", "msft", "googl"], "positive"),
    ("EV makers cut prices as competition intensifies", ["tsla"], "negative"),
]
TIINGO_PUBLISHERS = ["reuters.com", "finance.yahoo.com", "bloomberg.com", "cnbc.com", "marketwatch.com", "seekingalpha.com"]
FINNHUB_PUBLISHERS = ["Yahoo", "SeekingAlpha", "MarketWatch", "CNBC", "Reuters"]
CATEGORY = {"positive": ["Earnings", "Upgrades"], "negative": ["Downgrades", "Legal"], "neutral": ["Events", "Filings"]}


def norm(title):
    return " ".join("".join(c.lower() if c.isalnum() else " " for c in title).split())


def headline(ticker, mood):
    name, segments, city = COMPANIES[ticker]
    template = rng.choice({"positive": POSITIVE, "negative": NEGATIVE, "neutral": NEUTRAL}[mood])
    return template.format(co=name, seg=rng.choice(segments), bank=rng.choice(BANKS), n=rng.choice([5, 10, 15, 25, 50]),
                           day=rng.choice(WEEKDAYS), conf=rng.choice(CONFERENCES), city=city)


def when():
    return ANCHOR - timedelta(seconds=rng.randrange(DAYS * 86400))


def tiingo_time(t):
    style = rng.randrange(3)
    if style == 0:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == 1:
        return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % rng.randrange(1_000_000)
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def slug(title):
    return "-".join(norm(title).split())[:80]


def vary(title):
    """The same story as another wire writes it: case, punctuation and spacing differ."""
    choice = rng.randrange(3)
    if choice == 0:
        return title.upper() if len(title) < 40 else title.replace(",", " --")
    if choice == 1:
        return title.rstrip(".") + "."
    return "  " + title.replace(" ", "  ", 1)


def main():
    seen = set()
    tiingo, finnhub = [], {t: [] for t in COMPANIES}
    next_tiingo_id, next_finnhub_id = 80_100_000, 133_500_000

    def unique(ticker, mood):
        for _ in range(50):
            title = headline(ticker, mood)
            if norm(title) not in seen:
                seen.add(norm(title))
                return title
        return None

    moods = ["positive"] * 3 + ["negative"] * 3 + ["neutral"] * 4
    for ticker in COMPANIES:
        # Each company gets a slant so tickers differ visibly on the dashboard.
        slant = {"NVDA": "positive", "MSFT": "positive", "TSLA": "negative", "META": "negative"}.get(ticker)
        for i in range(42):
            mood = slant if slant and i % 3 == 0 else rng.choice(moods)
            title = unique(ticker, mood)
            if title is None:
                continue
            t = when()
            next_tiingo_id += rng.randrange(1, 400)
            description = rng.choice([None, "", rng.choice(SUMMARIES[mood])])
            extra = [rng.choice(["spy", "qqq", "xlk"])] if rng.random() < 0.2 else []
            publisher = rng.choice(TIINGO_PUBLISHERS)
            tiingo.append({
                "id": next_tiingo_id, "title": title,
                "url": f"https://www.{publisher}/markets/{slug(title)}-{next_tiingo_id}",
                "description": description, "publishedDate": tiingo_time(t),
                "crawlDate": tiingo_time(t + timedelta(seconds=rng.randrange(30, 900))),
                "source": publisher, "tickers": [ticker.lower()] + extra,
                "tags": CATEGORY[mood] + ["Stock"], "sentimentLabel": mood,
            })
            # About one story in four also arrives through Finnhub.
            if rng.random() < 0.25:
                next_finnhub_id += rng.randrange(1, 500)
                ft = t + timedelta(seconds=rng.randrange(-600, 600))
                finnhub[ticker].append({
                    "category": "company", "datetime": int(ft.timestamp()), "headline": vary(title),
                    "id": next_finnhub_id, "image": "", "related": ticker, "source": rng.choice(FINNHUB_PUBLISHERS),
                    "summary": description or "", "url": f"https://finnhub.io/api/news?id={next_finnhub_id:x}{rng.randrange(16**8):08x}",
                })
        for i in range(20):
            mood = slant if slant and i % 3 == 0 else rng.choice(moods)
            title = unique(ticker, mood)
            if title is None:
                continue
            next_finnhub_id += rng.randrange(1, 500)
            finnhub[ticker].append({
                "category": "company", "datetime": int(when().timestamp()), "headline": title, "id": next_finnhub_id,
                "image": rng.choice(["", f"https://media.example-wire.com/img/{next_finnhub_id}.jpg"]),
                "related": ticker, "source": rng.choice(FINNHUB_PUBLISHERS),
                "summary": rng.choice(["", rng.choice(SUMMARIES[mood])]),
                "url": f"https://finnhub.io/api/news?id={next_finnhub_id:x}{rng.randrange(16**8):08x}",
            })
    for title, tickers, mood in MARKET:
        next_tiingo_id += rng.randrange(1, 400)
        t = when()
        tiingo.append({
            "id": next_tiingo_id, "title": title, "url": f"https://www.reuters.com/markets/{slug(title)}",
            "description": rng.choice(SUMMARIES[mood]), "publishedDate": tiingo_time(t),
            "crawlDate": tiingo_time(t + timedelta(seconds=120)), "source": "reuters.com", "tickers": tickers,
            "tags": ["Markets"], "sentimentLabel": mood,
        })
    # Market-wide items with no tickers, as Tiingo often sends.
    for title in ["Three dividend ETFs for a choppy market", "Treasury yields slip as traders weigh data"]:
        next_tiingo_id += 7
        tiingo.append({"id": next_tiingo_id, "title": title, "url": f"https://finance.yahoo.com/news/{slug(title)}.html",
                       "description": None, "publishedDate": tiingo_time(when()), "crawlDate": tiingo_time(ANCHOR),
                       "source": "finance.yahoo.com", "tickers": [], "tags": ["ETF"], "sentimentLabel": "neutral"})

    # Newest first, as both APIs answer.
    tiingo.sort(key=lambda item: item["publishedDate"][:19], reverse=True)
    # "sentimentLabel" is our own field (the label the template was written with); Tiingo
    # sends extra fields too, and the parser must ignore unknown fields.
    files = {OUT / "tiingo-news.json": json.dumps(tiingo, indent=1) + "\n"}
    for ticker, items in finnhub.items():
        items.sort(key=lambda item: item["datetime"], reverse=True)
        files[OUT / "finnhub-company-news" / f"{ticker}.json"] = json.dumps(items, indent=1) + "\n"
    if "--check" in sys.argv[1:]:
        stale = [str(p) for p, text in files.items() if not p.exists() or p.read_text() != text]
        if stale:
            sys.exit("sample corpus is stale; run tools/generate-sample-corpus.py: " + ", ".join(stale))
        print("sample corpus is up to date")
        return
    for path, text in files.items():
        path.write_text(text)
    total_f = sum(len(v) for v in finnhub.values())
    print(f"tiingo: {len(tiingo)} items, finnhub: {total_f} items over {len(finnhub)} tickers")


if __name__ == "__main__":
    main()
