"""The seeded screening rules of migration 0002_content_rules (frozen here: later edits are made by
staff in admin). Stems use word-start matching; words that are also ordinary words or start
ordinary words (ставка, пиво, бад, сук… vs сукня, героїн vs героїня, займ vs займатися) are
whole-word only, and ordinary words a stem would catch are on the allow-list."""

WS, WW, ANY = "word_start", "whole_word", "anywhere"
REFUSE, REVIEW = "refuse", "review"
ALL = "uk,ru,en"

RULES = [
    # ---- R-CMP-01: refused -------------------------------------------------------------------
    ("gambling", REFUSE, WS, ALL, "Casinos, betting, slots", [
        "казино", "casino", "kazino", "букмекер", "bookmaker", "джекпот", "jackpot", "рулетк", "roulette",
        "покер", "poker", "фріспін", "фриспин", "freespin", "free spins", "азартн", "gambling", "1xbet",
        "parimatch", "парі матч", "пари матч", "favbet", "pin-up", "pinup", "слот-машин", "slot machine",
        "ігрові автомати", "игровые автоматы", "betting"]),
    ("gambling", REFUSE, WW, ALL, "Betting phrases (ставка alone is an interest rate)", [
        "ставки на спорт", "ставки на футбол", "зроби ставку", "зробіть ставку", "сделай ставку",
        "сделайте ставку", "place your bet", "bet now", "слоти", "слоты", "slots"]),
    ("alcohol", REFUSE, ANY, ALL, "Alcohol (inside words too: слабоалкогольні)", ["алкогол", "alcohol"]),
    ("alcohol", REFUSE, WS, ALL, "Alcoholic drinks", [
        "горілк", "водк", "vodka", "коньяк", "cognac", "лікер", "ликер", "шампанськ", "шампанск",
        "champagne", "текіл", "текил", "tequila", "whiskey", "whisky", "brandy"]),
    ("alcohol", REFUSE, WW, ALL, "Drinks that are also ordinary words", [
        "пиво", "пива", "пивом", "пиві", "beer", "віскі", "wine", "вино", "вина на розлив", "ром", "рому"]),
    ("tobacco", REFUSE, WS, ALL, "Tobacco, e-cigarettes", [
        "тютюн", "табак", "табач", "tobacco", "сигарет", "сигар", "cigarette", "cigar", "вейп", "vape",
        "кальян", "hookah", "iqos", "нікотин", "никотин", "nicotine", "снюс", "snus",
        "електронні сигарети", "электронные сигареты", "pod-систем", "pod систем"]),
    ("drugs", REFUSE, WS, ALL, "Drugs", [
        "наркот", "narcotic", "марихуан", "marijuana", "канабіс", "каннабис", "cannabis", "кокаїн", "кокаин",
        "cocaine", "амфетамін", "амфетамин", "amphetamine", "мефедрон", "mephedrone", "метадон", "methadone",
        "екстазі", "экстази", "ecstasy", "гашиш", "hashish", "psilocyb", "псилоцибін", "псилоцибин"]),
    ("drugs", REFUSE, WW, ALL, "Drugs whose names start ordinary words", [
        "героїн", "героїну", "героин", "героина", "heroin", "mdma", "лсд", "lsd", "спайс", "спайси", "травка",
        "закладки наркотиків"]),
    ("weapons", REFUSE, WS, ALL, "Weapons", [
        "оружи", "оружие", "пістолет", "пистолет", "pistol", "weapon", "рушниц", "ружь", "ружья",
        "вибухівк", "взрывчатк", "explosive", "гвинтівк", "винтовк", "rifle", "глушник для зброї", "кастет"]),
    ("weapons", REFUSE, WW, ALL, "Weapon words", [
        "зброя", "зброї", "зброю", "зброєю", "gun", "guns", "набої", "патрони до", "патроны к"]),
    ("crypto", REFUSE, WS, ALL, "Crypto and currency markets", [
        "криптовал", "cryptocurrenc", "bitcoin", "біткоїн", "біткойн", "биткоин", "биткойн", "ethereum",
        "форекс", "forex", "бінарні опціони", "бинарные опционы", "binary option", "airdrop", "криптобірж",
        "криптобирж"]),
    ("crypto", REFUSE, WW, ALL, "Crypto words", ["crypto", "крипта", "крипту", "usdt", "btc", "nft"]),
    ("esoteric", REFUSE, WS, ALL, "Fortune-telling, numerology, healing", [
        "ворожінн", "ворожб", "ворожк", "гадалк", "гадание", "гадання", "tarot", "нумеролог", "numerolog", "астролог",
        "astrolog", "гороскоп", "horoscope", "екстрасенс", "экстрасенс", "psychic", "приворот", "цілител",
        "целител", "healer", "хіромант", "хиромант", "зняття порчі", "снятие порчи", "знахар", "ясновид"]),
    ("esoteric", REFUSE, WW, ALL, "Esoteric words that are also other words", [
        "таро", "магія", "магия", "магії", "порча", "порчу"]),
    ("adult", REFUSE, WS, ALL, "Erotic or pornographic", [
        "порно", "porn", "секс", "ерот", "эрот", "erotic", "інтим послуг", "интим услуг", "інтим-послуг",
        "интим-услуг", "escort", "ескорт", "эскорт", "onlyfans", "проститут", "prostitut", "стриптиз", "striptease",
        "вебкам модел", "webcam model"]),
    ("adult", REFUSE, WW, ALL, "Adult words", ["sex", "sexy", "nude", "nudes", "повія", "повії", "повій", "інтим", "интим"]),
    ("politics", REFUSE, WS, ALL, "Political content", [
        "політичн", "политическ", "political", "агітац", "агитац", "кандидат у депутати", "кандидат в депутаты",
        "виборч", "предвыборн", "голосуйте за", "голосуй за", "vote for", "зеленськ", "зеленск", "zelensk",
        "порошенк", "poroshenk", "путін", "путин", "putin", "тимошенк", "tymoshenk"]),
    ("religion", REFUSE, WS, ALL, "Religious content", [
        "молитв", "проповід", "проповед", "sermon", "ісус", "иисус", "jesus", "аллах", "allah",
        "свідки єгови", "свидетели иеговы", "jehovah", "богослужін", "богослужен", "святе письмо",
        "священное писание"]),
    ("religion", REFUSE, WW, ALL, "Religious words", [
        "біблія", "біблії", "біблію", "библия", "библии", "bible", "секта", "секти", "секты", "church",
        "церква", "церкви", "церковь", "бог", "бога", "богу"]),
    ("obscene", REFUSE, WS, "uk,ru", "Obscene language", [
        "хуй", "хуя", "пизд", "єбан", "ебан", "заєб", "заеб", "уєб", "уеб", "наєб", "наеб",
        "блядь", "бляді", "блядин", "мудак", "мудил", "підар", "пидар", "підор", "пидор", "pidor",
        "гандон", "залуп", "дрочи", "сучар", "шлюх", "єбать", "ебать", "ебал"]),
    ("obscene", REFUSE, WS, "en", "Obscene language", ["fuck", "motherfuck"]),
    ("obscene", REFUSE, WW, ALL, "Obscene words that start ordinary words", [
        "бля", "блять", "сука", "суки", "сучка", "shit", "bullshit", "bitch", "asshole", "cunt", "dick"]),
    ("threats", REFUSE, WW, ALL, "Threats", [
        "вбю", "убью", "вб'ю тебе", "вбити тебе", "убить тебя", "kill you", "i will kill", "підірву", "взорву",
        "ми знаємо де ти живеш", "мы знаем где ты живешь", "we know where you live", "ти пошкодуєш",
        "ты пожалеешь", "you will regret", "закладена бомба", "заложена бомба"]),
    ("discrimination", REFUSE, WW, ALL, "Slurs", [
        "жид", "жиди", "жидів", "жиды", "хач", "хачі", "хачи", "хохол", "хохли", "хохлы", "кацап", "кацапи",
        "кацапы", "нігер", "ниггер", "nigger", "nigga", "faggot", "retard", "чурка", "чурки"]),
    ("discrimination", REFUSE, WS, ALL, "Discriminating phrases", [
        "тільки для слов'ян", "только для славян", "whites only", "не для ромів", "не для цыган"]),
    ("fraud", REFUSE, WS, ALL, "Fraud and phishing phrases", [
        "ваша карта заблокована", "ваша картка заблокована", "ваша карта заблокирована",
        "your card is blocked", "your card has been blocked", "your account has been suspended",
        "підтвердіть дані картки", "подтвердите данные карты", "verify your card", "введіть cvv",
        "введите cvv", "пін-код картки", "пин-код карты", "компенсація від оон", "выплата от оон",
        "вам нараховано виплату", "вам начислена выплата"]),
    ("fraud", REFUSE, WW, ALL, "Card secrets (cvv alone folds to кв)", ["cvv2", "cvc", "cvc2", "cvv-код", "cvv код"]),
    ("nigerian", REFUSE, WS, ALL, "Advance-fee letters", [
        "nigerian prince", "нігерійськ", "нигерийск", "next of kin", "inheritance fund", "unclaimed fund",
        "мільйон доларів", "миллион долларов", "million dollars", "million usd",
        "спадок від", "наследство от"]),
    ("spam", REFUSE, WS, ALL, "Spam", [
        "легкий заробіток", "легкий заработок", "easy money", "заробіток без вкладень",
        "заработок без вложений", "work from home and earn", "накрутка підписників",
        "накрутка подписчиков", "купити базу номерів", "купить базу номеров", "база номерів",
        "база номеров", "buy followers", "make money fast", "пасивний дохід від", "пассивный доход от"]),
    ("messengers", REFUSE, WS, ALL, "Other messaging providers", [
        "turbosms", "smsclub", "sms club", "esputnik", "alphasms", "smsfly", "epochta", "unisender",
        "letsads", "sms розсилк", "смс розсилк", "sms рассылк", "смс рассылк"]),
    # ---- R-CMP-02 and R-CMP-14: held for staff review -------------------------------------------
    ("lottery", REVIEW, WS, ALL, "Lotteries and contests", [
        "лотере", "lotter", "розіграш", "розыгрыш", "giveaway", "конкурс", "sweepstake", "виграй", "выиграй",
        "вітаємо з перемогою"]),
    ("lottery", REVIEW, WW, ALL, "Prizes", ["приз", "призи", "призів", "призы", "призов", "prize", "prizes",
                                                    "ви виграли", "вы выиграли", "you have won", "you won"]),
    ("finance", REVIEW, WS, ALL, "Financial services", [
        "кредит", "credit", "позик", "loan", "мікрокредит", "микрокредит", "мікропозик", "микрозайм", "іпотек",
        "ипотек", "mortgage", "інвестиц", "инвестиц", "investm", "investor", "investing", "страхуван", "страхован", "insurance",
        "гарантований дохід", "гарантированный доход", "guaranteed return", "облігац", "облигац", "bonds",
        "цінні папери", "ценные бумаги", "securities", "лізинг", "лизинг", "leasing"]),
    ("finance", REVIEW, WW, ALL, "Financial words", ["займ", "заем", "займы", "депозит", "депозиту", "deposit", "invest", "invests", "invested"]),
    ("medicine", REVIEW, WS, ALL, "Medicine and supplements", [
        "лекарств", "таблетк", "біодобавк", "биодобавк", "дієтичн добавк", "supplement", "вітамін",
        "витамин", "vitamin", "аптек", "pharmacy", "medication", "антибіотик", "антибиотик", "antibiotic",
        "схудн", "похуде", "weight loss", "лікуванн", "лечени", "препарат", "самолікуванн", "самолечени"]),
    ("medicine", REVIEW, WW, ALL, "Medicine words", ["ліки", "ліків", "ліками", "бад", "бади", "бадів", "медикаменти",
                                                     "medicine", "pills"]),
    ("organizations", REVIEW, WS, ALL, "Public and political organizations", [
        "громадська організація", "громадської організації", "общественная организация",
        "общественной организации", "благодійн", "благотворит", "charity", "ngo"]),
    ("licensed", REVIEW, WS, ALL, "Licensed goods", [
        "пестицид", "pesticide", "агрохімікат", "агрохимикат", "ветеринарні препарати",
        "ветеринарные препараты", "рецептурн", "prescription", "ювелірні вироби", "ювелирные изделия",
        "мисливськ", "охотничь"]),
    ("minors", REVIEW, WS, ALL, "Minors", [
        "неповнолітн", "несовершеннолетн", "underage", "школяр", "школьник", "schoolchild"]),
    ("personal_data", REVIEW, WS, ALL, "Personal data", [
        "паспортні дані", "паспортные данные", "passport data", "номер паспорта", "серія паспорта",
        "ідентифікаційний код", "идентификационный код", "персональні дані",
        "персональные данные", "personal data", "дата народження", "дата рождения"]),
    ("personal_data", REVIEW, WW, ALL, "Tax numbers", ["рнокпп", "іпн", "ipn"]),
]

BRANDS = [
    # (kind, name, aliases, link tokens, domains)
    ("operator", "Kyivstar", ["Київстар", "Киевстар", "Kievstar", "Kyiv star", "Київ стар"], ["kyivstar", "kievstar"],
     ["kyivstar.ua", "kyivstar.net", "kyivstar.com"]),
    ("operator", "Vodafone Ukraine", ["Vodafone", "Водафон", "Водафоне", "Vodafon", "МТС", "MTS Ukraine", "МТС Україна"],
     ["vodafone"], ["vodafone.ua", "vodafone.com", "mts.ua"]),
    ("operator", "lifecell", ["lifecell", "лайфселл", "лайфсел", "лайф селл", "life cell"], ["lifecell"],
     ["lifecell.ua", "lifecell.com.ua"]),
    ("operator", "Intertelecom", ["Інтертелеком", "Интертелеком"], ["intertelecom"], ["intertelecom.ua"]),
    ("operator", "3Mob", ["ТриМоб", "Тримоб", "3mob"], ["3mob", "trimob"], ["3mob.ua"]),
    ("operator", "Ukrtelecom", ["Укртелеком"], ["ukrtelecom"], ["ukrtelecom.ua"]),
    ("bank", "PrivatBank", ["Приватбанк", "ПриватБанк", "Приват Банк", "Privat Bank", "Приват24", "Privat24"],
     ["privatbank", "privat24", "privat-bank"], ["privatbank.ua", "privat24.ua", "privatbank.com.ua"]),
    ("bank", "monobank", ["монобанк", "моно банк", "mono bank"], ["monobank"], ["monobank.ua", "monobank.com.ua"]),
    ("bank", "Oschadbank", ["Ощадбанк", "Ощад банк", "Oshchadbank", "Ощадбанку"], ["oschadbank", "oshchadbank", "oschad"],
     ["oschadbank.ua", "oschadbank.com.ua"]),
    ("bank", "PUMB", ["ПУМБ"], ["pumb"], ["pumb.ua"]),
    ("bank", "Raiffeisen Bank", ["Райффайзен", "Райффайзен Банк", "Raiffeisen"], ["raiffeisen"], ["raiffeisen.ua"]),
    ("bank", "A-Bank", ["А-Банк", "А Банк", "Abank"], ["abank", "a-bank"], ["a-bank.com.ua"]),
    ("bank", "Sense Bank", ["Сенс Банк", "Сенс банк", "Sensebank"], ["sensebank"], ["sensebank.com.ua"]),
    ("bank", "Ukrgasbank", ["Укргазбанк"], ["ukrgasbank", "ukrgazbank"], ["ukrgasbank.com"]),
    ("bank", "UKRSIBBANK", ["Укрсиббанк", "Укрсиббанк"], ["ukrsibbank"], ["ukrsibbank.com"]),
    ("bank", "OTP Bank", ["ОТП Банк"], ["otpbank"], ["otpbank.com.ua"]),
    ("state", "Diia", ["Дія.Цифрова", "Дія Цифрова", "Дія.Підпис", "єПідтримка", "еПідтримка", "ePidtrymka"],
     ["diia", "epidtrymka", "gov"], ["gov.ua", "diia.gov.ua"]),
    ("state", "State Tax Service", ["Податкова служба", "ДПС України", "Налоговая служба"], [], ["tax.gov.ua"]),
    ("state", "Pension Fund of Ukraine", ["Пенсійний фонд", "Пенсионный фонд", "ПФУ"], ["pfu"], ["pfu.gov.ua", "gov.ua"]),
    ("state", "Ukrposhta", ["Укрпошта", "Укрпочта"], ["ukrposhta", "ukrposhta"], ["ukrposhta.ua"]),
    ("messenger", "Telegram", ["Телеграм", "Телеграмм", "Телеграмі", "Телеграме"], ["telegram"], ["telegram.org", "t.me"]),
    ("messenger", "WhatsApp", ["Ватсап", "Вотсап", "Вацап", "Whats App"], ["whatsapp"], ["whatsapp.com", "wa.me"]),
    ("messenger", "Signal messenger", ["Signal app"], [], ["signal.org"]),
    ("messenger", "Skype", ["Скайп"], ["skype"], ["skype.com"]),
    ("messenger", "Facebook Messenger", ["Messenger app"], [], ["m.me"]),
]

SUSPICIOUS_SUFFIXES = ["zip", "mov", "tk", "ml", "ga", "cf", "gq", "xn--p1ai"]
EXTRA_SHORTENERS = ["cutt.ly", "clck.ru", "u.to", "surl.li", "tiny.cc", "shorturl.at", "rebrand.ly", "is.gd",
                    "bit.do", "t.ly"]

# Ordinary words that a stem above would catch (the collision filter: checked against frequent
# uk/ru/en words by the tests).
ALLOW_WORDS = [
    "сукня", "сукні", "сукню", "сукнях", "мета", "метою", "метро", "метод", "методи", "креслення",
    "сигарний", "гадаю", "ромашка", "interested", "credited", "credits", "бадьорий", "бадьорість",
    # English words that the phonetic key of a Cyrillic pattern spells (бад = bad, хуе = hue)
    "bad", "her", "met", "hue", "hui", "rom", "inn", "bog",
    # frequent words whose key equals a pattern's key in the other view or script (wordfreq top 30,000
    # uk/ru/en through the engine: щит = shit, ведь = weed, вине = wine, нач = хач)
    "щит", "год", "ведь", "бер", "пом", "pom", "нач", "дік", "дик", "putting", "seeks", "secs", "vine", "вине",
    "niger", "preparation", "preparations", "preparatory", "fukushima", "призыв", "wed",
]


def seed(apps, schema_editor):
    ContentRule = apps.get_model("compliance", "ContentRule")
    Brand = apps.get_model("compliance", "Brand")
    LinkDomain = apps.get_model("compliance", "LinkDomain")
    AllowListEntry = apps.get_model("compliance", "AllowListEntry")
    ContentRule.objects.bulk_create(
        ContentRule(category=c, action=a, match_mode=m, languages=lang, name=n, patterns="\n".join(p))
        for c, a, m, lang, n, p in RULES)
    Brand.objects.bulk_create(
        Brand(kind=k, name=n, aliases="\n".join(al), link_tokens="\n".join(t), domains="\n".join(d))
        for k, n, al, t, d in BRANDS)
    LinkDomain.objects.bulk_create([LinkDomain(kind="suspicious_tld", domain=d) for d in SUSPICIOUS_SUFFIXES]
                                   + [LinkDomain(kind="shortener", domain=d) for d in EXTRA_SHORTENERS])
    AllowListEntry.objects.bulk_create(AllowListEntry(kind="word", value=w) for w in ALLOW_WORDS)


def unseed(apps, schema_editor):
    for model in ("ContentRule", "Brand", "LinkDomain", "AllowListEntry"):
        apps.get_model("compliance", model).objects.all().delete()
