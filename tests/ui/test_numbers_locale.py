"""Money, numbers and dates follow the user's locale (QLocale) in the store's currency; the bare C
locale reads as US English; a customer's own clock for traces, UTC on hover."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QLocale

from designer.ui.backtest import numbers

MS = 1741086000000  # 2025-03-04 11:00 UTC


@pytest.fixture
def locale_named():
    before, code = QLocale(), numbers.currency()

    def use(name: str, currency: str = "USD") -> None:
        QLocale.setDefault(QLocale(name))
        numbers.set_currency(currency)
        numbers.currency_symbol.cache_clear()
    yield use
    QLocale.setDefault(before)
    numbers.set_currency(code)
    numbers.currency_symbol.cache_clear()


def test_us_english_and_the_c_locale(locale_named):
    for name in ("en_US", "C"):
        locale_named(name)
        assert numbers.count(1234567) == "1,234,567"
        assert numbers.money(2310.4) == "$2,310" and numbers.money_exact(12.5) == "$12.50"
        assert numbers.money(123456, compact=True) == "$123k"
        assert numbers.day(MS) == "4 Mar 2025" and numbers.span(MS, MS + 86_400_000 * 60) == "4 Mar \u2013 3 May 2025"


def test_german_writes_its_own_separators_and_sign_after_the_amount(locale_named):
    locale_named("de_DE", "EUR")
    assert numbers.count(1234567) == "1.234.567"
    assert numbers.money_exact(1234.5) == "1.234,50\u00a0\u20ac"
    assert numbers.money(2310.4) == "2.310\u00a0\u20ac"
    assert numbers.day(MS) == "4 März 2025"
    assert numbers.signed(-45, is_money=True) == "\u221245\u00a0\u20ac"


def test_a_currency_the_users_locale_does_not_use_gets_its_own_sign(locale_named):
    locale_named("en_US", "GBP")
    assert numbers.money_exact(9.99) == "\u00a39.99"
    locale_named("en_US", "JPY")
    assert numbers.money(1500) == "\u00a51,500"


def test_a_customers_own_clock_with_its_abbreviation():
    assert numbers.local_moment(MS, "America/New_York") == "2025-03-04 06:00 EST"
    assert numbers.local_moment(MS + 86_400_000 * 120, "Europe/London") == "2025-07-02 12:00 BST"
    assert numbers.local_moment(MS, None) == "2025-03-04 11:00 UTC"
    assert numbers.local_moment(MS, "Not/AZone") == "2025-03-04 11:00 UTC"
    assert numbers.moment(MS) == "2025-03-04 11:00 UTC"
