from tests.factories import IndicatorFactory
from tracker.targets.models import Indicator


def test_indicator_rows_roll_back_between_tests(session):
    IndicatorFactory(name="滚回")
    assert session.query(Indicator).filter_by(name="滚回").count() == 1


def test_previous_test_left_nothing(session, app):
    assert session.query(Indicator).filter_by(name="滚回").count() == 0
