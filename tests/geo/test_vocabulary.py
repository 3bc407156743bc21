import pytest

from geo.stations import KINDS, SERVICES, parse_kind
from geo.vocabulary import (
    KIND_WORDS,
    SERVICE_WORDS,
    always_open,
    hours_in_digits,
    kind_from_name,
    service_candidates,
)


def test_every_word_maps_to_a_known_id():
    assert set(SERVICE_WORDS.values()) <= set(SERVICES)
    assert set(KIND_WORDS.values()) <= set(KINDS)
    assert len(SERVICE_WORDS) > 300
    for word, kind in KIND_WORDS.items():
        assert parse_kind(word) == kind


@pytest.mark.parametrize("word, candidates", [
    ("一台微波炉", ["一台微波炉", "微波炉"]),
    ("一个充电设施", ["一个充电设施", "充电设施", "充电"]),
    ("渴可喝水", ["渴可喝水", "喝水"]),
    ("医药箱等", ["医药箱等", "医药箱"]),
    ("母婴室", ["母婴室"]),
])
def test_service_candidates(word, candidates):
    assert service_candidates(word) == candidates


@pytest.mark.parametrize("name, kind", [
    ("城南工会驿站", "outdoor_rest_point"),
    ("县总工会户外劳动者服务站点", "outdoor_rest_point"),
    ("户外劳动者爱心驿站", "outdoor_rest_point"),
    ("东区环卫工人爱心驿站", "sanitation_station"),
    ("南港环卫工人休息室", "sanitation_station"),
    ("某某爱心驿站", "sanitation_station"),
    ("G3京台高速舒城服务区司机之家", "driver_home"),
    ("工会环卫驿站", None),
    ("司机之家暨户外劳动者服务站", None),
    ("县人民医院便民服务点", None),
])
def test_kind_from_name_only_when_the_name_says_one(name, kind):
    assert kind_from_name(name) == kind


def test_hours_words():
    assert always_open("全天候开放") and always_open("24小时 营业") and not always_open("白天开放")
    assert hours_in_digits("早上八点到晚上六点") == "8:00-18:00"
    assert hours_in_digits("周一至周五 八点半") == "周一至周五 8点半"
