"""Two station lists in the image of real ones offices hand in, generated.

- A county list exported from Amap: 24 stations, no kind column, the POI export's own columns
  (``type``, ``typecode``, ``location``, ``pname`` …) and four coordinate columns, ``wgs84_lon``,
  ``wgs84_lat``, ``gcj02_lon``, ``gcj02_lat``; UTF-8 with a BOM.
- A city list: 82 stations, GCJ-02 (``高德经度``, ``高德纬度``), a GBK CSV, Chinese headers with a
  title row above them and a 序号 column, service words outside the vocabulary (the "七个一" kit's
  冰箱, 母婴室, 雨具 …), hours in words (``早8点至晚6点``, ``全天候开放``, and some no reader can
  take: ``夏季6:00-22:00，冬季7:00-21:00``).
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

from geo import coords

COUNTY_HEADER = ["id", "name", "type", "typecode", "address", "location", "pname", "cityname",
                 "adname", "tel", "wgs84_lon", "wgs84_lat", "gcj02_lon", "gcj02_lat"]
COUNTY_NAMES = [
    "城关镇工会驿站", "桃溪镇工会驿站", "千人桥镇户外劳动者服务站点", "汤池镇工会驿站",
    "县总工会户外劳动者服务站点", "金牛镇工会驿站",
    "城关环卫工人爱心驿站", "杭埠环卫驿站", "南港环卫工人休息室", "舒城县环卫爱心驿站",
    "G3京台高速舒城服务区司机之家", "舒城物流园货车司机之家",
    *["万佛湖景区服务点", "中国银行舒城支行", "县人民医院便民服务点", "舒茶镇便民服务中心",
       "晓天镇党群服务中心", "高峰乡综合文化站", "山七镇邮政所", "春秋乡卫生院",
       "柏林乡新时代文明实践站", "五显镇供电所", "棠树乡农商银行", "庐镇乡社区服务站"],
]
#: The kinds the names say (None: the default kind).
COUNTY_KINDS = ["outdoor_rest_point"] * 6 + ["sanitation_station"] * 4 + ["driver_home"] * 2 + \
    [None] * 12


def county_rows(seed: int = 7) -> list[list[str]]:
    """The 24 rows of the county list (WGS-84 positions in 舒城县, GCJ-02 as Amap gives)."""
    rng = random.Random(seed)
    rows = []
    for i, name in enumerate(COUNTY_NAMES):
        lon, lat = 116.94 + rng.uniform(-0.25, 0.25), 31.46 + rng.uniform(-0.2, 0.2)
        glon, glat = coords.from_wgs84(lon, lat, "gcj02")
        rows.append([f"B0FFH{i:05d}", name, "生活服务;生活服务场所;生活服务场所", "070000",
                     f"舒城县{name[:2]}路{i + 1}号", f"{glon:.6f},{glat:.6f}", "安徽省", "六安市",
                     "舒城县", "0564-86" + f"{i:05d}", f"{lon:.7f}", f"{lat:.7f}",
                     f"{glon:.6f}", f"{glat:.6f}"])
    return rows


def write_county(path: Path) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([COUNTY_HEADER, *county_rows()])
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return path


CITY_TITLE = ["合肥市户外劳动者服务站点名单（2024年第二批）"]
CITY_HEADER = ["序号", "所属区县", "驿站名称", "详细地址", "高德经度", "高德纬度", "服务内容",
               "开放时间", "联系电话", "责任单位"]
#: Service cells as offices write them; the words no vocabulary knows are in CITY_KEPT.
CITY_SERVICES = [
    "一台冰箱、一台微波炉、一个饮水机、一个医药箱、一套桌椅、一个充电设施、一个卫生间",
    "冷可取暖、热可纳凉、渴可喝水、累可歇脚、伤可用药、饭可加热、内急可如厕",
    "休息，饮水，手机充电，母婴室",
    "有空调、有饮用水、有卫生间、有充电设施、有热饭设备、有药箱、有图书、有无线网络",
    "提供免费茶水、WiFi、雨具、针线包、打气筒",
    "1.休息 2.饮水 3.充电 4.老花镜",
    "热水/微波炉/电动车充电桩/医药箱",
    "",
]
CITY_KEPT = {"一台冰箱", "母婴室", "雨具", "针线包", "打气筒", "老花镜"}
#: Hours cells, and what they read as ("" with the text kept in the notes when unreadable).
CITY_HOURS = [
    ("早8点至晚6点", "08:00-18:00"),
    ("全天候开放", "24/7"),
    ("工作日 9:00-17:00", "Mo-Fr 09:00-17:00"),
    ("早上八点到晚上六点", "08:00-18:00"),
    ("夏季6:00-22:00，冬季7:00-21:00", ""),
    ("7×24小时", "24/7"),
    ("白天开放", ""),
    ("每天早7点半至晚8点", "Mo-Su 07:30-20:00"),
]
CITY_DISTRICTS = ["蜀山区", "包河区", "瑶海区", "庐阳区", "高新区", "经开区"]


def city_name(i: int) -> str:
    district = CITY_DISTRICTS[i % len(CITY_DISTRICTS)]
    return [f"{district}第{i + 1}工会户外劳动者服务站点", f"{district}第{i + 1}环卫驿站",
            f"{district}第{i + 1}爱心驿站", f"{district}第{i + 1}社区便民服务站"][i % 4]


def city_rows(seed: int = 11) -> list[list[str]]:
    """The 82 rows of the city list, positions in GCJ-02 around 合肥."""
    rng = random.Random(seed)
    rows = []
    for i in range(82):
        lon, lat = 117.23 + rng.uniform(-0.12, 0.12), 31.82 + rng.uniform(-0.1, 0.1)
        rows.append([str(i + 1), CITY_DISTRICTS[i % len(CITY_DISTRICTS)], city_name(i),
                     f"合肥市某路{i + 1}号", f"{lon:.6f}", f"{lat:.6f}",
                     CITY_SERVICES[i % len(CITY_SERVICES)], CITY_HOURS[i % len(CITY_HOURS)][0],
                     f"0551-6{i:06d}", "市总工会"])
    return rows


def write_city(path: Path, *, header: list[str] | None = None) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([CITY_TITLE, header or CITY_HEADER, *city_rows()])
    path.write_bytes(buffer.getvalue().encode("gbk"))
    return path
