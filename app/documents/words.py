"""An amount of money in Vietnamese words (số tiền bằng chữ), as a receipt or an invoice writes
it: "Một triệu không trăm linh năm nghìn đồng" for 1.005.000.

The number is read in groups of three digits (trăm, mươi, đơn vị) named, from the right,
nghìn, triệu, tỷ; past a tỷ the count of tỷ is read again the same way ("một nghìn tỷ"). The
rules of reading, as accounting documents follow them:
  - a group of zeros is not read at all (1.000.000: "một triệu");
  - a group after the first one is read with its hundreds, "không trăm" included
    (1.005.000: "một triệu không trăm linh năm nghìn");
  - no tens before a unit is "linh" (105: "một trăm linh năm");
  - 10 to 19 are "mười …" (15: "mười lăm"), 20 and more "… mươi" (21: "hai mươi mốt");
  - after the tens a 1 is "mốt" from 21 on (11 stays "mười một"), a 5 is "lăm" from 15 on.
"""

from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
SCALES = ("", "nghìn", "triệu")  # a tỷ is read as a count of tỷ (below)
BILLION = 1_000_000_000


def _group(number: int, *, full: bool) -> list[str]:
    """Three digits (1-999); `full` reads the hundreds even when they are zero."""
    hundreds, tens, units = number // 100, number // 10 % 10, number % 10
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(DIGITS[units])
    return words


def _below_billion(number: int, *, leading: bool) -> list[str]:
    """0 to 999.999.999; `leading` when nothing is read before it."""
    groups = [number // 1_000_000, number // 1000 % 1000, number % 1000]
    words: list[str] = []
    for place, group in enumerate(groups):
        if group == 0:
            continue
        words += _group(group, full=bool(words) or not leading)
        scale = SCALES[len(groups) - 1 - place]
        if scale:
            words.append(scale)
    return words


def _words(number: int, *, leading: bool = True) -> list[str]:
    if number >= BILLION:
        billions, rest = divmod(number, BILLION)
        words = [*_words(billions, leading=leading), "tỷ"]
        return words + (_below_billion(rest, leading=False) if rest else [])
    return _below_billion(number, leading=leading)


def number_in_words(number: int) -> str:
    """A whole number of 0 or more in Vietnamese words, lower case."""
    if number < 0:
        raise ValueError(f"no words for a negative amount: {number}")
    return " ".join(_words(number)) if number else DIGITS[0]


def vnd_in_words(amount: int) -> str:
    """An amount in VND as a receipt writes it: capitalised, ending in "đồng"."""
    text = f"{number_in_words(amount)} đồng"
    return text[0].upper() + text[1:]
