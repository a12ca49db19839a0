"""The words the listeners' pages are written in: interface words and month names by language.

Plain tables (English for any language they lack); the renderer picks by the show's language.
"""

from __future__ import annotations

# Interface words by language (the show's primary subtag); English for any other language.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "episodes": "Episodes", "subscribe": "Subscribe", "rss": "RSS feed",
        "rss_hint": "Paste this address into your podcast app:",
        "download": "Download MP3", "chapters": "Chapters", "transcript": "Transcript",
        "transcript_file": "Transcript file", "all_episodes": "All episodes",
        "cover": "Cover art", "waveform": "Waveform of", "open_quote": "“", "close_quote": "”",
        "no_script": "Chapter links open the MP3 at that moment.",
        "player": "Player", "no_episodes": "No episodes yet.",
        "megabytes": "MB", "soundbites": "Soundbites", "soundbite": "Soundbite", "kilobytes": "KB",
        "download_clip": "Download the clip", "listen_from_here": "Listen in the episode",
        "station": "Station", "listen": "Listen",
    },
    "ru": {
        "episodes": "Выпуски", "subscribe": "Подписаться", "rss": "RSS-лента",
        "rss_hint": "Вставьте этот адрес в приложение для подкастов:",
        "download": "Скачать MP3", "chapters": "Главы", "transcript": "Расшифровка",
        "transcript_file": "Файл расшифровки", "all_episodes": "Все выпуски",
        "cover": "Обложка", "waveform": "Звуковая волна выпуска", "open_quote": "«",
        "close_quote": "»", "no_script": "Ссылки на главы открывают MP3 с этого места.",
        "player": "Плеер", "no_episodes": "Выпусков пока нет.",
        "megabytes": "МБ", "soundbites": "Фрагменты", "soundbite": "Фрагмент", "kilobytes": "КБ",
        "download_clip": "Скачать фрагмент", "listen_from_here": "Слушать в выпуске с этого места",
        "station": "Радиостанция", "listen": "Слушать",
    },
}  # fmt: skip
# The station page's own words (kept apart from WORDS, which the show pages use).
STATION_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "programmes": "Programmes", "episode_count": "Episodes", "latest": "Latest",
        "rss": "RSS feed", "feed_address": "Feed address of", "all_feeds": "All feeds (OPML)",
        "cover": "Cover art", "no_episodes": "No episodes yet.",
    },
    "ru": {
        "programmes": "Программы", "episode_count": "Выпусков", "latest": "Последний",
        "rss": "RSS-лента", "feed_address": "Адрес ленты программы",
        "all_feeds": "Все ленты (OPML)", "cover": "Обложка", "no_episodes": "Выпусков пока нет.",
    },
}  # fmt: skip
MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
           "сентября", "октября", "ноября", "декабря"),  # genitive: «5 марта 2025»
}  # fmt: skip
