"""The words the interpreter knows: basket nicknames, intent cues, modifiers and filler.

Everything here is data, so adding a phrasing is adding a line. Phrases are matched on the
normalised text (lower case, American spelling, single spaces), longest first.
"""

from __future__ import annotations

#: Everyday names of the preset baskets -> the preset.
PRESET_ALIASES: dict[str, str] = {
    "china tech titans": "china-titans",
    "chinese tech titans": "china-titans",
    "china titans": "china-titans",
    "chinese titans": "china-titans",
    "china-titans": "china-titans",
    "chinatitans": "china-titans",
    "china tech giants": "china-titans",
    "chinese tech giants": "china-titans",
    "chinese tech": "china-titans",
    "china tech": "china-titans",
    "tech titans": "china-titans",
    "titans": "china-titans",
    "seven titans": "china-titans",
    "7 titans": "china-titans",
    "magnificent seven": "mag7",
    "magnificent 7": "mag7",
    "magnificent": "mag7",
    "mag seven": "mag7",
    "mag 7": "mag7",
    "mag7": "mag7",
    "mag-7": "mag7",
    "mag": "mag7",
    "mags": "mag7",
}

#: British -> American (and other spellings), applied word by word before matching.
SPELLING: dict[str, str] = {
    "analyse": "analyze",
    "analysed": "analyzed",
    "favourite": "favorite",
    "colour": "color",
    "behaviour": "behavior",
    "valuations": "valuation",
    "valued": "valuation",
    "valuing": "valuation",
    "charts": "chart",
    "charted": "chart",
    "graphs": "graph",
    "plots": "plot",
    "plotted": "plot",
    "returns": "return",
    "returned": "return",
    "performed": "perform",
    "performing": "perform",
    "performs": "perform",
    "dollar": "dollars",
    "usd": "usd",
    "us$": "usd",
    "multiples": "multiple",
    "dividend": "dividends",
    "versus": "vs",
    "vs.": "vs",
    "v": "vs",
    "v.": "vs",
    "against": "vs",
    "agaisnt": "vs",
    "beaten": "beat",
    "beating": "beat",
    "beats": "beat",
    "outperformed": "outperform",
    "outperforming": "outperform",
    "outperforms": "outperform",
    "underperformed": "underperform",
    "underperforming": "underperform",
    "pricier": "expensive",
    "dearer": "expensive",
    "cheaper": "cheap",
    "cheapest": "cheap",
    "mth": "month",
    "mths": "months",
    "mo": "month",
    "mos": "months",
    "yr": "year",
    "yrs": "years",
    "wk": "week",
    "wks": "weeks",
    "seven": "7",
    "twelve": "12",
    "six": "6",
    "three": "3",
    "five": "5",
    "one": "1",
    "two": "2",
    "ten": "10",
    "half-year": "6 months",
    "fortnight": "2 weeks",
    "till": "until",
    "thru": "through",
    "percent": "percent",
}

#: Multi-word phrases rewritten to one cue token before anything else.
#: The cue tokens (``@name``) cannot be typed, since ``@`` is refused in questions.
PHRASES: dict[str, str] = {
    # comparison
    "compared with": "@vs",
    "compared to": "@vs",
    "comparing": "@vs",
    "compare": "@vs",
    "relative to": "@vs",
    "next to": "@vs",
    "better than": "@vs",
    "worse than": "@vs",
    "more than": "@vs",
    "less than": "@vs",
    "vs": "@vs",
    "beat": "@vs",
    "outperform": "@vs",
    "underperform": "@vs",
    "lag": "@vs",
    "trail": "@vs",
    "than": "@vs",
    "did better": "@vs",
    "better": "@vs",
    "worse": "@vs",
    "ahead of": "@vs",
    "or": "@or",
    # valuation
    "price to earnings": "@valuation",
    "price-to-earnings": "@valuation",
    "price earnings": "@valuation",
    "p/e": "@valuation",
    "p/es": "@valuation",
    "pe ratio": "@valuation",
    "pe ratios": "@valuation",
    "pe": "@valuation",
    "p e": "@valuation",
    "forward earnings": "@valuation",
    "earnings multiple": "@valuation",
    "multiple": "@valuation",
    "valuation": "@valuation",
    "cheap": "@valuation",
    "expensive": "@valuation",
    "overvalued": "@valuation",
    "undervalued": "@valuation",
    "ev/ebitda": "@valuation",
    "price to book": "@valuation",
    "price to sales": "@valuation",
    # market value
    "market value added": "@marketcap",
    "market value lost": "@marketcap",
    "market value": "@marketcap",
    "market cap": "@marketcap",
    "market capitalization": "@marketcap",
    "market capitalisation": "@marketcap",
    "marketcap": "@marketcap",
    "mkt cap": "@marketcap",
    "how much value": "@marketcap",
    "value added": "@marketcap",
    "value did": "@marketcap",
    "wiped off": "@marketcap",
    "wiped out": "@marketcap",
    "added in value": "@marketcap",
    # levels
    "all-time high": "@levels",
    "all time high": "@levels",
    "all-time highs": "@levels",
    "record high": "@levels",
    "highest since": "@levels",
    "lowest since": "@levels",
    "highest level since": "@levels",
    "highest close since": "@levels",
    "high since": "@levels",
    "at its highest": "@levels",
    "at its high": "@levels",
    "at a high": "@levels",
    "below its peak": "@levels",
    "below the peak": "@levels",
    "below peak": "@levels",
    "off its peak": "@levels",
    "off its high": "@levels",
    "off the high": "@levels",
    "off the highs": "@levels",
    "off its highs": "@levels",
    "from its peak": "@levels",
    "from its high": "@levels",
    "from the peak": "@levels",
    "its peak": "@levels",
    "peak": "@levels",
    "52-week": "@levels",
    "52 week": "@levels",
    "52wk": "@levels",
    "52w": "@levels",
    "year high": "@levels",
    "year low": "@levels",
    "drawdown": "@drawdown",
    "draw down": "@drawdown",
    "drawdowns": "@drawdown",
    "ath": "@levels",
    "highest": "@levels",
    "lowest": "@levels",
    "record": "@levels",
    # quote
    "share price": "@quote",
    "stock price": "@quote",
    "price of": "@quote",
    "price for": "@quote",
    "trading at": "@quote",
    "trade at": "@quote",
    "quote": "@quote",
    "last close": "@quote",
    "last price": "@quote",
    "closing price": "@quote",
    "current price": "@quote",
    "how much is": "@quote",
    "how much does": "@quote",
    "what is the price": "@quote",
    "price": "@quote",
    "trading": "@quote",
    "levels": "@levels",
    "level": "@levels",
    # chart
    "show me": "@show",
    "chart": "@chart",
    "plot": "@chart",
    "graph": "@chart",
    "draw": "@show",
    "visualize": "@chart",
    "visualise": "@chart",
    "picture": "@chart",
    # returns
    "how did": "@returns",
    "how has": "@returns",
    "how have": "@returns",
    "how is": "@returns",
    "how are": "@returns",
    "how was": "@returns",
    "how were": "@returns",
    "how much did": "@returns",
    "how much has": "@returns",
    "how much have": "@returns",
    "performance": "@returns",
    "perform": "@returns",
    "return": "@returns",
    "gain": "@returns",
    "gains": "@returns",
    "gained": "@returns",
    "lost": "@returns",
    "fall": "@returns",
    "fell": "@returns",
    "rise": "@returns",
    "rose": "@returns",
    "rally": "@returns",
    "rallied": "@returns",
    "move": "@returns",
    "moved": "@returns",
    "change": "@returns",
    "changed": "@returns",
    "up": "@returns",
    "down": "@returns",
    "doing": "@returns",
    "do": "@returns",
    "did": "@returns",
    # modifiers
    "including dividends": "@total",
    "including dividends?": "@total",
    "with dividends": "@total",
    "dividends included": "@total",
    "dividends reinvested": "@total",
    "with dividends reinvested": "@total",
    "reinvesting dividends": "@total",
    "total return": "@total",
    "total returns": "@total",
    "total-return": "@total",
    "price return": "@price",
    "price only": "@price",
    "excluding dividends": "@price",
    "without dividends": "@price",
    "in us dollars": "@usd",
    "in us dollar": "@usd",
    "in dollars": "@usd",
    "in dollar terms": "@usd",
    "in usd terms": "@usd",
    "in usd": "@usd",
    "usd": "@usd",
    "us dollars": "@usd",
    "dollars": "@usd",
    "in local currency": "@local",
    "in local currencies": "@local",
    "local currency": "@local",
    "dark mode": "@dark",
    "dark theme": "@dark",
    "light mode": "@light",
    "light theme": "@light",
    "rebased": "@rebased",
    "price chart": "@pricechart",
    "price history": "@pricechart",
}

#: Words that carry no meaning for the interpreter (question words, articles, chat).
FILLER: frozenset[str] = frozenset(
    """
    a an the of and or in on at to for from with by over during across this that these those it
    its their them they is are was were be been being has have had do does did done doing
    how what whats what's which who when where why whether if so as about into than then
    me my i we our us you your please pls plz thanks thank hey hi hello ok okay yo
    can could would will shall should tell show give let know see look check get got
    stock stocks share shares company companies basket baskets group index names
    much many far well badly good bad fare fared go gone going went
    doing done overall vs compare been since between until through as of
    just only really actually exactly roughly about around so far
    versus quick quickly again also too now currently today right
    performance percent percentage terms term figure figures numbers number
    both each all every one ones them those
    bot marketbot there here range high low highs lows forward trailing reinvested
    last past previous year years month months week weeks day days since ago
    add added adding lose losing create created wipe wiped erase erased make made
    lol lmao haha btw bro guys folks mate yeah yes no
    beginning start end near close off who won win winner fallen risen
    s 's ?
    """.split()
)

#: Words that mean a question is not one the bot answers: trading, advice, forecasts.
REFUSE_TRADE: frozenset[str] = frozenset(
    "buy sell short shorting buying selling purchase order orders invest "
    "investing recommend recommendation advice advise predict prediction forecast forecasts "
    "target tomorrow tip tips should".split()
)

#: Uppercase words that are not tickers when written in capitals.
NOT_TICKERS: frozenset[str] = frozenset(
    "I A US USA UK USD HKD CNY EUR GBP YTD PE P/E ETF ETFS HK CEO AI ATH EV EBITDA TTM OK LOL "
    "GDP IPO MTD YOY QOQ FY Q1 Q2 Q3 Q4 EPS VS AND OR THE IS IT OF IN ON TO ME MY DO DID HOW "
    "WHAT WHY NOW TODAY".split()
)

#: What a refusal says the bot can answer, with three example questions.
EXAMPLES = (
    "how did the titans do vs the mag 7 this year?",
    "chart AAPL, MSFT and NVDA over the past 6 months",
    "is 0700.HK at its highest since 2021?",
)
