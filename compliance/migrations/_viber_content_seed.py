# R-VIB-10 (T 4.11.2.7, 4.11.2.12, 4.11.2.15): rules for Viber texts only, frozen here (staff edit
# them in admin afterwards). "Акція" alone is a sale, so gatherings are refused only with words that
# make the gathering plain (a rally, a square, a call to come out and protest).
C = r"[^.!?\n]{0,80}"  # within one sentence
CALL = r"(?:приходьте|приходь|приходимо|приєднуйтес[ья]|долучайтес[ья]|виходьте|вийдіть|виходимо|вийдемо|приходите|присоединяйтесь|выходите|выйдите|выходим|come|join|take)"
PLACE = (r"(?:на площ|на майдан|площад|на вулиці міста|на улицы|під стін|под стен|біля (?:міськради|ради|мерії|адміністрац)"
         r"|у возле (?:мэрии|администрац)|біля будівлі|у центрі міста|в центре города|city hall|town square|to the streets|the square)")
WHAT = (r"(?:мітинг|митинг|протест|пікет|пикет|демонстрац|маніфестац|манифестац|страйк|забастовк|марш\b|ход[уі] "
        r"|rall(?:y|ies)|protest|demonstration|march\b|акці[юяї] протесту|акци[юяи] протеста|збори громади|сход\b|віче)")
RULES = [
    ("viber_gatherings", "regex", "uk,ru,en", "Calls for gatherings (a rally, a protest, come out to the square)", [
        r"\b(?:мітинг|митинг|пікет|пикет|маніфестац|манифестац)\w*",
        r"\b(?:rall(?:y|ies)|protest(?:s|ers)?|demonstration)\b" + C + r"\b(?:join|come|at|near|square|tomorrow|today|on)\b",
        r"\b" + CALL + r"\w*\b" + C + WHAT,
        r"\b" + CALL + r"\w*\b" + C + PLACE,
        r"\b(?:протест|акці|акци|демонстрац|збор|сбор|страйк|забастовк|gathering|march)\w*" + C + PLACE,
        r"\b(?:збираємо?ся|собираемся|gather)\b" + C + r"(?:біля|возле|під |под |на площ|на майдан|площад|о \d|в \d|at \d|всі|усі|все\b|разом|вместе|together|everyone)",
        r"\b(?:приходьте|приходите) (?:всі|усі|все)\b" + C + r"(?:мітинг|митинг|протест|площ|майдан|підтрим|поддерж|проти\b|против\b|вимага|требова)",
        r"\bвсі на (?:мітинг|протест|площ|майдан|вулиці)|\bвсе на (?:митинг|протест|площад|майдан|улицы)|\beveryone to the (?:streets|square|rally)",
    ]),
    ("viber_war_propaganda", "word_start", "uk,ru,en", "Nazi symbols and slogans", [
        "нацист", "nazi", "фашист", "fascis", "свастик", "swastika", "зіг хайль", "зиг хайль", "sieg heil",
        "heil hitler", "хайль гітлер", "хайль гитлер", "гітлер", "гитлер", "hitler", "white power",
        "вольфсангель", "wolfsangel", "ку-клукс", "ku klux"]),
    ("viber_war_propaganda", "whole_word", "uk,ru,en", "War propaganda and calls to war", [
        "слава росії", "слава россии", "слава русскому оружию", "россия превыше всего", "русский мир",
        "руській мір", "русскій мір", "zov", "зов", "zа победу", "за победу над украиной", "своих не бросаем",
        "можем повторить", "можемо повторити", "спецоперація", "спецоперация", "спецоперацию", "денацифікація",
        "денацификация", "денацификацию", "сво", "за путина", "за путіна", "смерть ворогам", "смерть врагам",
        "вбивайте", "убивайте", "ядерний удар", "ядерный удар", "war now", "go to war", "kill them all"]),
    ("viber_war_propaganda", "regex", "uk,ru,en", "Z and V symbolics inside words (Zа наших, поVедим)", [
        r"(?<![a-z])[zv](?=[а-яёіїєґ])|(?<=[а-яёіїєґ])[zv](?![a-z])",
    ]),
    ("viber_sponsorship", "whole_word", "uk,ru,en", "Viber named as sponsor or initiator", [
        "viber дарує", "вайбер дарує", "viber дарит", "вайбер дарит", "від viber", "від вайбер", "від вайбера",
        "от viber", "от вайбер", "от вайбера", "спонсор viber", "спонсор вайбер", "спонсором viber", "спонсор — viber",
        "спонсор - viber", "viber спонсор", "viber спонсорує", "viber спонсирует", "за підтримки viber",
        "за підтримки вайбер", "при поддержке viber", "при поддержке вайбер", "viber запрошує", "вайбер запрошує",
        "viber приглашает", "вайбер приглашает", "viber організовує", "viber организует", "viber представляє",
        "viber представляет", "подарунок від viber", "подарок от viber", "sponsored by viber", "viber sponsors",
        "viber sponsor", "viber invites", "viber presents", "viber gives", "gift from viber", "in partnership with viber",
        "powered by viber", "organized by viber", "organised by viber", "акція від viber", "акция от viber"]),
]


def seed(apps, schema_editor):
    ContentRule = apps.get_model("compliance", "ContentRule")
    ContentRule.objects.bulk_create(
        ContentRule(category=c, action="refuse", match_mode=m, languages=lang, name=n, patterns="\n".join(p),
                    notes="R-VIB-10 (T 4.11.2.7, 4.11.2.12, 4.11.2.15): Viber texts only.")
        for c, m, lang, n, p in RULES)


def unseed(apps, schema_editor):
    apps.get_model("compliance", "ContentRule").objects.filter(
        category__in=["viber_gatherings", "viber_war_propaganda", "viber_sponsorship"]).delete()
