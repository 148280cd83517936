"""Expand templates.txt (hand-written for this project) into train.tsv and valid.tsv.

Each template line is `<mark> <text>` with mark `+` positive, `-` negative, `=` neutral.
`{slot}` placeholders are filled with invented companies, people, places and numbers;
numbers that must be ordered (`{m_hi}` > `{m_lo}`) are drawn together. Every template is
instantiated COPIES times. A template goes wholly to valid.tsv (about 20%) or wholly to
train.tsv, decided by a hash of its text, so no sentence pattern is in both files.

    python generate.py            # rewrites train.tsv and valid.tsv deterministically
"""

import hashlib
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
COPIES = 3
VALID_SHARE = 5  # 1 in 5 templates
MARKS = {"+": "positive", "-": "negative", "=": "neutral"}

NAME_STEMS = (
    "Northwind Altavia Brightmoor Kestrel Solvane Harrowgate Tamarack Veltro Corvexa Ostara Pinecrest Arkwell "
    "Quorra Selvik Halden Marisol Greyhaven Oakline Vantor Elmstead Redwater Castellan Norrvik Ilmari Kaleva "
    "Tavira Brennan Lindqvist Aurelis Coldbrook Dunmore Everholt Fennick Galloway Hartfield Isomar Jorvik Kelso "
    "Lakemont Morrow Nordhavn Orvel Pellham Quinlan Rosslyn Stellan Thornbury Ulvik Varden Westmark Yarrow Zenthos "
    "Ardent Boreal Cindra Delmar Estrin Falkner Glenrock Hollis Ivarsson Juniper Korsholm Lunden Maplestone Nexbridge "
    "Orrin Palisade Ridgeway Sundvall Tessaro Uplands Valmora Wexford Alder Brightwater Cobalt Driftwood Emberly "
    "Fairhaven Granite Highmark Ironvale Keystone Larkspur Millbrook Newhall Oberlin Prescott Redcliff Silverline "
    "Trelawny Union Pacifica Vireo Whitlock Aalto Bergstrom Caledon Dravik Eskola Fjordline Gullmar Haapala "
    "Inari Jokela Karhu Lappi Merikoski Nyberg Oulujoki Pohjola Rautio Saimaa Tornio Vaara Ylva"
).split()

SECTOR_SUFFIX = {
    "bank": ["Bank", "Financial", "Bancorp", "Savings Bank", "Capital"],
    "pharma": ["Pharma", "Therapeutics", "Biosciences", "Biotech", "Medical"],
    "tech": ["Technologies", "Software", "Systems", "Networks", "Semiconductor", "Digital", "Data"],
    "retail": ["Stores", "Retail", "Brands", "Outlet", "Department Stores"],
    "energy": ["Energy", "Oil & Gas", "Petroleum", "Power", "Renewables"],
    "miner": ["Mining", "Resources", "Metals", "Gold", "Minerals"],
    "auto": ["Motors", "Automotive", "Vehicles", "Auto Parts"],
    "airline": ["Airlines", "Air", "Airways"],
    "telecom": ["Telecom", "Communications", "Mobile", "Telecommunications"],
    "insurer": ["Insurance", "Assurance", "Mutual", "Re"],
    "industrial": ["Industries", "Engineering", "Machinery", "Group", "Manufacturing", "Steel"],
    "food": ["Foods", "Beverages", "Brewing", "Dairy", "Farms"],
    "realestate": ["Properties", "REIT", "Realty", "Real Estate"],
    "utility": ["Utilities", "Water", "Electric", "Grid"],
    "media": ["Media", "Entertainment", "Studios", "Publishing"],
    "shipping": ["Shipping", "Logistics", "Lines", "Freight"],
    "chem": ["Chemicals", "Materials", "Coatings"],
    "paper": ["Paper", "Forest", "Packaging", "Pulp & Paper"],
}
LEGAL = ["", "", "", "", "Inc.", "Corp.", "plc", "Oyj", "AB", "ASA", "AG", "SA", "NV", "Ltd", "Holdings"]

FIRST = ("Anna Mikko Laura James Priya Chen Sofia Lars Fatima David Elena Tomasz Aiko Carlos Hanna Omar Ingrid "
         "Michael Sara Juha Olivia Rahul Marta Pekka Grace Daniel Yuki Nadia Erik Lucia Ahmed Kirsi Jonas Mei "
         "Robert Helena Victor Amara Paul Leena").split()
LAST = ("Virtanen Smith Kowalski Nakamura Garcia Lindberg Okafor Muller Rossi Chen Johansson Patel Korhonen Brown "
        "Dubois Haddad Novak Nieminen Silva Andersen Tanaka Murphy Schneider Laine Costa Ivanova Becker Lehtonen "
        "Wright Suzuki Moreau Hakala Jensen O'Brien Kaur Fischer").split()
CITIES = ("Helsinki Stockholm Oslo Copenhagen London Frankfurt Paris Chicago Houston Toronto Singapore Tokyo "
          "Sydney Madrid Milan Warsaw Tampere Gothenburg Rotterdam Dallas Atlanta Shanghai Mumbai Sao Paulo "
          "Johannesburg Oulu Turku Bergen Lyon Munich Denver Seattle Monterrey Vienna Dublin").split(" ")
COUNTRIES = ("Finland Sweden Norway Germany France Poland Brazil India China Japan Canada Mexico Australia "
             "Spain Italy Vietnam Indonesia Chile Turkey Egypt Estonia Latvia Russia Kenya Saudi Arabia "
             "the Netherlands the United States the UK South Korea").split(" ")
COUNTRIES = ["Saudi Arabia" if c == "Saudi" else c for c in COUNTRIES if c not in ("Arabia",)]
COUNTRIES = [c for c in COUNTRIES if c not in ("the", "United", "States", "UK", "South", "Korea", "Netherlands")] + [
    "the Netherlands", "the United States", "the UK", "South Korea"]
REGIONS = ["Europe", "North America", "Asia-Pacific", "China", "the Nordic countries", "Latin America",
           "the Middle East", "Germany", "the US", "emerging markets", "Southeast Asia", "Eastern Europe"]
BROKERS = ["Goldman Sachs", "Morgan Stanley", "JPMorgan", "Barclays", "UBS", "Jefferies", "Nordea Markets",
           "Berenberg", "Stifel", "Piper Sandler", "Raymond James", "Wedbush", "KeyBanc", "Deutsche Bank", "HSBC",
           "Citi", "BofA Securities", "Danske Bank", "SEB", "Carnegie", "Kepler Cheuvreux", "Bernstein", "Mizuho",
           "Nomura", "RBC Capital Markets", "Evercore ISI", "Handelsbanken", "DNB Markets", "Oppenheimer"]
AGENCIES = ["Moody's", "S&P Global Ratings", "Fitch Ratings", "Fitch", "Moody's Investors Service"]
INDICES = ["the S&P 500", "the Nasdaq Composite", "the FTSE 100", "Germany's DAX", "the Stoxx 600",
           "Japan's Nikkei", "the Dow Jones Industrial Average", "the OMX Helsinki index", "the OMX Stockholm 30",
           "Hong Kong's Hang Seng", "the Russell 2000", "France's CAC 40"]
EXCHANGES = ["Nasdaq Helsinki", "the New York Stock Exchange", "Nasdaq", "the London Stock Exchange",
             "Euronext Paris", "the Frankfurt Stock Exchange", "the Oslo Stock Exchange", "Nasdaq Stockholm",
             "the Toronto Stock Exchange", "Euronext Amsterdam"]
PRODUCTS = ["electric buses", "paper machines", "cloud software", "wind turbines", "smartphone chips",
            "frozen foods", "port cranes", "elevators", "medical imaging systems", "packaging board",
            "solar panels", "network equipment", "jet engine parts", "heat pumps", "heavy trucks",
            "specialty steel", "pet food", "cybersecurity services", "payment terminals",
            "data-centre cooling systems", "marine engines", "forestry machines", "ferries", "airport scanners",
            "fertilisers", "pulp", "hearing aids", "industrial valves", "battery materials", "rail signalling systems",
            "office furniture", "insulin pumps", "5G base stations", "cardboard packaging", "sports apparel",
            "diagnostic tests", "power transformers", "AI accelerator chips", "frozen pizza", "construction cranes"]
SEGMENTS = ["paper", "consumer electronics", "services", "retail banking", "wealth management", "chemicals",
            "packaging", "automotive", "aerospace", "software", "marine", "construction equipment", "logistics",
            "consumer health", "wholesale", "mobile networks", "energy solutions", "mining equipment",
            "home appliances", "advertising", "pharmaceutical", "building products", "specialty materials"]
DRUG_A = ["vela", "tora", "zeni", "quila", "mori", "sapra", "bexa", "luvo", "dara", "ferro", "kato", "nivo"]
DRUG_B = ["tinib", "zumab", "parin", "ciclovir", "mestat", "lisib", "gliptin", "sartan", "tecan", "rolimus"]
CONDITIONS = ["psoriasis", "lung cancer", "heart failure", "migraine", "type 2 diabetes", "obesity",
              "multiple sclerosis", "breast cancer", "Alzheimer's disease", "rheumatoid arthritis", "asthma"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
ORD = ["first", "second", "third", "fourth"]
COMMODITIES = ["oil", "copper", "gold", "wheat", "natural gas", "iron ore", "aluminium", "coffee", "nickel"]
ROLES = ["chief executive", "chief financial officer", "chairman", "chief operating officer", "head of sales",
         "chief technology officer", "general counsel"]


class Ctx:
    """Per-sentence draws, so repeated slots agree (one currency, one year, ordered pairs)."""

    def __init__(self, rng):
        self.r = rng
        self.cache = {}
        self.year = rng.randint(2016, 2026)
        self.cur = rng.choice(["$", "$", "$", "EUR", "EUR", "€", "£", "SEK", "euro-word", "USD"])
        self.pct_style = rng.choice(["%", "%", "%", " %", " percent", " pct"])
        self.used_names = set()

    # ---- numbers
    def money(self, v):
        """v in millions."""
        r, cur = self.r, self.cur
        big = v >= 1000
        x = v / 1000 if big else v
        s = f"{x:.1f}" if (x < 100 and r.random() < 0.8) else f"{x:,.0f}"
        if cur == "$":
            return f"${s} {'billion' if big else 'million'}" if r.random() < 0.7 else f"${s}{'bn' if big else 'm'}"
        if cur == "USD":
            return f"USD {s} {'billion' if big else 'million'}"
        if cur == "EUR":
            return f"EUR {s} {'bn' if big else 'mn'}" if r.random() < 0.6 else f"EUR {s} {'billion' if big else 'million'}"
        if cur == "€":
            return f"€{s} {'billion' if big else 'million'}"
        if cur == "£":
            return f"£{s}{'bn' if big else 'm'}" if r.random() < 0.5 else f"£{s} {'billion' if big else 'million'}"
        if cur == "SEK":
            return f"SEK {s} {'billion' if big else 'million'}"
        return f"{s} {'billion' if big else 'million'} euros"

    def amount(self):
        return self.r.choice([self.r.uniform(1, 95), self.r.uniform(100, 900), self.r.uniform(1000, 9000)])

    def pct(self, lo, hi):
        v = self.r.uniform(lo, hi)
        s = f"{v:.1f}" if self.r.random() < 0.6 else f"{v:.0f}"
        if s.endswith(".0"):
            s = s[:-2]
        return s + self.pct_style

    def per_share(self, v):
        if self.cur in ("$", "USD"):
            return f"${v:.2f}"
        if self.cur == "£":
            return f"{v * 100:.1f}p"
        if self.cur == "SEK":
            return f"SEK {v * 10:.2f}"
        return f"EUR {v:.2f}" if self.r.random() < 0.7 else f"€{v:.2f}"

    def company(self, sector=None):
        r = self.r
        for _ in range(20):
            sec = sector or r.choice(list(SECTOR_SUFFIX))
            name = f"{r.choice(NAME_STEMS)} {r.choice(SECTOR_SUFFIX[sec])}"
            if r.random() < 0.15:
                name = r.choice(NAME_STEMS)  # bare brand-like name
            legal = r.choice(LEGAL)
            if legal:
                name = f"{name} {legal}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        return name

    def slot(self, key):
        """Fill one slot; numbered duplicates like {co2} are distinct draws, repeats agree."""
        if key in self.cache:
            return self.cache[key]
        r = self.r
        base = re.sub(r"\d+$", "", key)
        if base in SECTOR_SUFFIX:
            v = self.company(base)
        elif base == "co":
            v = self.company()
        elif base == "m":
            v = self.money(self.amount())
        elif base in ("m_hi", "m_lo"):
            lo = self.amount()
            hi = lo * r.uniform(1.04, 1.9)
            self.cache["m_lo" + key[4:]] = self.money(lo)
            self.cache["m_hi" + key[4:]] = self.money(hi)
            return self.cache[key]
        elif base in ("e_hi", "e_lo"):
            lo = r.uniform(0.05, 3.5)
            hi = lo * r.uniform(1.05, 1.8)
            self.cache["e_lo" + key[4:]] = self.per_share(lo)
            self.cache["e_hi" + key[4:]] = self.per_share(hi)
            return self.cache[key]
        elif base in ("p_hi", "p_lo"):
            lo = r.choice([r.uniform(3, 40), r.uniform(40, 400)])
            hi = lo * r.uniform(1.06, 1.6)
            sym = "$" if self.cur in ("$", "USD", "euro-word") else ("€" if self.cur in ("EUR", "€") else ("£" if self.cur == "£" else "SEK "))
            fmt = (lambda x: f"{sym}{x:.0f}") if lo > 30 else (lambda x: f"{sym}{x:.2f}")
            self.cache["p_lo" + key[4:]] = fmt(lo)
            self.cache["p_hi" + key[4:]] = fmt(hi)
            return self.cache[key]
        elif base in ("r_hi", "r_lo"):  # ratios such as margins, in percent
            lo = r.uniform(2, 40)
            hi = lo + r.uniform(0.6, 8)
            style = self.pct_style
            self.cache["r_lo" + key[4:]] = f"{lo:.1f}{style}"
            self.cache["r_hi" + key[4:]] = f"{hi:.1f}{style}"
            return self.cache[key]
        elif base == "eps":
            v = self.per_share(r.uniform(0.05, 4))
        elif base == "price":
            v = f"${r.uniform(2, 300):.2f}" if self.cur in ("$", "USD") else f"EUR {r.uniform(2, 90):.2f}"
        elif base == "pct":
            v = self.pct(1.5, 19)
        elif base == "pct_s":
            v = self.pct(0.3, 2.5)
        elif base == "pct_b":
            v = self.pct(20, 75)
        elif base == "n":
            v = str(r.randint(2, 30))
        elif base == "n_jobs":
            v = r.choice([f"{r.randint(30, 900)}", f"{r.randint(1, 15)},{r.randint(0, 9)}00", f"about {r.randint(1, 12)},000"])
        elif base == "n_k":
            v = r.choice([f"{r.randint(2, 900)},000", f"{r.randint(1, 9)}.{r.randint(1, 9)} million"])
        elif base == "year":
            v = str(self.year)
        elif base == "prev_year":
            v = str(self.year - 1)
        elif base == "next_year":
            v = str(self.year + 1)
        elif base == "q":
            v = self.cache.setdefault("_q", r.choice(ORD))
        elif base == "qq":
            v = f"Q{ORD.index(self.slot('q')) + 1}"
        elif base == "period":
            v = r.choice([f"the {self.slot('q')} quarter", f"the {self.slot('q')} quarter of {self.year}",
                          "January-March", "April-June", "July-September", "the first half", "the nine-month period",
                          f"the first half of {self.year}", str(self.year), "the reporting period",
                          "the October-December quarter"])
        elif base == "month":
            v = r.choice(MONTHS)
        elif base == "weekday":
            v = r.choice(WEEKDAYS)
        elif base == "date":
            mo, d = r.choice(MONTHS), r.randint(1, 28)
            v = r.choice([f"{mo} {d}", f"{d} {mo}", f"{mo} {d}, {self.year}"])
        elif base == "time":
            v = r.choice(["10:00 a.m. ET", "9 a.m. EET", "14:00 CET", "4:30 p.m. Eastern", "noon GMT", "11:00 local time"])
        elif base == "person":
            v = f"{r.choice(FIRST)} {r.choice(LAST)}"
        elif base == "role":
            v = r.choice(ROLES)
        elif base == "city":
            v = r.choice(CITIES)
        elif base == "country":
            v = r.choice(COUNTRIES)
        elif base == "region":
            v = r.choice(REGIONS)
        elif base == "broker":
            v = r.choice(BROKERS)
        elif base == "agency":
            v = r.choice(AGENCIES)
        elif base == "index":
            v = r.choice(INDICES)
        elif base == "exchange":
            v = r.choice(EXCHANGES)
        elif base == "product":
            v = r.choice(PRODUCTS)
        elif base == "segment":
            v = r.choice(SEGMENTS)
        elif base == "drug":
            v = r.choice(DRUG_A) + r.choice(DRUG_B)
        elif base == "condition":
            v = r.choice(CONDITIONS)
        elif base == "commodity":
            v = r.choice(COMMODITIES)
        else:
            raise KeyError(f"unknown slot {{{key}}}")
        self.cache[key] = v
        return v


SLOT = re.compile(r"\{([a-z_]+\d*)\}")


def fill(template, rng):
    ctx = Ctx(rng)
    out = SLOT.sub(lambda m: ctx.slot(m.group(1)), template)
    out = out[0].upper() + out[1:]
    return " ".join(out.split())


def read_templates(path):
    items = []
    for ln, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        mark, _, text = line.partition(" ")
        if mark not in MARKS or not text:
            raise ValueError(f"{path}:{ln}: bad line {line!r}")
        items.append((MARKS[mark], text.strip(), ln))
    return items


def main():
    items = read_templates(HERE / "templates.txt")
    seen = set()
    rows = {"train": [], "valid": []}
    for label, text, ln in items:
        h = int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)
        split = "valid" if h % VALID_SHARE == 0 else "train"
        rng = random.Random(h)
        made = 0
        tries = 0
        while made < (COPIES if SLOT.search(text) else 1) and tries < 20:
            tries += 1
            s = fill(text, rng)
            if s in seen:
                continue
            seen.add(s)
            rows[split].append((s, label))
            made += 1
    for split, rs in rows.items():
        with open(HERE / f"{split}.tsv", "w", encoding="utf-8") as f:
            f.write("sentence\tlabel\n")
            for s, label in rs:
                assert "\t" not in s and "\n" not in s
                f.write(f"{s}\t{label}\n")
        counts = {k: sum(1 for _, l in rs if l == k) for k in ("positive", "negative", "neutral")}
        print(split, len(rs), counts)
    print("templates", len(items), {k: sum(1 for l, _, _ in items if l == k) for k in ("positive", "negative", "neutral")})


if __name__ == "__main__":
    main()
