"""Content screening: texts screened per second on one core (compliance.screening), over N
distinct personalized texts (names, order numbers, amounts, dates; about one in twenty carries a
prohibited word, an obfuscated one, an operator's name or a link).

Setup (untimed): the engine compiled from the seeded rules (`content_engine_get`), the texts
generated. Timed: `Engine.screen` of every text, as a bulk send would call it once its `Versions`
were read (no query per text); reported with the verdict counts, and separately the
normalization alone (the floor: every text is read once whatever the rules).

Runs in `bench/run.py`'s harness (`run(ctx, n, profile)`), or alone on a migrated database:
    DATABASE_URL=postgres://… DEBUG=true .venv/bin/python -m bench.b_screen [N]
"""
from __future__ import annotations

import random
import sys
import time

TARGET_RATE = 30000.0

_NAMES = ["Олена", "Андрій", "Ірина", "Максим", "Наталія", "Сергій", "Оксана", "Дмитро", "Юлія", "Віктор",
          "Анна", "Alex", "Maria", "Ольга", "Павло", "Тетяна", "Богдан", "Світлана", "Роман", "Катерина"]
_TEMPLATES = [
    "{name}, ваше замовлення №{n} готове до видачі. Сума {amount} грн. Відділення №{k}.",
    "{name}, нагадуємо про запис {date} о {hour}:00. Перенести: 0671234567",
    "Код підтвердження: {code}. Нікому не повідомляйте його, {name}.",
    "{name}, знижка {k}% на весь асортимент до {date}! Магазин Квітковий Рай, тел. 0441234567",
    "Уважаемый {name}, ваш заказ {n} передан курьеру. Ожидайте {date}.",
    "Dear {name}, your parcel {n} is out for delivery. Track: shop.com.ua/t/{code}",
    "{name}, дякуємо за покупку на {amount} грн! Нараховано {k} бонусів.",
    "Оплату {amount} грн за договором {n} отримано. Дякуємо, {name}!",
]
_BAD = [
    "{name}, найкраще kaзино чекає: бонус {k}%",
    "{name}, Kyivstаr дарує {k} ГБ",
    "c.a.s.i.n.o для {name}: {amount} фріспінів",
    "{name}, деталі тут bit.ly/{code}",
    "Кредит {amount} грн для {name} за 5 хвилин",
]


def texts(n: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        template = rnd.choice(_BAD) if i % 20 == 19 else rnd.choice(_TEMPLATES)
        out.append(template.format(name=rnd.choice(_NAMES), n=100000 + i, amount=rnd.randint(10, 99999),
                                   k=rnd.randint(1, 99), code=rnd.randint(1000, 999999),
                                   date=f"{rnd.randint(1, 28):02d}.{rnd.randint(1, 12):02d}", hour=rnd.randint(9, 19)))
    return out


def measure(n: int) -> dict:
    from compliance.content import content_engine_get
    from compliance.screening import haystack

    engine = content_engine_get()
    corpus = texts(n)
    t0 = time.perf_counter()
    for t in corpus:
        haystack(t)
    normalize_s = time.perf_counter() - t0
    counts: dict[str, int] = {}
    t0 = time.perf_counter()
    for t in corpus:
        v = engine.screen(t, message_type="service")
        counts[v.outcome] = counts.get(v.outcome, 0) + 1
    screen_s = time.perf_counter() - t0
    return {"n": n, "screen_rate": n / screen_s, "normalize_rate": n / normalize_s, "counts": counts,
            "avg_len": sum(map(len, corpus)) / n}


def run(ctx, n: int, profile: bool = False) -> dict:
    from .report import figure

    m = measure(n)
    rate = m["screen_rate"]
    print(f"screened {n:,} texts (avg {m['avg_len']:.0f} chars): {rate:,.0f} texts/s; normalization alone "
          f"{m['normalize_rate']:,.0f}/s; verdicts {m['counts']}")
    return {"name": "screen", "n": n, "figures": [
        figure(name="content screening", value=rate, unit="texts/s", target=f">= {TARGET_RATE:,.0f}/s",
               passed=rate >= TARGET_RATE, note=f"verdicts {m['counts']}"),
        figure(name="normalization alone", value=m["normalize_rate"], unit="texts/s"),
    ]}


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsportal.settings")
    django.setup()
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    result = measure(size)
    print(f"content screening: {result['screen_rate']:,.0f} texts/s over {size:,} distinct texts "
          f"(avg {result['avg_len']:.0f} chars, one core); normalization alone {result['normalize_rate']:,.0f}/s; "
          f"verdicts {result['counts']}")
