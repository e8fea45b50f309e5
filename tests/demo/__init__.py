"""`make demo`: the real bot (`python main.py`) against the offline world of the tests (tests/fakes: Telegram,
TikTok, Instagram, their CDNs and the proxy), one scripted user walking through the main journeys, printed as
a transcript; what the bot sent is written to demo-output/."""
