"""Derived values of a substance history: leaf-equivalent grams, unconverted products, flags."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.history_derived import NO_CONVERSION_NOTE, derive, leaf_grams_per_day


@dataclass
class P:
    form: str
    unit: str
    amount: Decimal
    doses_per_day: Decimal
    mg_per_unit: Decimal | None = None
    capsule_contents: str = ""


@dataclass
class S:
    substance: str
    frequency: str


@dataclass
class M:
    qt_prolonging: bool


D = Decimal


def test_it_multiplies_leaf_grams_by_doses():
    result = derive([P("leaf_powder", "g", D("3"), D("3"))])
    assert result.leaf_equivalent_g_per_day == D("9.00")
    assert result.unconverted == ()


def test_it_converts_leaf_capsules_through_mg_per_capsule():
    # 4 capsules of 500 mg, 3 times a day = 6 g of leaf.
    result = derive([P("capsules", "count", D("4"), D("3"), D("500"), "leaf_powder")])
    assert result.leaf_equivalent_g_per_day == D("6.00")


def test_it_adds_leaf_and_leaf_capsules():
    result = derive(
        [
            P("leaf_powder", "g", D("2.5"), D("2")),
            P("capsules", "count", D("2"), D("1"), D("750"), "leaf_powder"),
        ]
    )
    assert result.leaf_equivalent_g_per_day == D("6.50")


def test_it_never_converts_extract_capsules_shots_or_7oh():
    products = [
        P("capsules", "count", D("2"), D("2"), D("500"), "extract"),
        P("capsules", "count", D("2"), D("2"), D("500"), "unknown"),
        P("extract_shot", "count", D("1"), D("2"), D("60")),
        P("concentrated_7oh", "mg", D("15"), D("4")),
        P("other", "g", D("5"), D("1")),
    ]
    result = derive(products)
    assert result.leaf_equivalent_g_per_day is None
    assert len(result.unconverted) == 5
    assert all(u.note == NO_CONVERSION_NOTE for u in result.unconverted)


def test_it_reports_unconverted_products_per_day_in_their_own_unit():
    result = derive(
        [
            P("concentrated_7oh", "mg", D("15"), D("4")),
            P("extract_shot", "count", D("1"), D("2"), D("60")),
            P("concentrated_7oh", "count", D("2"), D("3")),
        ]
    )
    seven_oh_mg, shots, tablets = result.unconverted
    assert (seven_oh_mg.amount_per_day, seven_oh_mg.unit, seven_oh_mg.mg_per_day) == (
        D("60"),
        "mg",
        D("60"),
    )
    assert (shots.amount_per_day, shots.unit, shots.mg_per_day) == (D("2"), "count", D("120"))
    assert (tablets.amount_per_day, tablets.mg_per_day) == (D("6"), None)


def test_leaf_total_leaves_extracts_out_and_rounds_to_centigrams():
    result = derive(
        [
            P("capsules", "count", D("3"), D("1.5"), D("333.33"), "leaf_powder"),
            P("concentrated_7oh", "mg", D("30"), D("2")),
        ]
    )
    # 3 x 333.33 / 1000 x 1.5 = 1.499985 -> 1.50
    assert result.leaf_equivalent_g_per_day == D("1.50")
    assert [u.form for u in result.unconverted] == ["concentrated_7oh"]


def test_no_products_means_no_total_and_no_daily_use():
    result = derive([])
    assert result.leaf_equivalent_g_per_day is None
    assert result.daily_use is False
    assert result.seven_oh_use is False


def test_daily_use_means_at_least_one_dose_a_day():
    assert derive([P("leaf_powder", "g", D("3"), D("1"))]).daily_use is True
    assert derive([P("leaf_powder", "g", D("3"), D("0.5"))]).daily_use is False


def test_seven_oh_use_is_flagged_apart_from_leaf():
    assert derive([P("concentrated_7oh", "count", D("1"), D("1"))]).seven_oh_use is True
    assert derive([P("leaf_powder", "g", D("3"), D("3"))]).seven_oh_use is False


def test_opioid_co_use_is_any_opioid_use_in_the_past_year():
    assert derive([], [S("opioids", "less_than_monthly")]).opioid_co_use is True
    assert derive([], [S("opioids", "not_past_year")]).opioid_co_use is False
    assert derive([], [S("alcohol", "daily")]).opioid_co_use is False


def test_qt_flag_comes_from_history_or_a_flagged_medication():
    assert derive([], [], [M(True)]).qt_prolonging_medication is True
    assert derive([], [], [], qt_prolonging_medications="yes").qt_prolonging_medication is True
    assert derive([], [], [M(False)], qt_prolonging_medications="no").qt_prolonging_medication is (
        False
    )


# --- Arithmetic, for any rows ---------------------------------------------------------------

amounts = st.decimals(min_value=D("0.01"), max_value=D("500"), places=2)
doses = st.decimals(min_value=D("0.1"), max_value=D("48"), places=1)
mgs = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)

leaf_rows = st.builds(P, st.just("leaf_powder"), st.just("g"), amounts, doses)
leaf_capsules = st.builds(
    P, st.just("capsules"), st.just("count"), amounts, doses, mgs, st.just("leaf_powder")
)
other_rows = st.one_of(
    st.builds(P, st.just("concentrated_7oh"), st.sampled_from(["mg", "count"]), amounts, doses),
    st.builds(P, st.just("extract_shot"), st.just("count"), amounts, doses, mgs | st.none()),
    st.builds(
        P,
        st.just("capsules"),
        st.just("count"),
        amounts,
        doses,
        mgs,
        st.sampled_from(["extract", "unknown"]),
    ),
)
rows = st.lists(st.one_of(leaf_rows, leaf_capsules, other_rows), max_size=8)


def _expected_total(products):
    exact = Decimal(0)
    any_leaf = False
    for p in products:
        if p.form == "leaf_powder":
            exact += p.amount * p.doses_per_day
            any_leaf = True
        elif p.form == "capsules" and p.capsule_contents == "leaf_powder":
            exact += p.amount * p.mg_per_unit / 1000 * p.doses_per_day
            any_leaf = True
    return exact.quantize(D("0.01"), ROUND_HALF_UP) if any_leaf else None


@settings(max_examples=200, deadline=None)
@given(rows)
def test_total_is_the_rounded_exact_sum_of_leaf_rows(products):
    assert derive(products).leaf_equivalent_g_per_day == _expected_total(products)


@settings(max_examples=100, deadline=None)
@given(rows, st.randoms())
def test_total_does_not_depend_on_row_order(products, random):
    shuffled = list(products)
    random.shuffle(shuffled)
    a, b = derive(shuffled), derive(products)
    assert a.leaf_equivalent_g_per_day == b.leaf_equivalent_g_per_day
    assert sorted(map(repr, a.unconverted)) == sorted(map(repr, b.unconverted))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(leaf_rows, leaf_capsules), min_size=1, max_size=6), other_rows)
def test_adding_a_non_leaf_product_never_changes_the_total(leafy, extra):
    before = derive(leafy)
    after = derive([*leafy, extra])
    assert after.leaf_equivalent_g_per_day == before.leaf_equivalent_g_per_day
    assert len(after.unconverted) == len(before.unconverted) + 1


@settings(max_examples=100, deadline=None)
@given(rows)
def test_every_row_is_either_summed_or_reported(products):
    result = derive(products)
    converted = [p for p in products if leaf_grams_per_day(p) is not None]
    assert len(converted) + len(result.unconverted) == len(products)
    if result.leaf_equivalent_g_per_day is not None:
        assert result.leaf_equivalent_g_per_day >= 0
