"""Names for synthetic people: Persian given and family names in a common transliteration,
their Persian script, and the spelling variants that real records show (Noury / Nouri /
Noori, Ghasemi / Qasemi, Rezaei / Rezaee). Used only by the generator."""

from __future__ import annotations

import random
import re

# (transliteration, Persian script)
MALE = (
    ("Mohammad", "محمد"), ("Ali", "علی"), ("Hossein", "حسین"), ("Hassan", "حسن"), ("Reza", "رضا"),
    ("Mehdi", "مهدی"), ("Ahmad", "احمد"), ("Mahmoud", "محمود"), ("Javad", "جواد"), ("Abbas", "عباس"),
    ("Majid", "مجید"), ("Saeed", "سعید"), ("Hamid", "حمید"), ("Mostafa", "مصطفی"), ("Nasser", "ناصر"),
    ("Jafar", "جعفر"), ("Kazem", "کاظم"), ("Asghar", "اصغر"), ("Akbar", "اکبر"), ("Bahram", "بهرام"),
    ("Farhad", "فرهاد"), ("Behrouz", "بهروز"), ("Davoud", "داوود"), ("Iraj", "ایرج"), ("Khalil", "خلیل"),
    ("Gholamreza", "غلامرضا"), ("Houshang", "هوشنگ"), ("Manouchehr", "منوچهر"), ("Parviz", "پرویز"),
    ("Siamak", "سیامک"), ("Ghasem", "قاسم"), ("Yousef", "یوسف"),
)
FEMALE = (
    ("Fatemeh", "فاطمه"), ("Zahra", "زهرا"), ("Maryam", "مریم"), ("Masoumeh", "معصومه"), ("Roya", "رویا"),
    ("Shahla", "شهلا"), ("Mahin", "مهین"), ("Parvin", "پروین"), ("Soheila", "سهیلا"), ("Azar", "آذر"),
    ("Mitra", "میترا"), ("Nasrin", "نسرین"), ("Zohreh", "زهره"), ("Monireh", "منیره"), ("Ashraf", "اشرف"),
    ("Farideh", "فریده"), ("Mozhgan", "مژگان"), ("Leila", "لیلا"), ("Sima", "سیما"), ("Khadijeh", "خدیجه"),
    ("Forough", "فروغ"), ("Shirin", "شیرین"), ("Tahereh", "طاهره"), ("Ziba", "زیبا"),
)
FAMILY = (
    ("Ahmadi", "احمدی"), ("Mohammadi", "محمدی"), ("Hosseini", "حسینی"), ("Rezaei", "رضایی"),
    ("Moradi", "مرادی"), ("Karimi", "کریمی"), ("Hashemi", "هاشمی"), ("Rahimi", "رحیمی"),
    ("Ebrahimi", "ابراهیمی"), ("Jafari", "جعفری"), ("Sadeghi", "صادقی"), ("Ghasemi", "قاسمی"),
    ("Mousavi", "موسوی"), ("Kazemi", "کاظمی"), ("Najafi", "نجفی"), ("Rostami", "رستمی"),
    ("Tehrani", "تهرانی"), ("Shirazi", "شیرازی"), ("Tabrizi", "تبریزی"), ("Akbari", "اکبری"),
    ("Heidari", "حیدری"), ("Nouri", "نوری"), ("Kamali", "کمالی"), ("Farahani", "فراهانی"),
    ("Mirzaei", "میرزایی"), ("Bagheri", "باقری"), ("Abbasi", "عباسی"), ("Soltani", "سلطانی"),
    ("Asadi", "اسدی"), ("Zamani", "زمانی"), ("Yazdani", "یزدانی"), ("Khosravi", "خسروی"),
    ("Amini", "امینی"), ("Ghorbani", "قربانی"), ("Alizadeh", "علیزاده"), ("Rahmani", "رحمانی"),
    ("Safavi", "صفوی"), ("Daneshvar", "دانشور"), ("Golzari", "گلزاری"), ("Shokouhi", "شکوهی"),
)

# Transliteration habits, each a (pattern, replacement) that yields one variant spelling.
_VARIANTS = (
    (r"ou", "u"), (r"ou", "oo"), (r"ei$", "ee"), (r"ei$", "eyi"), (r"^Gh", "Q"), (r"gh", "q"),
    (r"ee", "i"), (r"^Mohammad", "Mohammed"), (r"^Mohammad", "Muhammad"), (r"ossein", "osein"),
    (r"eh$", "a"), (r"kh", "x"), (r"zadeh$", "-Zadeh"), (r"^Ja", "Dja"), (r"v", "w"), (r"i$", "y"),
    (r"^Fatemeh", "Fatima"), (r"ss", "s"), (r"Kh", "Ch"), (r"ai", "aee"),
)


def variants(name: str) -> list[str]:
    """Every single-step variant spelling of ``name`` (a given or family name), in a fixed order."""
    found: list[str] = []
    for pattern, replacement in _VARIANTS:
        other = re.sub(pattern, replacement, name, count=1)
        if other != name and other not in found:
            found.append(other)
    return found


def full_name(rng: random.Random, female: bool, family: tuple[str, str] | None = None):
    """(label, Persian label, variant labels, family) for one person."""
    given = rng.choice(FEMALE if female else MALE)
    family = family or rng.choice(FAMILY)
    label = f"{given[0]} {family[0]}"
    label_fa = f"{given[1]} {family[1]}"
    options = [f"{g} {family[0]}" for g in variants(given[0])]
    options += [f"{given[0]} {f}" for f in variants(family[0])]
    k = min(len(options), rng.choice((0, 1, 1, 2, 2, 3)))
    return label, label_fa, rng.sample(options, k), family


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
