"""Search and lookup answers of the Yahoo double (``/v1/finance/search``, ``/v1/finance/lookup``).

Real first: the recorded real search answers in ``<repo>/../shared/recorded-yahoo``
(``search-<query>.json``) are served, read in place, for their own queries (the file name's
query: ``search-badResult.fake.json`` is Yahoo's malformed answer, served for
``badResult.fake``). For company names, answers written here in the same shape: Tencent
(the Hong Kong line, the ADR, and other companies' names with "Tencent" in them), Alibaba
(the NYSE ADS ranked first, as Yahoo's US search does, then the Hong Kong lines), and
"great wall", which two different companies match about equally.

A query without an answer of its own gets the written answer of the first name it begins
(``tenc`` -> ``tencent``: Yahoo searches as you type), else Yahoo's empty answer.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from analytics.data.sources.base import Listing
from analytics.data.sources.yahoo_search import listing_from_quote
from analytics.errors import SourceError

#: ``<repo>/../shared/recorded-yahoo``: real recorded Yahoo answers (see its README).
RECORDED_YAHOO = Path(__file__).resolve().parents[1] / ".." / "shared" / "recorded-yahoo"

#: What Yahoo's chart ``meta`` and ``.info`` call these symbols (``longName``, ``shortName``).
NAMES: dict[str, dict[str, str]] = {
    "0700.HK": {"longName": "Tencent Holdings Limited", "shortName": "TENCENT"},
    "TCEHY": {"longName": "Tencent Holdings Limited", "shortName": "Tencent Holdings Ltd."},
    "9988.HK": {"longName": "Alibaba Group Holding Limited", "shortName": "BABA-W"},
    "BABA": {
        "longName": "Alibaba Group Holding Limited",
        "shortName": "Alibaba Group Holding Limited",
    },
    "1810.HK": {"longName": "Xiaomi Corporation", "shortName": "XIAOMI-W"},
    "AAPL": {"longName": "Apple Inc.", "shortName": "Apple Inc."},
    "AMZN": {"longName": "Amazon.com, Inc.", "shortName": "Amazon.com, Inc."},
}


def _quote(
    symbol: str,
    longname: str | None,
    shortname: str | None,
    exchange: str,
    exch_disp: str,
    quote_type: str,
    score: int,
) -> dict[str, Any]:
    """One ``quotes`` entry as Yahoo's search sends it."""
    type_disp = {"EQUITY": "Equity", "ETF": "ETF", "OPTION": "Option", "INDEX": "Index"}
    quote: dict[str, Any] = {
        "exchange": exchange,
        "shortname": shortname,
        "quoteType": quote_type,
        "symbol": symbol,
        "index": "quotes",
        "score": score,
        "typeDisp": type_disp.get(quote_type, quote_type.title()),
        "longname": longname,
        "exchDisp": exch_disp,
        "isYahooFinance": True,
    }
    return {k: v for k, v in quote.items() if v is not None}


TENCENT = [
    _quote("0700.HK", "Tencent Holdings Limited", "TENCENT", "HKG", "Hong Kong", "EQUITY", 2004000),
    _quote(
        "TCEHY",
        "Tencent Holdings Limited",
        "Tencent Holdings Ltd.",
        "PNK",
        "OTC Markets",
        "EQUITY",
        20047,
    ),
    _quote(
        "TME",
        "Tencent Music Entertainment Group",
        "Tencent Music Entertainment Gro",
        "NYQ",
        "NYSE",
        "EQUITY",
        20031,
    ),
    _quote(
        "NNND.F",
        "Tencent Holdings Limited",
        "TENCENT HLDGS HD-,00002",
        "FRA",
        "Frankfurt",
        "EQUITY",
        20012,
    ),
    _quote(
        "KTEC",
        "KraneShares Hang Seng TECH Index ETF",
        "KraneShares Hang Seng TECH Inde",
        "PCX",
        "NYSEArca",
        "ETF",
        20010,
    ),
]
ALIBABA = [
    _quote(
        "BABA",
        "Alibaba Group Holding Limited",
        "Alibaba Group Holding Limited",
        "NYQ",
        "NYSE",
        "EQUITY",
        2013000,
    ),
    _quote(
        "9988.HK", "Alibaba Group Holding Limited", "BABA-W", "HKG", "Hong Kong", "EQUITY", 20044
    ),
    _quote(
        "0241.HK",
        "Alibaba Health Information Technology Limited",
        "ALI HEALTH",
        "HKG",
        "Hong Kong",
        "EQUITY",
        20020,
    ),
    _quote(
        "BABA250321C00130000",
        "BABA Mar 2025 130.000 call",
        "BABA Mar 2025 130.000 call",
        "OPR",
        "OPR",
        "OPTION",
        20009,
    ),
]
GREAT_WALL = [
    _quote(
        "2333.HK",
        "Great Wall Motor Company Limited",
        "GREATWALL MOTOR",
        "HKG",
        "Hong Kong",
        "EQUITY",
        20021,
    ),
    _quote(
        "002939.SZ",
        "China Great Wall Securities Co.,Ltd.",
        "CGWS",
        "SHZ",
        "Shenzhen",
        "EQUITY",
        20019,
    ),
    _quote(
        "GWLLY",
        "Great Wall Motor Company Limited",
        "Great Wall Motor Co. Ltd.",
        "PNK",
        "OTC Markets",
        "EQUITY",
        20008,
    ),
]
XIAOMI = [
    _quote("1810.HK", "Xiaomi Corporation", "XIAOMI-W", "HKG", "Hong Kong", "EQUITY", 2002000),
    _quote("XIACY", "Xiaomi Corporation", "Xiaomi Corp.", "PNK", "OTC Markets", "EQUITY", 20030),
]
#: Found only by Lookup (Yahoo's search finds nothing for them): the ADR's bare ticker.
LOOKUP_ONLY: dict[str, list[dict[str, Any]]] = {"tcehy": [TENCENT[1]]}
#: "amazon": the recorded answer for AMZN's listings (names and scores as recorded).
AMAZON = [
    _quote("AMZN", "Amazon.com, Inc.", "Amazon.com, Inc.", "NMS", "NASDAQ", "EQUITY", 2748400),
    _quote("AMZN.MX", "Amazon.com, Inc.", "AMAZON COM INC", "MEX", "Mexico", "EQUITY", 20007),
]
#: Companies of the shared CSVs by name, for questions in plain words (issue 14): the
#: primary listing ranked first as Yahoo ranks it, then other lines of the same company.
NVIDIA = [
    _quote("NVDA", "NVIDIA Corporation", "NVIDIA Corporation", "NMS", "NASDAQ", "EQUITY", 2390000),
    _quote("NVD.DE", "NVIDIA Corporation", "NVIDIA CORP. DL-,001", "GER", "XETRA", "EQUITY", 20020),
]
APPLE = [
    _quote("AAPL", "Apple Inc.", "Apple Inc.", "NMS", "NASDAQ", "EQUITY", 2410000),
    _quote("APLE", "Apple Hospitality REIT, Inc.", "Apple Hospitality REIT, Inc.", "NYQ", "NYSE",
           "EQUITY", 20031),
]  # fmt: skip
MEITUAN = [
    _quote("3690.HK", "Meituan", "MEITUAN-W", "HKG", "Hong Kong", "EQUITY", 2001500),
    _quote("MPNGY", "Meituan", "Meituan", "PNK", "OTC Markets", "EQUITY", 20025),
]
BAIDU = [
    _quote("BIDU", "Baidu, Inc.", "Baidu, Inc.", "NMS", "NASDAQ", "EQUITY", 2003600),
    _quote("9888.HK", "Baidu, Inc.", "BIDU-SW", "HKG", "Hong Kong", "EQUITY", 20040),
]
MICROSOFT = [
    _quote("MSFT", "Microsoft Corporation", "Microsoft Corporation", "NMS", "NASDAQ", "EQUITY",
           2520000),
]  # fmt: skip
WRITTEN: dict[str, list[dict[str, Any]]] = {
    "amazon": AMAZON,
    "tencent": TENCENT,
    "tencent holdings": TENCENT,
    "alibaba": ALIBABA,
    "great wall": GREAT_WALL,
    "xiaomi": XIAOMI,
    "nvidia": NVIDIA,
    "apple": APPLE,
    "meituan": MEITUAN,
    "baidu": BAIDU,
    "microsoft": MICROSOFT,
}


def search_body(quotes: list[dict[str, Any]]) -> dict[str, Any]:
    """Yahoo's search envelope around ``quotes`` (fields as in the recorded answers)."""
    return {
        "explains": [],
        "count": len(quotes),
        "quotes": quotes,
        "news": [],
        "nav": [],
        "lists": [],
        "researchReports": [],
        "screenerFieldResults": [],
        "totalTime": 21,
        "timeTakenForQuotes": 410,
        "timeTakenForNews": 0,
        "timeTakenForAlgowatchlist": 400,
        "timeTakenForPredefinedScreener": 400,
        "timeTakenForCrunchbase": 0,
        "timeTakenForNav": 400,
        "timeTakenForResearchReports": 0,
        "timeTakenForScreenerField": 0,
        "timeTakenForCulturalAssets": 0,
        "timeTakenForSearchLists": 0,
    }


@cache
def recorded_searches() -> dict[str, dict[str, Any]]:
    """File-name query (lower case) -> the recorded real ``bodyJson``."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(RECORDED_YAHOO.glob("search-*.json")):
        query = path.name[len("search-") : -len(".json")]
        out[query.lower()] = json.loads(path.read_text())["response"]["bodyJson"]
    return out


def _written(query: str) -> list[dict[str, Any]] | None:
    if query in WRITTEN:
        return WRITTEN[query]
    return next(
        (quotes for name, quotes in WRITTEN.items() if query and name.startswith(query)), None
    )


def search_answer(query: str) -> dict[str, Any]:
    """What the double answers ``/v1/finance/search?q=<query>`` with."""
    key = " ".join(query.lower().split())
    recorded = recorded_searches().get(key)
    if recorded is not None:
        return recorded
    return search_body(list(_written(key) or []))


def lookup_answer(query: str, count: int = 25) -> dict[str, Any]:
    """``/v1/finance/lookup``: documents in Lookup's own field names."""
    key = " ".join(query.lower().split())
    documents = [
        {
            "symbol": q["symbol"],
            "shortName": q.get("shortname"),
            "exchange": q["exchange"],
            "quoteType": q["quoteType"].lower(),
            "rank": q["score"],
            "industryName": None,
        }
        for q in (LOOKUP_ONLY.get(key) or _written(key) or [])[:count]
    ]
    result = {"start": 0, "count": len(documents), "total": len(documents), "documents": documents}
    return {"finance": {"result": [result], "error": None}}


class PayloadSearch:
    """A name source without HTTP: the double's search answers (:func:`search_answer`)
    parsed by YahooSource's own parser, for tests that need names but not yfinance (the
    question corpus). ``queries`` records what was asked; ``down`` makes every search fail
    as Yahoo's does when it is unreachable."""

    name = "payload-search"

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.down = False

    def search(self, query: str, limit: int = 10, timeout: float | None = None) -> list[Listing]:
        self.queries.append(query)
        if self.down:
            raise SourceError("Yahoo search failed: ConnectionError")
        quotes = search_answer(query).get("quotes") or []
        found = [listing_from_quote(q) for q in quotes if isinstance(q, dict)]
        return [listing for listing in found if listing is not None][:limit]
