"""The podcast:person roles (the Podcast Taxonomy), their Russian names and page labels.

Pure data and lookups: turns what a producer types ("ведущая", "Co-Host") into the taxonomy's
lower-case role; never reads files. Source: podcastindex-org/podcast-namespace taxonomy.json.
"""

from __future__ import annotations

import re

TAXONOMY_URL = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/taxonomy.json"

# role -> (taxonomy group, Russian label, its plural); in the taxonomy's order. "editor" is in
# two groups (Writing, Video Post-Production): a podcast's editor is the Writing one.
TAXONOMY: dict[str, tuple[str, str, str]] = {
    "director": ("creative direction", "Режиссёр", "Режиссёры"),
    "assistant director": ("creative direction", "Ассистент режиссёра", "Ассистенты режиссёра"),
    "executive producer": (
        "creative direction", "Исполнительный продюсер", "Исполнительные продюсеры"
    ),
    "senior producer": ("creative direction", "Старший продюсер", "Старшие продюсеры"),
    "producer": ("creative direction", "Продюсер", "Продюсеры"),
    "associate producer": (
        "creative direction", "Ассоциированный продюсер", "Ассоциированные продюсеры"
    ),
    "development producer": ("creative direction", "Продюсер по развитию", "Продюсеры по развитию"),
    "creative director": ("creative direction", "Креативный директор", "Креативные директора"),
    "host": ("cast", "Ведущий", "Ведущие"),
    "co-host": ("cast", "Соведущий", "Соведущие"),
    "guest host": ("cast", "Приглашённый ведущий", "Приглашённые ведущие"),
    "guest": ("cast", "Гость", "Гости"),
    "voice actor": ("cast", "Актёр озвучивания", "Актёры озвучивания"),
    "narrator": ("cast", "Рассказчик", "Рассказчики"),
    "announcer": ("cast", "Диктор", "Дикторы"),
    "reporter": ("cast", "Репортёр", "Репортёры"),
    "author": ("writing", "Автор", "Авторы"),
    "editorial director": ("writing", "Главный редактор", "Главные редакторы"),
    "co-writer": ("writing", "Соавтор сценария", "Соавторы сценария"),
    "writer": ("writing", "Сценарист", "Сценаристы"),
    "songwriter": ("writing", "Автор песен", "Авторы песен"),
    "guest writer": ("writing", "Приглашённый сценарист", "Приглашённые сценаристы"),
    "story editor": ("writing", "Редактор сюжета", "Редакторы сюжета"),
    "managing editor": ("writing", "Выпускающий редактор", "Выпускающие редакторы"),
    "script editor": ("writing", "Редактор сценария", "Редакторы сценария"),
    "script coordinator": ("writing", "Координатор сценария", "Координаторы сценария"),
    "researcher": ("writing", "Исследователь", "Исследователи"),
    "editor": ("writing", "Редактор", "Редакторы"),
    "fact checker": ("writing", "Фактчекер", "Фактчекеры"),
    "translator": ("writing", "Переводчик", "Переводчики"),
    "transcriber": ("writing", "Расшифровщик", "Расшифровщики"),
    "logger": ("writing", "Хронометрист", "Хронометристы"),
    "studio coordinator": ("audio production", "Координатор студии", "Координаторы студии"),
    "technical director": ("audio production", "Технический директор", "Технические директора"),
    "technical manager": ("audio production", "Технический менеджер", "Технические менеджеры"),
    "audio engineer": ("audio production", "Звукорежиссёр", "Звукорежиссёры"),
    "remote recording engineer": (
        "audio production", "Звукорежиссёр удалённой записи", "Звукорежиссёры удалённой записи"
    ),
    "post production engineer": (
        "audio production", "Звукорежиссёр постпродакшна", "Звукорежиссёры постпродакшна"
    ),
    "audio editor": ("audio post-production", "Монтажёр звука", "Монтажёры звука"),
    "sound designer": ("audio post-production", "Саунд-дизайнер", "Саунд-дизайнеры"),
    "foley artist": ("audio post-production", "Шумовик", "Шумовики"),
    "composer": ("audio post-production", "Композитор", "Композиторы"),
    "theme music": ("audio post-production", "Музыкальная тема", "Музыкальные темы"),
    "music production": ("audio post-production", "Музыкальный продюсер", "Музыкальные продюсеры"),
    "music contributor": ("audio post-production", "Автор музыки", "Авторы музыки"),
    "production coordinator": (
        "administration", "Координатор производства", "Координаторы производства"
    ),
    "booking coordinator": ("administration", "Букер", "Букеры"),
    "production assistant": ("administration", "Ассистент продюсера", "Ассистенты продюсера"),
    "content manager": ("administration", "Контент-менеджер", "Контент-менеджеры"),
    "marketing manager": ("administration", "Менеджер по маркетингу", "Менеджеры по маркетингу"),
    "sales representative": ("administration", "Менеджер по продажам", "Менеджеры по продажам"),
    "sales manager": ("administration", "Руководитель продаж", "Руководители продаж"),
    "graphic designer": ("visuals", "Графический дизайнер", "Графические дизайнеры"),
    "cover art designer": ("visuals", "Автор обложки", "Авторы обложки"),
    "social media manager": ("community", "SMM-менеджер", "SMM-менеджеры"),
    "consultant": ("misc.", "Консультант", "Консультанты"),
    "intern": ("misc.", "Стажёр", "Стажёры"),
    "camera operator": ("video production", "Оператор", "Операторы"),
    "lighting designer": ("video production", "Художник по свету", "Художники по свету"),
    "camera grip": ("video production", "Грип", "Грипы"),
    "assistant camera": ("video production", "Ассистент оператора", "Ассистенты оператора"),
    "assistant editor": ("video post-production", "Ассистент монтажёра", "Ассистенты монтажёра"),
}  # fmt: skip

# Russian names producers type besides the labels above: feminine forms and newsroom usage.
RUSSIAN: dict[str, str] = {
    "ведущая": "host",
    "соведущая": "co-host",
    "приглашённая ведущая": "guest host",
    "гостья": "guest",
    "корреспондент": "reporter",
    "корреспондентка": "reporter",
    "репортёрка": "reporter",
    "журналист": "reporter",
    "журналистка": "reporter",
    "редакторка": "editor",
    "авторка": "author",
    "звукоинженер": "audio engineer",
    "звукооператор": "audio engineer",
    "монтажёр": "audio editor",
    "монтажёрка": "audio editor",
    "звуковой дизайнер": "sound designer",
    "рассказчица": "narrator",
    "переводчица": "translator",
    "расшифровщица": "transcriber",
    "режиссёр звука": "audio engineer",
    "стажёрка": "intern",
}

# What an unknown role's message offers: the roles a news programme uses most.
COMMON = ("host", "co-host", "guest", "reporter", "producer", "editor", "audio engineer")
COMMON_RUSSIAN = ("ведущий", "гость", "репортёр", "продюсер", "редактор", "звукорежиссёр")

_SAME_PLURAL = frozenset({"theme music", "music production"})  # English has no plural of them


def _english(role: str) -> tuple[str, str]:
    label = role[0].upper() + role[1:]
    return label, label if role in _SAME_PLURAL else label + "s"


# Page labels by language: role -> (singular, plural). English follows the taxonomy's names.
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {role: _english(role) for role in TAXONOMY},
    "ru": {role: (singular, plural) for role, (_, singular, plural) in TAXONOMY.items()},
}

_SPACES_RE = re.compile(r"[\s_]+")


def _key(text: str) -> str:
    """Fold case, ё and spacing, so "Звукорежиссер" finds "звукорежиссёр"."""
    return _SPACES_RE.sub(" ", text.strip().casefold().replace("ё", "е"))


_LOOKUP: dict[str, str] = {
    **{_key(role): role for role in TAXONOMY},
    **{_key(singular): role for role, (_, singular, _) in TAXONOMY.items()},
    **{_key(name): role for name, role in RUSSIAN.items()},
}


def find_role(text: str) -> str | None:
    """Return the taxonomy role a producer's word names (English or Russian), or None."""
    return _LOOKUP.get(_key(text))


def split_person(text: str) -> tuple[str, str, str | None]:
    """Split "Name[:role]" into the name, the role as typed and the role it names (or None)."""
    name, sep, typed = text.rpartition(":") if ":" in text else (text, "", "")
    typed = typed.strip()
    return name.strip(), typed, find_role(typed) if sep else "host"


def group_of(role: str) -> str | None:
    """Return the taxonomy group of a role (podcast:person group), or None if it is not one."""
    entry = TAXONOMY.get(role)
    return entry[0] if entry else None


def unknown_role_message(role: str) -> str:
    """Say that `role` is none of the taxonomy's and list the common ones."""
    return (
        f"{role!r} is not a podcast role; use {', '.join(COMMON)} "
        f"(or {', '.join(COMMON_RUSSIAN)}, ...)"
    )
