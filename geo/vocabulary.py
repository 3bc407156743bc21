"""The words union offices write for station services and kinds, mapped to yizhan's ids.

Gathered from what offices publish and hand in: the ACFTU's notices on outdoor workers' service
stations (户外劳动者服务站点: "九有" — 有休息场所、有饮用水、有卫生间、有充电设施、有热饭设备、
有药箱、有图书、有空调/取暖、有无线网络), the provinces' and cities' station standards, the "七个一"
kit (一台冰箱、一台微波炉、一个饮水机、一个医药箱、一套桌椅、一个充电设施、一个卫生间), the
"五可/八能" slogans (冷可取暖、热可纳凉、渴可喝水、累可歇脚、伤可用药、饭可加热、内急可如厕),
sanitation stations' and driver homes' lists, and the service cells of real station lists.

A word is compared after :func:`geo.text.fold` (full-width to ASCII, no spaces, ``_``, ``-`` or
brackets, lower case), first as written, then without what offices put around the service itself
(:func:`service_candidates`: "一台", "配备", "免费", "提供", "有"; "服务", "设施", "等"; the
"渴可" of a slogan). A word that names none of them is not an error: the station list reader keeps
it as written (:attr:`geo.stations.Station.other_services`) and reports it.

This module holds words only; the ids and their labels are :data:`geo.stations.SERVICES` and
:data:`geo.stations.KINDS`.
"""

from __future__ import annotations

import re

#: Service words as offices write them -> service id (see :data:`geo.stations.SERVICES`).
SERVICE_WORDS: dict[str, str] = {
    # rest: a place to sit or lie down, out of the weather
    **dict.fromkeys((
        "休息", "休息区", "休息室", "休息间", "休息场所", "休息处", "休息点", "休息场地",
        "休息空间", "歇脚", "歇息", "歇脚休息", "小憩", "休憩", "休憩区", "午休", "午休床",
        "座椅", "桌椅", "休息桌椅", "休息座椅", "桌椅板凳", "椅子", "凳子", "长椅", "长凳",
        "沙发", "躺椅", "折叠床", "休息床", "床铺", "行军床", "落脚", "落脚点", "临时休息",
        "休闲", "休闲区", "避雨", "遮风避雨", "避风避雨", "挡风避雨", "临时避雨", "遮阳避雨",
        "rest", "restarea", "seats", "seating", "chairs",
    ), "rest"),
    # toilet
    **dict.fromkeys((
        "厕所", "卫生间", "如厕", "公厕", "洗手间", "公共厕所", "公共卫生间", "厕位", "盥洗室",
        "内急", "洗手池", "洗手台", "toilet", "toilets", "restroom", "wc", "lavatory",
    ), "toilet"),
    # drinking water
    **dict.fromkeys((
        "饮水", "热水", "喝水", "饮用水", "开水", "饮水机", "直饮水", "直饮机", "净水器",
        "纯净水", "矿泉水", "桶装水", "温开水", "冷热水", "冷热饮水", "茶水", "热茶", "凉茶",
        "茶水供应", "饮水点", "开水器", "热水器", "电热水壶", "烧水壶", "热水壶", "暖水瓶",
        "暖壶", "饮水供应", "免费茶水", "water", "drinkingwater", "hotwater",
    ), "drinking_water"),
    # food heating
    **dict.fromkeys((
        "微波炉", "热饭", "加热", "加热食物", "热饭菜", "热菜", "饭菜加热", "加热饭菜",
        "热饭设备", "微波炉热饭", "电饭煲", "电磁炉", "蒸饭", "蒸饭柜", "蒸饭箱", "蒸箱",
        "烤箱", "电烤箱", "加热设备", "热饭热菜", "热餐", "foodheating", "microwave",
        "microwaveoven",
    ), "food_heating"),
    # cooling
    **dict.fromkeys((
        "空调", "降温", "防暑降温", "纳凉", "防暑", "避暑", "消暑", "解暑", "降温消暑",
        "清凉", "乘凉", "避暑纳凉", "电风扇", "风扇", "电扇", "冷气", "冷风机", "绿豆汤",
        "防暑饮品", "清凉饮品", "冷饮", "cooling", "airconditioning", "aircon", "fan",
    ), "cooling"),
    # heating
    **dict.fromkeys((
        "取暖", "暖气", "供暖", "暖风", "电暖器", "电暖气", "取暖器", "暖风机", "小太阳",
        "暖手宝", "暖宝宝", "御寒", "保暖", "避寒", "暖手", "地暖", "烤火", "防寒",
        "防寒保暖", "heating", "heater", "warmth",
    ), "heating"),
    # phone charging
    **dict.fromkeys((
        "充电", "手机充电", "充电设施", "充电设备", "充电器", "充电线", "充电插座", "插座",
        "手机充电器", "万能充", "充电宝", "共享充电宝", "手机快充", "usb充电", "充电插口",
        "phonecharging", "charging", "charger",
    ), "phone_charging"),
    # e-bike charging
    **dict.fromkeys((
        "电动车充电", "换电", "电瓶车充电", "电动自行车充电", "电动车充电桩", "充电桩",
        "换电柜", "电瓶充电", "电单车充电", "电动车换电", "电车充电", "外卖车充电",
        "电动车充电设施", "电动车充换电", "充换电", "ebikecharging", "ebike",
    ), "ebike_charging"),
    # first aid
    **dict.fromkeys((
        "医药箱", "急救", "药箱", "急救箱", "常用药品", "药品", "常用药", "应急药品",
        "急救药品", "应急药箱", "小药箱", "爱心药箱", "医疗箱", "急救包", "应急包", "应急箱",
        "急救设备", "防暑药品", "防暑降温药品", "防暑药", "藿香正气水", "风油精", "清凉油",
        "创可贴", "用药", "医药", "药物", "aed", "除颤仪", "自动体外除颤器", "firstaid",
        "firstaidkit", "medicine", "medicalkit",
    ), "first_aid"),
    # reading
    **dict.fromkeys((
        "阅读", "书报", "图书", "书籍", "书报阅读", "书架", "图书角", "书刊", "报刊", "杂志",
        "报纸", "读书", "阅览", "阅览室", "职工书屋", "书屋", "报刊阅读", "图书阅读", "读物",
        "书吧", "书报架", "书报刊", "reading", "books", "library",
    ), "reading"),
    # Wi-Fi
    **dict.fromkeys((
        "无线网络", "wifi", "wi-fi", "无线上网", "免费wifi", "无线网", "免费无线网络",
        "免费上网", "上网", "网络", "wlan", "无线wifi", "internet",
    ), "wifi"),
    # meals
    **dict.fromkeys((
        "餐食", "用餐", "就餐", "餐饮", "爱心餐", "午餐", "早餐", "工作餐", "爱心早餐",
        "爱心午餐", "免费午餐", "免费早餐", "送餐", "餐厅", "食堂", "快餐", "盒饭", "爱心粥",
        "便民餐", "优惠餐", "平价餐", "爱心套餐", "用膳", "meals", "food", "canteen",
    ), "meals"),
    # shower
    **dict.fromkeys((
        "淋浴", "洗澡", "洗浴", "沐浴", "浴室", "淋浴间", "热水淋浴", "洗浴间", "shower",
        "showers",
    ), "shower"),
    # laundry
    **dict.fromkeys((
        "洗衣", "洗衣机", "洗衣服", "烘干", "烘干机", "洗衣房", "洗涤", "洗烘", "laundry",
        "washingmachine",
    ), "laundry"),
    # parking
    **dict.fromkeys((
        "停车", "停车场", "停车位", "车位", "货车停车", "大车停车", "停车区", "免费停车",
        "泊车", "货车停车位", "车辆停放", "停放", "电动车停放", "非机动车停放", "parking",
    ), "parking"),
    # oxygen
    **dict.fromkeys((
        "吸氧", "氧吧", "高原氧吧", "供氧", "制氧机", "氧气", "氧气瓶", "吸氧机", "oxygen",
    ), "oxygen"),
    # accessible
    **dict.fromkeys((
        "无障碍", "无障碍设施", "无障碍通道", "无障碍卫生间", "无障碍坡道", "坡道", "轮椅",
        "accessible", "wheelchair", "stepfree",
    ), "accessible"),
}

#: What offices put before a service: a count and its measure word (一台, 1个, 两套, 若干),
#: a verb (配备, 提供, 设有), "免费", an enumeration (1. ① (2)).
_BEFORE = re.compile(
    r"^(?:(?:\d+|[一二两三四五六七八九十若干多]+)\s*[台个套张部组只把件处间块条份台]"
    r"|配备|配置|配有|提供|设有|设置|备有|具备|可以|可供|免费|有|含|"
    r"\d+\s*[.、)）]|[①-⑳]|[（(]\d+[)）])+")
#: What offices put after one: "服务", "设施", "设备", "区", "等", "用品", counts (若干, 1台).
_AFTER = re.compile(
    r"(?:服务|设施|设备|功能|用品|条件|场所|区域|区|点|等|若干|"
    r"\d+\s*[台个套张部组只把件处间块条份]|[（(][^（()）]*[)）])+$")
#: The slogans' "渴可喝水", "累了能歇脚", "饭可加热": what follows the 可/能 is the service.
_SLOGAN = re.compile(r"^[^可能]{1,4}(?:可以|可|能够|能)(.+)$")


def service_candidates(word: str) -> list[str]:
    """``word`` and the forms of it without what offices put around the service, to look up in
    order: ``一台微波炉`` → ``微波炉``; ``提供免费饮水服务`` → ``饮水``; ``渴可喝水`` → ``喝水``.

    >>> service_candidates("一个充电设施")
    ['一个充电设施', '充电设施', '充电']
    """
    found = [word]

    def add(text: str) -> None:
        text = text.strip()
        if text and text not in found:
            found.append(text)

    stripped = _BEFORE.sub("", word)
    add(stripped)
    add(_AFTER.sub("", stripped))
    for text in list(found):
        slogan = _SLOGAN.match(text)
        if slogan:
            add(slogan[1])
            add(_AFTER.sub("", slogan[1]))
    return found


# --- kinds ---------------------------------------------------------------------------------------

#: Kind words as offices write them -> kind id (see :data:`geo.stations.KINDS`).
KIND_WORDS: dict[str, str] = {
    **dict.fromkeys((
        "司机之家", "货车司机之家", "卡车司机之家", "货车司机驿站", "司机驿站", "司机休息站",
        "drivershome", "driverhome", "truckdrivershome",
    ), "driver_home"),
    **dict.fromkeys((
        "环卫工人爱心驿站", "环卫驿站", "环卫工人驿站", "爱心驿站", "环卫工人休息点",
        "环卫工人休息室", "环卫休息室", "环卫爱心驿站", "环卫工作站", "环卫工人之家",
        "环卫之家", "环卫工人爱心服务站", "环卫爱心小屋", "环卫工人爱心屋",
        "sanitationstation", "sanitationworkerstation",
    ), "sanitation_station"),
    **dict.fromkeys((
        "户外劳动者服务站点", "户外劳动者服务站", "户外劳动者驿站", "户外劳动者爱心驿站",
        "工会驿站", "工会户外劳动者服务站点", "暖心驿站", "工会爱心驿站", "职工驿站",
        "职工爱心驿站", "户外职工驿站", "户外劳动者之家", "新就业形态劳动者驿站",
        "新就业形态劳动者服务站点", "骑手驿站", "快递小哥驿站", "小哥驿站", "爱心服务站",
        "outdoorrestpoint", "outdoorworkerrestpoint",
    ), "outdoor_rest_point"),
}

#: Parts of a station's name that say its kind, strongest first: a name matching parts of
#: two kinds in one strength says none (工会环卫驿站); a weaker part counts only when no
#: stronger one matched (户外劳动者爱心驿站 is a union station, not a sanitation one).
KIND_NAME_PARTS: tuple[tuple[tuple[re.Pattern[str], str], ...], ...] = (
    (
        (re.compile("司机之家|司机驿站|司机休息站"), "driver_home"),
        (re.compile("环卫"), "sanitation_station"),
        (re.compile("户外劳动者|工会驿站|工会.{0,6}(?:驿站|服务站)|暖心驿站|职工驿站|"
                    "新就业形态|骑手驿站|小哥驿站"), "outdoor_rest_point"),
    ),
    (
        (re.compile("爱心驿站"), "sanitation_station"),
    ),
)


def kind_from_name(name: str) -> str | None:
    """The kind a station's name says, when it says one kind only: ``XX司机之家`` →
    ``driver_home``, ``XX环卫工人爱心驿站`` → ``sanitation_station``, ``XX工会驿站`` →
    ``outdoor_rest_point``, ``XX爱心驿站`` → ``sanitation_station``; None for a name that says
    none or two (``工会环卫驿站``).

    >>> kind_from_name("城南工会户外劳动者服务站点"), kind_from_name("工会环卫驿站")
    ('outdoor_rest_point', None)
    """
    for parts in KIND_NAME_PARTS:
        kinds = {kind for pattern, kind in parts if pattern.search(name)}
        if len(kinds) == 1:
            return kinds.pop()
        if kinds:
            return None
    return None


# --- hours ---------------------------------------------------------------------------------------

#: Hours written as words that mean "always open", compared without spaces and without a
#: trailing 开放/营业/服务/运营.
ALWAYS_OPEN = frozenset({
    "24/7", "全天", "24小时", "全天24小时", "全天候", "00:00-24:00", "0:00-24:00", "24h",
    "全年无休", "7x24小时", "7×24小时", "7*24小时", "24小时全天候", "全天候24小时", "常年",
    "全年", "全年24小时", "24小时不间断", "昼夜", "不间断",
})
_ALWAYS_TAIL = re.compile(r"(?:开放|营业|服务|运营|值守)+$")
_NUMERAL = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
            "七": 7, "八": 8, "九": 9}
_NUMERAL_HOUR = re.compile(r"([零〇一二两三四五六七八九十]{1,3})(?=[点时])")
_MORNING_EVENING = re.compile(
    r"早(?:上|晨)?(\d{1,2})(?:[:：点时](\d{2}|半)?)?分?\s*(?:至|到|-|~|～|—)?\s*"
    r"晚(?:上)?(\d{1,2})(?:[:：点时](\d{2}|半)?)?分?")


def always_open(text: str) -> bool:
    """Whether hours written as ``text`` say "always open" (``全天``, ``24小时开放``,
    ``全天候服务``, ``7×24小时`` …)."""
    compact = re.sub(r"\s+", "", text)
    return compact in ALWAYS_OPEN or compact.lower() in ALWAYS_OPEN or \
        _ALWAYS_TAIL.sub("", compact) in ALWAYS_OPEN


def _numeral(text: str) -> str:
    """``八`` → ``8``, ``十二`` → ``12``, ``二十`` → ``20`` (hours only: up to 二十四)."""
    tens, _, ones = text.partition("十")
    if "十" not in text:
        return str(_NUMERAL[text]) if text in _NUMERAL else text
    value = (_NUMERAL.get(tens, 1) if tens else 1) * 10 + (_NUMERAL.get(ones, 0) if ones else 0)
    return str(value)


def hours_in_digits(text: str) -> str:
    """Hours written in words made digits and spans: ``早上八点到晚上六点`` → ``8:00-18:00``,
    ``早8晚6`` → ``8:00-18:00``, ``十点半`` → ``10点半``; other text unchanged. The first step of
    :func:`geo.stations.normalize_hours`."""
    text = _NUMERAL_HOUR.sub(lambda m: _numeral(m[1]), text)

    def span(m: re.Match[str]) -> str:
        start, end = int(m[1]), int(m[3])
        end = end + 12 if end < 12 else end
        minutes = ["30" if x == "半" else (x or "00") for x in (m[2], m[4])]
        return f"{start}:{minutes[0]}-{end}:{minutes[1]}"

    return _MORNING_EVENING.sub(span, text)
